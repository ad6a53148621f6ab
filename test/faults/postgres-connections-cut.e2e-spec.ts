import { expectEveryEventDelivered } from './support/delivery-ledger';
import { DISPATCH_CONCURRENCY, FAULT_EVENTS, FaultHarness } from './support/fault-harness';

jest.setTimeout(300_000);

const CUT_AT = [0.2, 0.4, 0.6];
const CUTS = CUT_AT.length;

/**
 * The machine's Postgres is shared with other tests, so it is not restarted: every connection to this
 * stack's database is cut instead (what a restart or failover looks like to the apps), three times
 * during the load.
 */
describe('fault: Postgres connections cut under load', () => {
  let harness: FaultHarness;

  beforeAll(async () => {
    harness = await FaultHarness.start({ label: 'pg_cut', dispatchers: 2 });
  });

  afterAll(async () => {
    await harness?.close();
  });

  it('delivers every event after every connection of the apps was terminated three times', async () => {
    const producing = harness.produceSteady('pg');
    let terminated = 0;
    for (const share of CUT_AT) {
      await harness.waitUntilAcknowledged('pg', Math.floor(FAULT_EVENTS * share));
      const rows = await harness.stack.query<{ pid: number; ok: boolean }>(
        `SELECT pid, pg_terminate_backend(pid) AS ok FROM pg_stat_activity WHERE datname = $1 AND pid <> pg_backend_pid()`,
        [harness.stack.database.name],
      );
      terminated += rows.filter((row) => row.ok).length;
    }
    expect(terminated).toBeGreaterThan(0);
    await producing;

    const summary = await harness.settle('pg', FAULT_EVENTS);
    await harness.report(
      'pg',
      `Postgres connections cut 3× (${terminated} backends)`,
      summary,
      CUTS * DISPATCH_CONCURRENCY * 2,
    );
    // Each cut can fail the status write of every job in flight (sent, not recorded): those are sent again.
    expectEveryEventDelivered(summary, CUTS * DISPATCH_CONCURRENCY * 2);
    const [{ events }] = await harness.stack.query<{ events: string }>(
      `SELECT count(*) AS events FROM events WHERE event_id LIKE 'pg-%'`,
    );
    expect(Number(events)).toBe(FAULT_EVENTS);
  });
});
