import { PrivatePostgres, waitFor, type AppProcess } from '@lms/testing';
import { expectEveryEventDelivered } from './support/delivery-ledger';
import { DISPATCH_CONCURRENCY, FaultHarness } from './support/fault-harness';

jest.setTimeout(300_000);

const EVENTS = 3_000;
const RATE = 300;
/** Down for about this much of the load (counted on the broker, not timed): a few seconds. */
const DOWN_FOR_SECONDS = 3;

async function readiness(app: AppProcess): Promise<number> {
  const response = await fetch(`http://127.0.0.1:${app.port}/health/ready`, {
    signal: AbortSignal.timeout(5000),
  }).catch(() => undefined);
  return response?.status ?? 0;
}

/**
 * The machine's Postgres is shared and must not be restarted (postgres-connections-cut only ends this
 * stack's sessions): here the stack runs on a Postgres of its own, which is really shut down (fast:
 * sessions ended, checkpoint) and started again on the same port while events flow.
 */
describe('fault: Postgres restarts under load', () => {
  let postgres: PrivatePostgres;
  let harness: FaultHarness;

  beforeAll(async () => {
    postgres = await PrivatePostgres.start();
    // Read by createTestDatabase when the harness builds its stack (jest gives each file its own env).
    process.env.TEST_DATABASE_ADMIN_URL = postgres.adminUrl;
    harness = await FaultHarness.start({ label: 'pg_restart', dispatchers: 2 });
  });

  afterAll(async () => {
    await harness?.close();
    await postgres?.remove();
  });

  it('delivers every event in order after a restart, and both apps are ready again', async () => {
    let produced = 0;
    const producing = harness.produceSteady('pgr', EVENTS, RATE, (count) => (produced = count));
    await harness.waitUntilAcknowledged('pgr', Math.floor(EVENTS * 0.3));
    const apps = harness.stack.apps;
    const notReadyWhileDown = new Set<AppProcess>();
    let downAt = 0;

    await postgres.restart(async () => {
      downAt = Date.now();
      const backlog = Math.min(produced + DOWN_FOR_SECONDS * RATE, EVENTS);
      // The outage is felt (every app's readiness fails) and lasts while the backlog grows.
      await waitFor(
        `every app not ready and ${backlog} events on the broker`,
        async () => {
          for (const app of apps) if ((await readiness(app)) !== 200) notReadyWhileDown.add(app);
          return notReadyWhileDown.size === apps.length && produced >= backlog;
        },
        60_000,
        100,
      );
    });
    const upAt = Date.now();
    await producing;

    const summary = await harness.settle('pgr', EVENTS);
    await harness.report(
      'pgr',
      `Postgres fast shutdown + start (down ${upAt - downAt} ms)`,
      summary,
      DISPATCH_CONCURRENCY * 2,
    );
    // Requests in flight at the shutdown may be sent again (sent, outcome not recorded): bounded.
    expectEveryEventDelivered(summary, DISPATCH_CONCURRENCY * 2);
    const [{ events }] = await harness.stack.query<{ events: string }>(
      `SELECT count(*) AS events FROM events WHERE event_id LIKE 'pgr-%'`,
    );
    expect(Number(events)).toBe(EVENTS);

    expect(notReadyWhileDown.size).toBe(apps.length);
    for (const app of apps) {
      await waitFor(`${app.name} ready again`, async () => (await readiness(app)) === 200, 60_000, 200);
      expect(app.child.exitCode).toBeNull();
    }
  });
});
