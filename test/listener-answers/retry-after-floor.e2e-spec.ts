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
 * A listener cannot shorten the back-off: `429` with `Retry-After: 0` gets the attempts the schedule
 * allows and no more (before, the next attempt followed at once, thousands of times).
 */
describe('dispatcher: Retry-After can lengthen the back-off, never shorten it (real Postgres, Redis, HTTP)', () => {
  let database: TestDatabase;
  let dispatcher: RunningDispatcher;
  let pool: Pool;
  let factories: DispatchFactories;
  let target: TestListener;

  beforeAll(async () => {
    database = await createTestDatabase('retry_after_floor');
    dispatcher = await startDispatcher(
      dispatcherTestEnv(database.url, {
        // Attempts at 0, 300, 900 and 2,100 ms; the next (3,300 ms) would pass the 3 s window: DEAD.
        RETRY_SCHEDULE: '300ms,600ms,1200ms',
        RETRY_JITTER_PERCENT: '0',
        RETRY_MAX_AGE: '3s',
      }),
    );
    pool = new Pool({ connectionString: database.url, max: 4 });
    factories = new DispatchFactories(pool, new SecretCipher(dispatcher.config.secretsKey));
    target = await startListener(() => ({ status: 429, headers: { 'retry-after': '0' }, body: 'slow down' }));
  });

  afterAll(async () => {
    await dispatcher?.close();
    await target?.close();
    await pool?.end();
    await database?.drop();
  });

  it("429 with Retry-After: 0 gets the schedule's attempts, no more, then the delivery is DEAD", async () => {
    const webhook = await factories.webhook({ targetUrl: target.url, accountId: 7201 });
    const id = await factories.delivery(webhook);
    await dispatcher.enqueue(id);

    const dead = await waitFor('the delivery DEAD', async () => {
      const row = await factories.deliveryRow(id);
      return row.status === 'DEAD' ? row : undefined;
    });
    expect(dead.attempt_count).toBe(4);
    expect(target.requests).toHaveLength(4);
    const gaps = target.requests
      .slice(1)
      .map((request, index) => request.receivedAt - target.requests[index].receivedAt);
    // Each wait at least its scheduled step (timers may run late, never early).
    gaps.forEach((gapMs, index) => expect(gapMs).toBeGreaterThanOrEqual([300, 600, 1200][index] - 20));
  });
});
