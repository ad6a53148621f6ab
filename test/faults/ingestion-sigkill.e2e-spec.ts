import { expectEveryEventDelivered } from './support/delivery-ledger';
import { DISPATCH_CONCURRENCY, FAULT_EVENTS, FaultHarness } from './support/fault-harness';

jest.setTimeout(300_000);

describe('fault: the ingestion app is SIGKILLed under load, then started again', () => {
  let harness: FaultHarness;

  beforeAll(async () => {
    harness = await FaultHarness.start({ label: 'ingestion_kill', dispatchers: 2 });
  });

  afterAll(async () => {
    await harness?.close();
  });

  it('persists every event once and delivers every one after the restart', async () => {
    const producing = harness.produceSteady('ik');
    await harness.waitUntilAcknowledged('ik', Math.floor(FAULT_EVENTS * 0.3));
    const [victim] = harness.stack.ingestion;
    await harness.stack.kill(victim);
    expect(victim.child.signalCode).toBe('SIGKILL');
    // The load keeps coming while nothing consumes it.
    await new Promise((resolve) => setTimeout(resolve, 2_000));
    await harness.stack.startIngestion();
    await producing;

    const summary = await harness.settle('ik', FAULT_EVENTS);
    await harness.report('ik', 'ingestion SIGKILL + restart', summary, DISPATCH_CONCURRENCY * 2);
    expectEveryEventDelivered(summary, DISPATCH_CONCURRENCY * 2);
    // Re-read messages after the kill are recognised: one row per event, one delivery per event.
    const [rows] = await harness.stack.query<{ events: string; deliveries: string }>(
      `SELECT (SELECT count(*) FROM events WHERE event_id LIKE 'ik-%') AS events, (SELECT count(*) FROM deliveries) AS deliveries`,
    );
    expect(Number(rows.events)).toBe(FAULT_EVENTS);
    expect(Number(rows.deliveries)).toBe(FAULT_EVENTS);
  });
});
