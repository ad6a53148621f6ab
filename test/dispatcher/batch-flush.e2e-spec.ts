import { BatchFlushScheduler } from '@lms/dispatch';
import { createTestDatabase, startListener, TestDatabase, TestListener, waitFor } from '@lms/testing';
import { SecretCipher } from '@lms/webhook-domain';
import { Pool } from 'pg';
import { DispatchFactories } from './support/dispatch-factories';
import { dispatcherTestEnv, RunningDispatcher, startDispatcher } from './support/dispatcher-harness';

jest.setTimeout(60_000);

interface BatchBody {
  accountId: number;
  events: Array<{ eventId: string; timestamp: number }>;
}

describe('dispatcher: non-real-time batches', () => {
  let database: TestDatabase;
  let replicas: RunningDispatcher[];
  let pool: Pool;
  let factories: DispatchFactories;
  let target: TestListener;

  beforeAll(async () => {
    database = await createTestDatabase('dispatch_batch');
    const env = dispatcherTestEnv(database.url, { BATCH_MAX_EVENTS: '10' });
    // Two replicas on one queue and one database, as ops would run them.
    replicas = [await startDispatcher(env), await startDispatcher(env)];
    pool = new Pool({ connectionString: database.url, max: 4 });
    factories = new DispatchFactories(pool, new SecretCipher(replicas[0].config.secretsKey));
    target = await startListener(() => ({ status: 200 }));
  });

  afterAll(async () => {
    for (const replica of replicas ?? []) await replica.close();
    await target?.close();
    await pool?.end();
    await database?.drop();
  });

  const receivedBodies = () => target.requests.map((r) => JSON.parse(r.body) as BatchBody);

  it("sends a webhook's waiting events as one request, in event-time order, and empties batch_items", async () => {
    target.requests.length = 0;
    const webhook = await factories.webhook({ targetUrl: target.url });
    // Inserted out of event-time order on purpose.
    const occurred = [5, 1, 4, 2, 3].map((n) => 1_727_000_000_000 + n * 1000);
    const pks = await factories.events(webhook.accountId, 5, {
      realtime: false,
      occurredAt: (i) => occurred[i],
    });
    await factories.batchItems(webhook, pks);

    const result = await replicas[0].app.get(BatchFlushScheduler).flushAll();
    expect(result).toEqual({ deliveries: 1, events: 5, lockedOut: false });

    await waitFor('batch request', () => target.requests.length === 1);
    const [body] = receivedBodies();
    expect(body.events.map((e) => e.timestamp)).toEqual([...occurred].sort());
    const { rows } = await pool.query(
      `SELECT kind, event_count, status FROM deliveries WHERE webhook_id = $1`,
      [webhook.id],
    );
    await waitFor(
      'SUCCEEDED',
      async () =>
        (
          await pool.query(`SELECT 1 FROM deliveries WHERE webhook_id = $1 AND status = 'SUCCEEDED'`, [
            webhook.id,
          ])
        ).rowCount === 1,
    );
    expect(rows).toEqual([expect.objectContaining({ kind: 'BATCH', event_count: 5 })]);
    expect((await pool.query(`SELECT count(*)::int AS n FROM batch_items`)).rows[0].n).toBe(0);
  });

  it('splits more than BATCH_MAX_EVENTS into several requests, keeping the order across them', async () => {
    target.requests.length = 0;
    const webhook = await factories.webhook({ targetUrl: target.url });
    const pks = await factories.events(webhook.accountId, 25, {
      realtime: false,
      occurredAt: (i) => 1_727_100_000_000 + (24 - i) * 10,
    });
    await factories.batchItems(webhook, pks);

    const result = await replicas[0].app.get(BatchFlushScheduler).flushAll();
    expect(result).toMatchObject({ deliveries: 3, events: 25 });

    await waitFor('3 batch requests', () => target.requests.length === 3);
    const bodies = receivedBodies();
    expect(bodies.map((b) => b.events.length).sort()).toEqual([10, 10, 5]);
    const { rows } = await pool.query(
      `SELECT d.id, array_agg(e.occurred_at ORDER BY de.position) AS times, min(e.occurred_at) AS first
         FROM deliveries d JOIN delivery_events de ON de.delivery_id = d.id JOIN events e ON e.id = de.event_pk
        WHERE d.webhook_id = $1 GROUP BY d.id ORDER BY first`,
      [webhook.id],
    );
    const all = (rows as Array<{ times: string[] }>).flatMap((row) => row.times.map(Number));
    expect(all).toEqual([...all].sort((a, b) => a - b));
    expect(all).toHaveLength(25);
  });

  it('two replicas flushing at once never put an event in two deliveries nor send it twice', async () => {
    target.requests.length = 0;
    const webhooks = [
      await factories.webhook({ targetUrl: target.url }),
      await factories.webhook({ targetUrl: target.url }),
    ];
    const pks: number[] = [];
    for (const webhook of webhooks) {
      const created = await factories.events(webhook.accountId, 95, { realtime: false });
      await factories.batchItems(webhook, created);
      pks.push(...created);
    }
    const results = await Promise.all(
      replicas.flatMap((replica) => [
        replica.app.get(BatchFlushScheduler).flushAll(),
        replica.app.get(BatchFlushScheduler).flushAll(),
      ]),
    );
    // A replica locked out of a round stops; whatever it left is taken by the next flush.
    await replicas[1].app.get(BatchFlushScheduler).flushAll();
    await replicas[0].app.get(BatchFlushScheduler).flushAll();
    expect(results.length).toBe(4);

    const { rows } = await pool.query(
      `SELECT de.event_pk, count(*)::int AS n FROM delivery_events de JOIN deliveries d ON d.id = de.delivery_id
        WHERE d.webhook_id = ANY($1::uuid[]) GROUP BY de.event_pk`,
      [webhooks.map((w) => w.id)],
    );
    expect(rows).toHaveLength(190);
    expect(rows.every((row: { n: number }) => row.n === 1)).toBe(true);

    await waitFor('every batch sent', async () => {
      const { rows: open } = await pool.query(
        `SELECT count(*)::int AS n FROM deliveries WHERE webhook_id = ANY($1::uuid[]) AND status <> 'SUCCEEDED'`,
        [webhooks.map((w) => w.id)],
      );
      return open[0].n === 0;
    });
    const sentEventIds = target.requests.flatMap((r) =>
      (JSON.parse(r.body) as BatchBody).events.map((e) => e.eventId),
    );
    expect(sentEventIds).toHaveLength(190);
    expect(new Set(sentEventIds).size).toBe(190);
  });

  it('leaves the items of a webhook that is not ACTIVE in place', async () => {
    const webhook = await factories.webhook({ targetUrl: target.url, status: 'INACTIVE' });
    await factories.batchItems(webhook, await factories.events(webhook.accountId, 3, { realtime: false }));
    const result = await replicas[0].app.get(BatchFlushScheduler).flushAll();
    expect(result.deliveries).toBe(0);
    expect(
      (await pool.query(`SELECT count(*)::int AS n FROM batch_items WHERE webhook_id = $1`, [webhook.id]))
        .rows[0].n,
    ).toBe(3);
  });
});
