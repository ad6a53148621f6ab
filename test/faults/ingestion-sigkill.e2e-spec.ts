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
    // Re-read messages after the kill are recognised: one row per event, and each event in exactly one
    // delivery (a delivery is one request carrying several events of its lane).
    const [rows] = await harness.stack.query<{ events: string; carried: string; distinct: string }>(
      `SELECT (SELECT count(*) FROM events WHERE event_id LIKE 'ik-%') AS events,
              (SELECT count(*) FROM delivery_events) AS carried,
              (SELECT count(DISTINCT event_pk) FROM delivery_events) AS distinct`,
    );
    expect(Number(rows.events)).toBe(FAULT_EVENTS);
    expect(Number(rows.carried)).toBe(FAULT_EVENTS);
    expect(Number(rows.distinct)).toBe(FAULT_EVENTS);
  });
});
