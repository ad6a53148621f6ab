import { expectEveryEventDelivered } from './support/delivery-ledger';
import { waitFor } from '@lms/testing';
import { DISPATCH_CONCURRENCY, FAULT_EVENTS, FAULT_RATE, FaultHarness } from './support/fault-harness';

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
    let produced = 0;
    const producing = harness.produceSteady('ik', FAULT_EVENTS, FAULT_RATE, (count) => (produced = count));
    await harness.waitUntilAcknowledged('ik', Math.floor(FAULT_EVENTS * 0.3));
    const [victim] = harness.stack.ingestion;
    await harness.stack.kill(victim);
    expect(victim.child.signalCode).toBe('SIGKILL');
    // The load keeps coming while nothing consumes it: two seconds' worth of events reach the broker
    // (counted, not timed: a slow producer would otherwise put none there).
    const backlog = Math.min(produced + 2 * FAULT_RATE, FAULT_EVENTS);
    await waitFor(`${backlog} events on the broker`, () => produced >= backlog, 120_000, 50);
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
