import type { DeliveryOutcome, LaneRepository, WrittenOutcome } from '@lms/webhook-domain';
import type { DispatcherConfig } from '@lms/config';
import { DeliveryOutcomeWriter } from './delivery-outcome-writer';
import { LaneDriverIdentity } from './lane-driver-identity';

const CONFIG = { batchMaxEvents: 100, maxRequestBodyBytes: 4 * 1024 * 1024 } as DispatcherConfig;
const IDENTITY = new LaneDriverIdentity();

function outcome(deliveryId: string): DeliveryOutcome {
  return {
    deliveryId,
    webhookId: `webhook-of-${deliveryId}`,
    status: 'SUCCEEDED',
    attempt: { startedAt: new Date(), durationMs: 5, statusCode: 200, error: null, responseSnippet: 'ok' },
  };
}

/** A repository whose statement fails, as a whole, whenever it holds an outcome `refuses` names. */
function repository(refuses: (deliveryId: string) => Error | undefined) {
  const statements: string[][] = [];
  const recordOutcomes = jest.fn(async (outcomes: readonly DeliveryOutcome[]): Promise<WrittenOutcome[]> => {
    statements.push(outcomes.map((o) => o.deliveryId));
    for (const o of outcomes) {
      const error = refuses(o.deliveryId);
      if (error) throw error;
    }
    return outcomes.map(() => ({ status: 'SUCCEEDED', attemptNumber: 1 }));
  });
  return { repository: { recordOutcomes } as unknown as LaneRepository, statements };
}

describe('DeliveryOutcomeWriter: one outcome that cannot be written never fails the others', () => {
  it("gives a failing outcome's error to its own job only; every other outcome of the batch is written", async () => {
    const refusal = Object.assign(new Error('refused by a trigger'), { code: 'P0001' });
    const { repository: lanes, statements } = repository((id) => (id === 'bad' ? refusal : undefined));
    const writer = new DeliveryOutcomeWriter(lanes, CONFIG, IDENTITY);

    const ids = ['a', 'b', 'bad', 'c', 'd'];
    const settled = await Promise.allSettled(ids.map((id) => writer.record(outcome(id))));

    expect(settled.map((s) => s.status)).toEqual([
      'fulfilled',
      'fulfilled',
      'rejected',
      'fulfilled',
      'fulfilled',
    ]);
    expect((settled[2] as PromiseRejectedResult).reason).toBe(refusal);
    expect(statements[0]).toEqual(ids); // one statement first: the split costs only when something fails
    await writer.onApplicationShutdown();
  });

  it('fails the whole batch, unsplit, when the database is unreachable (everyone retries, nobody is blamed)', async () => {
    const down = Object.assign(new Error('terminating connection due to administrator command'), {
      code: '57P01',
    });
    const { repository: lanes, statements } = repository(() => down);
    const writer = new DeliveryOutcomeWriter(lanes, CONFIG, IDENTITY);

    const settled = await Promise.allSettled(['a', 'b', 'c'].map((id) => writer.record(outcome(id))));

    expect(settled.every((s) => s.status === 'rejected' && s.reason === down)).toBe(true);
    expect(statements).toEqual([['a', 'b', 'c']]);
  });
});

describe('DeliveryOutcomeWriter.recordAndClaim: one statement records the batch and claims the finished lanes', () => {
  it('gives each lane’s claimed requests to the outcome of that lane, in one round trip for the batch', async () => {
    const calls: string[][] = [];
    const next = (webhookId: string, kind: 'REALTIME' | 'BATCH') => ({
      deliveryId: `next-${webhookId}-${kind}`,
      webhookId,
      kind,
      accountId: 1,
      attemptCount: 0,
      createdAt: new Date(),
      events: [],
    });
    const lanes = {
      recordAndClaim: jest.fn(async (outcomes: readonly DeliveryOutcome[]) => {
        calls.push(outcomes.map((o) => o.deliveryId));
        return {
          written: outcomes.map(() => ({ status: 'SUCCEEDED', attemptNumber: 1 })),
          // Claimed in lane order, not in outcome order; one lane (w2 BATCH) has nothing waiting.
          claimed: [next('w3', 'REALTIME'), next('w1', 'REALTIME'), next('w1', 'BATCH')],
        };
      }),
    } as unknown as LaneRepository;
    const writer = new DeliveryOutcomeWriter(lanes, CONFIG, IDENTITY);

    const results = await Promise.all([
      writer.recordAndClaim(outcome('a'), { webhookId: 'w1', kind: 'REALTIME' }),
      writer.recordAndClaim(outcome('b'), { webhookId: 'w2', kind: 'BATCH' }),
      writer.recordAndClaim(outcome('c'), { webhookId: 'w3', kind: 'REALTIME' }),
      writer.recordAndClaim(outcome('d'), { webhookId: 'w1', kind: 'BATCH' }),
    ]);

    expect(calls).toEqual([['a', 'b', 'c', 'd']]);
    expect(results.map((result) => result.claimed.map((request) => request.deliveryId))).toEqual([
      ['next-w1-REALTIME'],
      [],
      ['next-w3-REALTIME'],
      ['next-w1-BATCH'],
    ]);
    // Claimed in this process's name: its requests are driven from memory.
    expect(lanes.recordAndClaim).toHaveBeenCalledWith(
      expect.any(Array),
      100,
      4 * 1024 * 1024,
      IDENTITY.driver,
    );
  });
});
