import { BatchReleaseScheduler } from '@lms/dispatch';
import { Metrics } from '@lms/observability';
import {
  createTestDatabase,
  listenForLaneWakeUps,
  startListener,
  TestDatabase,
  TestListener,
  waitFor,
  type LaneWakeAnnouncements,
} from '@lms/testing';
import { SecretCipher } from '@lms/webhook-domain';
import { Pool } from 'pg';
import { DispatchFactories } from './support/dispatch-factories';
import {
  dispatcherTestEnv,
  recordJobsQueuedBy,
  RunningDispatcher,
  startDispatcher,
} from './support/dispatcher-harness';

jest.setTimeout(60_000);

interface BatchBody {
  accountId: number;
  events: Array<{ eventId: string; timestamp: number }>;
}

/**
 * BATCH_CRON releases the non-real-time events held in BATCH lanes and wakes those lanes: the
 * release's commit announces them on lmsw_lane_wake and their owner drains them asynchronously (no
 * queue job), so the tests wait for the listener, not for releaseAll(). Lane order is arrival order (the order ingestion appended the items, i.e. partition
 * order), not event time: a batch is sent in the order its events arrived.
 */
describe('dispatcher: non-real-time lanes released by BATCH_CRON', () => {
  let database: TestDatabase;
  let replicas: RunningDispatcher[];
  let pool: Pool;
  let factories: DispatchFactories;
  let target: TestListener;
  let announcements: LaneWakeAnnouncements;
  /** Names of the jobs the replicas put on the delivery queue (each call passes through). */
  const queuedJobs: Array<{ name: string; data: unknown }> = [];

  beforeAll(async () => {
    database = await createTestDatabase('dispatch_batch');
    const env = dispatcherTestEnv(database.url, { BATCH_MAX_EVENTS: '10' });
    // Two replicas on one queue and one database, as ops would run them.
    replicas = [await startDispatcher(env), await startDispatcher(env)];
    pool = new Pool({ connectionString: database.url, max: 4 });
    factories = new DispatchFactories(pool, new SecretCipher(replicas[0].config.secretsKey));
    target = await startListener(() => ({ status: 200 }));
    announcements = await listenForLaneWakeUps(database.url);
    for (const replica of replicas) recordJobsQueuedBy(replica, queuedJobs);
  });

  afterAll(async () => {
    await announcements?.close();
    for (const replica of replicas ?? []) await replica.close();
    await target?.close();
    await pool?.end();
    await database?.drop();
  });

  const releaseAll = (replica: RunningDispatcher) => replica.app.get(BatchReleaseScheduler).releaseAll();
  const bodiesFor = (path: string) =>
    target.requests.filter((r) => r.path === path).map((r) => JSON.parse(r.body) as BatchBody);
  const eventIdsOf = async (pks: number[]): Promise<string[]> => {
    const { rows } = await pool.query<{ event_id: string }>(
      `SELECT e.event_id FROM unnest($1::bigint[]) WITH ORDINALITY AS t(pk, ord) JOIN events e ON e.id = t.pk
        ORDER BY t.ord`,
      [pks],
    );
    return rows.map((row) => row.event_id);
  };
  /** Wake-ups the replicas acted on because they heard an announcement (not their sweep). */
  const heardByNotify = async (): Promise<number> => {
    let sum = 0;
    for (const replica of replicas) {
      for (const value of (await replica.app.get(Metrics).laneWakeUpsHeard.get()).values)
        if (value.labels.source === 'notify') sum += value.value;
    }
    return sum;
  };
  const laneJobsOf = (webhookId: string) =>
    queuedJobs.filter((job) => (job.data as { webhookId?: string }).webhookId === webhookId);
  const laneOf = async (webhookId: string) =>
    (
      await pool.query<{ busy: boolean; items: number }>(
        `SELECT l.busy, (SELECT count(*)::int FROM lane_waiting_items li WHERE li.webhook_id = l.webhook_id AND li.kind = l.kind) AS items
           FROM lanes l WHERE l.webhook_id = $1 AND l.kind = 'BATCH'`,
        [webhookId],
      )
    ).rows[0];

  it("sends a webhook's waiting events as one request, in lane (arrival) order, and empties its lane", async () => {
    const webhook = await factories.webhook({ targetUrl: `${target.origin}/one-request` });
    // Event times out of arrival order on purpose: the lane keeps arrival order, not event time.
    const occurred = [5, 1, 4, 2, 3].map((n) => 1_727_000_000_000 + n * 1000);
    const pks = await factories.events(webhook.accountId, 5, {
      realtime: false,
      occurredAt: (i) => occurred[i],
    });
    await factories.laneItems(webhook, pks);
    const heardBefore = await heardByNotify();

    expect(await releaseAll(replicas[0])).toEqual({ events: 5, lanes: 1, lockedOut: false });

    // The release's commit announced the lane (a LISTEN connection of the test's own hears it), and
    // a replica answered the announcement: no advance-lane job.
    await waitFor('the lane announced', () => announcements.kindsOf(webhook.id).length > 0);
    expect(announcements.kindsOf(webhook.id)).toEqual(['BATCH']);
    await waitFor('batch request', () => bodiesFor('/one-request').length === 1);
    expect(await heardByNotify()).toBeGreaterThan(heardBefore);
    expect(laneJobsOf(webhook.id)).toEqual([]);
    const [body] = bodiesFor('/one-request');
    expect(body.events.map((e) => e.eventId)).toEqual(await eventIdsOf(pks));
    expect(body.events.map((e) => e.timestamp)).toEqual(occurred);
    await waitFor('SUCCEEDED and the lane idle', async () => {
      const { rows } = await pool.query(`SELECT status FROM deliveries WHERE webhook_id = $1`, [webhook.id]);
      return rows[0]?.status === 'SUCCEEDED' && !(await laneOf(webhook.id)).busy;
    });
    const { rows } = await pool.query(
      `SELECT kind, event_count, status FROM deliveries WHERE webhook_id = $1`,
      [webhook.id],
    );
    expect(rows).toEqual([{ kind: 'BATCH', event_count: 5, status: 'SUCCEEDED' }]);
    expect(await laneOf(webhook.id)).toEqual({ busy: false, items: 0 });
    expect(bodiesFor('/one-request')).toHaveLength(1);
  });

  it('splits more than BATCH_MAX_EVENTS into several requests, sent one after another in lane order', async () => {
    const webhook = await factories.webhook({ targetUrl: `${target.origin}/split` });
    const pks = await factories.events(webhook.accountId, 25, {
      realtime: false,
      occurredAt: (i) => 1_727_100_000_000 + (24 - i) * 10,
    });
    await factories.laneItems(webhook, pks);

    expect(await releaseAll(replicas[0])).toEqual({ events: 25, lanes: 1, lockedOut: false });

    await waitFor('3 batch requests', () => bodiesFor('/split').length === 3);
    // max_in_flight 1: each request leaves after the previous one was acknowledged, so the listener
    // sees them, and every event, in lane order.
    const bodies = bodiesFor('/split');
    expect(bodies.map((b) => b.events.length)).toEqual([10, 10, 5]);
    expect(bodies.flatMap((b) => b.events.map((e) => e.eventId))).toEqual(await eventIdsOf(pks));
    const { rows } = await pool.query(
      `SELECT d.kind, array_agg(de.event_pk ORDER BY de.position) AS pks
         FROM deliveries d JOIN delivery_events de ON de.delivery_id = d.id
        WHERE d.webhook_id = $1 GROUP BY d.id, d.kind ORDER BY min(de.event_pk)`,
      [webhook.id],
    );
    expect(rows.map((row: { kind: string }) => row.kind)).toEqual(['BATCH', 'BATCH', 'BATCH']);
    expect(rows.flatMap((row: { pks: string[] }) => row.pks.map(Number))).toEqual(pks);
  });

  it('two replicas releasing at once never put an event in two deliveries nor send it twice', async () => {
    const webhooks = [
      await factories.webhook({ targetUrl: `${target.origin}/race-a` }),
      await factories.webhook({ targetUrl: `${target.origin}/race-b` }),
    ];
    const pksByWebhook: number[][] = [];
    for (const webhook of webhooks) {
      const created = await factories.events(webhook.accountId, 95, { realtime: false });
      await factories.laneItems(webhook, created);
      pksByWebhook.push(created);
    }
    const results = await Promise.all(
      replicas.flatMap((replica) => [releaseAll(replica), releaseAll(replica)]),
    );
    // One release takes every held event at once, under the release lock: each other call was locked
    // out or found nothing left to release.
    expect(results.some((result) => result.events === 190)).toBe(true);
    for (const result of results) expect([0, 190]).toContain(result.events);

    const sentTo = (path: string) => bodiesFor(path).flatMap((b) => b.events.map((e) => e.eventId));
    await waitFor('every event sent', () => sentTo('/race-a').length + sentTo('/race-b').length >= 190);
    await waitFor('every delivery finished', async () => {
      const { rows } = await pool.query(
        `SELECT count(*)::int AS n FROM deliveries WHERE webhook_id = ANY($1::uuid[]) AND status <> 'SUCCEEDED'`,
        [webhooks.map((w) => w.id)],
      );
      return rows[0].n === 0;
    });
    const { rows } = await pool.query(
      `SELECT de.event_pk, count(*)::int AS n FROM delivery_events de JOIN deliveries d ON d.id = de.delivery_id
        WHERE d.webhook_id = ANY($1::uuid[]) GROUP BY de.event_pk`,
      [webhooks.map((w) => w.id)],
    );
    expect(rows).toHaveLength(190);
    expect(rows.every((row: { n: number }) => row.n === 1)).toBe(true);
    // Each webhook received each of its events exactly once, in lane order.
    expect(sentTo('/race-a')).toEqual(await eventIdsOf(pksByWebhook[0]));
    expect(sentTo('/race-b')).toEqual(await eventIdsOf(pksByWebhook[1]));
  });

  it('sends nothing to a webhook that is inactive, disabled or deleted; its lane goes idle', async () => {
    const silent = [
      await factories.webhook({ targetUrl: `${target.origin}/silent`, status: 'INACTIVE' }),
      await factories.webhook({ targetUrl: `${target.origin}/silent`, status: 'DISABLED' }),
      await factories.webhook({ targetUrl: `${target.origin}/silent`, deleted: true }),
    ];
    for (const webhook of silent)
      await factories.laneItems(webhook, await factories.events(webhook.accountId, 3, { realtime: false }));
    // An active webhook released in the same round: once it has its request, the round was worked.
    const active = await factories.webhook({ targetUrl: `${target.origin}/active` });
    await factories.laneItems(active, await factories.events(active.accountId, 2, { realtime: false }));

    expect(await releaseAll(replicas[0])).toEqual({ events: 11, lanes: 4, lockedOut: false });

    await waitFor('the active webhook request', () => bodiesFor('/active').length === 1);
    await waitFor('every lane idle', async () => {
      for (const webhook of [...silent, active]) if ((await laneOf(webhook.id)).busy) return false;
      return true;
    });
    expect(bodiesFor('/silent')).toEqual([]);
    const { rows } = await pool.query(
      `SELECT count(*)::int AS n FROM deliveries WHERE webhook_id = ANY($1::uuid[])`,
      [silent.map((w) => w.id)],
    );
    expect(rows[0].n).toBe(0);
  });
});
