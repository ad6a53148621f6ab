import { expectEveryEventDelivered } from './support/delivery-ledger';
import { DISPATCH_CONCURRENCY, FAULT_EVENTS, FaultHarness } from './support/fault-harness';

jest.setTimeout(300_000);

describe('fault: a dispatcher replica is SIGKILLed under load (2 replicas)', () => {
  let harness: FaultHarness;

  beforeAll(async () => {
    harness = await FaultHarness.start({ label: 'dispatcher_kill', dispatchers: 2 });
  });

  afterAll(async () => {
    await harness?.close();
  });

  it('delivers every event, the survivor picking up the killed replica’s jobs; duplicates stay within what was in flight', async () => {
    const producing = harness.produceSteady('dk');
    await harness.waitUntilAcknowledged('dk', Math.floor(FAULT_EVENTS * 0.3));
    const [victim] = harness.stack.dispatchers;
    await harness.stack.kill(victim);
    expect(victim.child.signalCode).toBe('SIGKILL');
    await producing;

    const summary = await harness.settle('dk', FAULT_EVENTS);
    await harness.report('dk', 'dispatcher SIGKILL', summary, DISPATCH_CONCURRENCY);
    expectEveryEventDelivered(summary, DISPATCH_CONCURRENCY);
    const [{ pending }] = await harness.stack.query<{ pending: string }>(
      `SELECT count(*) AS pending FROM deliveries WHERE status <> 'SUCCEEDED'`,
    );
    expect(Number(pending)).toBe(0);
  });
});
