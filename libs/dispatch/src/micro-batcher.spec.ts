import { MicroBatcher } from './micro-batcher';

/** A batch function whose calls the test settles by hand, to control what is "in flight". */
function controllableRun() {
  const calls: Array<{ inputs: number[]; settle: () => void; fail: (error: Error) => void }> = [];
  const run = (inputs: number[]) =>
    new Promise<string[]>((resolve, reject) => {
      calls.push({ inputs, settle: () => resolve(inputs.map((n) => `#${n}`)), fail: reject });
    });
  return { calls, run };
}

/** Lets promise callbacks and the batcher's setImmediate run (two rounds: settle, then send). */
const tick = async () => {
  await new Promise((resolve) => setImmediate(resolve));
  await new Promise((resolve) => setImmediate(resolve));
};

describe('MicroBatcher', () => {
  it('sends what one tick submitted as one batch, at once, and answers each caller with its own result', async () => {
    const { calls, run } = controllableRun();
    const batcher = new MicroBatcher(run, { maxSize: 100, maxInFlight: 2 });
    const answers = [1, 2, 3].map((n) => batcher.submit(n));
    await tick();
    expect(calls.map((call) => call.inputs)).toEqual([[1, 2, 3]]);
    calls[0].settle();
    expect(await Promise.all(answers)).toEqual(['#1', '#2', '#3']);
  });

  it('gathers submissions while maxInFlight batches run, and sends them together when one finishes', async () => {
    const { calls, run } = controllableRun();
    const batcher = new MicroBatcher(run, { maxSize: 100, maxInFlight: 1 });
    const first = batcher.submit(1);
    await tick();
    const later = [2, 3, 4].map((n) => batcher.submit(n));
    await tick();
    expect(calls).toHaveLength(1);
    calls[0].settle();
    await first;
    await tick();
    expect(calls.map((call) => call.inputs)).toEqual([[1], [2, 3, 4]]);
    calls[1].settle();
    expect(await Promise.all(later)).toEqual(['#2', '#3', '#4']);
  });

  it('splits at maxSize', async () => {
    const { calls, run } = controllableRun();
    const batcher = new MicroBatcher(run, { maxSize: 2, maxInFlight: 4 });
    const answers = [1, 2, 3, 4, 5].map((n) => batcher.submit(n));
    await tick();
    expect(calls.map((call) => call.inputs)).toEqual([[1, 2], [3, 4], [5]]);
    calls.forEach((call) => call.settle());
    expect(await Promise.all(answers)).toHaveLength(5);
  });

  it('rejects every caller of a failed batch, and only those', async () => {
    const { calls, run } = controllableRun();
    const batcher = new MicroBatcher(run, { maxSize: 100, maxInFlight: 1 });
    const failed = [batcher.submit(1), batcher.submit(2)];
    await tick();
    const next = batcher.submit(3);
    calls[0].fail(new Error('database gone'));
    await expect(Promise.all(failed)).rejects.toThrow('database gone');
    await tick();
    calls[1].settle();
    expect(await next).toBe('#3');
  });

  it('drain waits for everything submitted, including what was still queued', async () => {
    const { calls, run } = controllableRun();
    const batcher = new MicroBatcher(run, { maxSize: 100, maxInFlight: 1 });
    const answers = [batcher.submit(1)];
    await tick();
    answers.push(batcher.submit(2));
    let drained = false;
    const draining = batcher.drain().then(() => (drained = true));
    calls[0].settle();
    await tick();
    await tick();
    expect(drained).toBe(false);
    calls[1].settle();
    await draining;
    expect(await Promise.all(answers)).toEqual(['#1', '#2']);
  });
});
