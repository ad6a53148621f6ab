import { createServer, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createTestDatabase, TestDatabase, waitFor } from '@lms/testing';
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
  let listener: Server;
  let origin: string;
  /** webhook-id of every request, by path, in arrival order. */
  const received: Record<string, string[]> = { '/doomed': [], '/quiet': [] };

  beforeAll(async () => {
    database = await createTestDatabase('unexpected_errors');
    dispatcher = await startDispatcher(
      dispatcherTestEnv(database.url, { DELIVERY_MAX_UNEXPECTED_ERRORS: '2' }),
    );
    pool = new Pool({ connectionString: database.url, max: 4 });
    factories = new DispatchFactories(pool, new SecretCipher(dispatcher.config.secretsKey));
    // The first request of each path is held until both are in, then both are answered at once, so
    // their outcomes reach the dispatcher's writer together (one group-committed write).
    const held: ServerResponse[] = [];
    listener = createServer((req, res) => {
      req.resume();
      const path = req.url ?? '';
      received[path]?.push(String(req.headers['webhook-id']));
      if (received['/doomed'].length + received['/quiet'].length > 2)
        return void res.writeHead(200).end('ok');
      held.push(res);
      if (held.length === 2) held.forEach((response) => response.writeHead(200).end('ok'));
    });
    await new Promise<void>((resolve) => listener.listen(0, '127.0.0.1', resolve));
    origin = `http://127.0.0.1:${(listener.address() as AddressInfo).port}`;
  });

  afterAll(async () => {
    await dispatcher?.close();
    listener?.closeAllConnections();
    await new Promise((resolve) => listener?.close(resolve));
    await pool?.end();
    await database?.drop();
  });

  it('is DEAD with the reason after DELIVERY_MAX_UNEXPECTED_ERRORS, counted on /metrics, and its lane moves on', async () => {
    const webhook = await factories.webhook({ targetUrl: `${origin}/doomed`, accountId: 7101 });
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

    // Another account's request, answered at the same moment: its outcome shares the failing write.
    const quiet = await factories.webhook({ targetUrl: `${origin}/quiet`, accountId: 7102 });
    const quietDelivery = await factories.delivery(quiet);

    await dispatcher.enqueue(doomed, quietDelivery);

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
    expect(received['/doomed']).toEqual([doomed, doomed, next.id]);

    expect(await factories.deliveryRow(quietDelivery)).toMatchObject({
      status: 'SUCCEEDED',
      attempt_count: 1,
    });
    // Recorded on its first try and sent once: the other account's failing outcome was not its failure.
    expect(received['/quiet']).toEqual([quietDelivery]);

    const metrics = await (await fetch(`http://127.0.0.1:${dispatcher.port}/metrics`)).text();
    expect(metrics).toContain('lmsw_deliveries_given_up_total{error="QueryFailedError"} 1');
    expect(metrics).toContain('lmsw_delivery_unexpected_errors_total{error="QueryFailedError"} 2');
  });
});
