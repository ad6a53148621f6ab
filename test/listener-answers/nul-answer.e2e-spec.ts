import { BINARY_SNIPPET_MARKER } from '@lms/http-delivery';
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

/** What a UTF-16 or binary answer does by accident: a NUL byte, which Postgres text refuses. */
const NUL_ANSWER = '{"ok":true}\u0000';

/**
 * A listener's answer is data, never a cause of failure: a 200 whose body holds a NUL byte is recorded
 * as delivered, its lane moves on, and another account's deliveries beside it are recorded too.
 */
describe('dispatcher: a listener answering 200 with a NUL byte (real Postgres, Redis, HTTP)', () => {
  let database: TestDatabase;
  let dispatcher: RunningDispatcher;
  let pool: Pool;
  let factories: DispatchFactories;
  let nulListener: TestListener;
  let quietListener: TestListener;

  beforeAll(async () => {
    database = await createTestDatabase('nul_answer');
    dispatcher = await startDispatcher(dispatcherTestEnv(database.url));
    pool = new Pool({ connectionString: database.url, max: 4 });
    factories = new DispatchFactories(pool, new SecretCipher(dispatcher.config.secretsKey));
    nulListener = await startListener(() => ({ status: 200, body: NUL_ANSWER }));
    quietListener = await startListener(() => ({ status: 200, body: 'thanks' }));
  });

  afterAll(async () => {
    await dispatcher?.close();
    await nulListener?.close();
    await quietListener?.close();
    await pool?.end();
    await database?.drop();
  });

  it('records the delivery as SUCCEEDED with a storable snippet, and its lane moves on to the next request', async () => {
    const noisy = await factories.webhook({ targetUrl: nulListener.url, accountId: 7001 });
    const quiet = await factories.webhook({ targetUrl: quietListener.url, accountId: 7002 });
    // Each lane: one open request, an event waiting behind it, the lane busy (as advance_lane leaves it).
    const first = await factories.delivery(noisy);
    const quietFirst = await factories.delivery(quiet);
    for (const webhook of [noisy, quiet]) {
      await factories.laneItems(webhook, await factories.events(webhook.accountId, 1), { kind: 'REALTIME' });
      await pool.query(`UPDATE lanes SET busy = true WHERE webhook_id = $1 AND kind = 'REALTIME'`, [
        webhook.id,
      ]);
    }

    // Queued together, so their outcomes can share one group-committed write.
    await dispatcher.enqueue(first, quietFirst);

    const lanesDone = (webhookId: string) =>
      waitFor(`the lane of ${webhookId} empty with both requests delivered`, async () => {
        const { rows } = await pool.query<{ status: string; n: number }>(
          `SELECT status, count(*)::int AS n FROM deliveries WHERE webhook_id = $1 GROUP BY status`,
          [webhookId],
        );
        const pending = await factories.laneEventPks(webhookId, 'REALTIME');
        return rows.length === 1 && rows[0].status === 'SUCCEEDED' && rows[0].n === 2 && pending.length === 0
          ? rows
          : undefined;
      });
    await lanesDone(noisy.id);
    await lanesDone(quiet.id);

    expect(await factories.deliveryRow(first)).toMatchObject({
      status: 'SUCCEEDED',
      attempt_count: 1,
      last_status_code: 200,
      last_error: null,
    });
    const [attempt] = await factories.attempts(first);
    expect(attempt).toMatchObject({ attempt_number: 1, status_code: 200, error: null });
    expect(attempt.response_snippet).toBe(
      BINARY_SNIPPET_MARKER + Buffer.from(NUL_ANSWER, 'utf8').toString('base64'),
    );
    // Each request was sent once: a recorded outcome is not sent again.
    expect(nulListener.requests).toHaveLength(2);
    expect(quietListener.requests).toHaveLength(2);
    expect(await factories.attempts(quietFirst)).toEqual([
      expect.objectContaining({ status_code: 200, response_snippet: 'thanks' }),
    ]);
  });
});
