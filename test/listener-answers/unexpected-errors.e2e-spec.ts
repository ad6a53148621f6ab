import { createTestDatabase, startListener, TestDatabase, TestListener, waitFor } from '@lms/testing';
import { SecretCipher } from '@lms/webhook-domain';
import { Pool } from 'pg';
import { DispatchFactories } from '../dispatcher/support/dispatch-factories';
import {
  dispatcherTestEnv,
  RunningDispatcher,
  startDispatcher,
} from '../dispatcher/support/dispatcher-harness';

jest.setTimeout(60_000);

/**
 * A delivery whose job fails on an error that is not a failed attempt (here: Postgres refuses its
 * outcome through a trigger, SQLSTATE P0001, every time) is not retried for ever: after
 * DELIVERY_MAX_UNEXPECTED_ERRORS it is DEAD with the reason, counted on /metrics, and its lane moves on.
 */
describe('dispatcher: a delivery failing on unexpected errors is given up (real Postgres, Redis, HTTP)', () => {
  let database: TestDatabase;
  let dispatcher: RunningDispatcher;
  let pool: Pool;
  let factories: DispatchFactories;
  let target: TestListener;

  beforeAll(async () => {
    database = await createTestDatabase('unexpected_errors');
    dispatcher = await startDispatcher(
      dispatcherTestEnv(database.url, { DELIVERY_MAX_UNEXPECTED_ERRORS: '2' }),
    );
    pool = new Pool({ connectionString: database.url, max: 4 });
    factories = new DispatchFactories(pool, new SecretCipher(dispatcher.config.secretsKey));
    target = await startListener(() => ({ status: 200, body: 'ok' }));
  });

  afterAll(async () => {
    await dispatcher?.close();
    await target?.close();
    await pool?.end();
    await database?.drop();
  });

  it('is DEAD with the reason after DELIVERY_MAX_UNEXPECTED_ERRORS, counted on /metrics, and its lane moves on', async () => {
    const webhook = await factories.webhook({ targetUrl: target.url, accountId: 7101 });
    const doomed = await factories.delivery(webhook);
    const [behind] = await factories.events(webhook.accountId, 1);
    await factories.laneItems(webhook, [behind], { kind: 'REALTIME' });
    await pool.query(`UPDATE lanes SET busy = true WHERE webhook_id = $1 AND kind = 'REALTIME'`, [
      webhook.id,
    ]);
    await pool.query(`
      CREATE FUNCTION refuse_attempt() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN RAISE EXCEPTION 'attempt refused for the test' USING ERRCODE = 'P0001'; END $$;
      CREATE TRIGGER refuse_attempt BEFORE INSERT ON delivery_attempts FOR EACH ROW
        WHEN (NEW.delivery_id = '${doomed}'::uuid) EXECUTE FUNCTION refuse_attempt();`);

    await dispatcher.enqueue(doomed);

    const dead = await waitFor(
      'the delivery DEAD',
      async () => {
        const row = await factories.deliveryRow(doomed);
        return row.status === 'DEAD' ? row : undefined;
      },
      30_000,
    );
    expect(dead.last_error).toBe(
      'QueryFailedError: gave up after 2 unexpected errors: attempt refused for the test',
    );
    // Its lane moved on: the event behind it went out in the next request, which succeeded.
    const next = await waitFor('the next request of the lane SUCCEEDED', async () => {
      const { rows } = await pool.query<{ id: string }>(
        `SELECT id FROM deliveries WHERE webhook_id = $1 AND id <> $2 AND status = 'SUCCEEDED'`,
        [webhook.id, doomed],
      );
      return rows[0];
    });
    expect(await factories.laneEventPks(webhook.id, 'REALTIME')).toEqual([]);
    // Sent once per try (its outcome never stuck), then the next request: nothing after giving up.
    expect(target.requests.map((request) => request.headers['webhook-id'])).toEqual([
      doomed,
      doomed,
      next.id,
    ]);

    const metrics = await (await fetch(`http://127.0.0.1:${dispatcher.port}/metrics`)).text();
    expect(metrics).toContain('lmsw_deliveries_given_up_total{error="QueryFailedError"} 1');
    expect(metrics).toContain('lmsw_delivery_unexpected_errors_total{error="QueryFailedError"} 2');
  });
});
