import { AutoDisableScheduler, DeliveryQueueWorker } from '@lms/dispatch';
import { deliverJob } from '@lms/queue-contract';
import { createTestDatabase, startListener, TestDatabase, TestListener, waitFor } from '@lms/testing';
import { SecretCipher } from '@lms/webhook-domain';
import { Pool } from 'pg';
import { DispatchFactories } from './support/dispatch-factories';
import { dispatcherTestEnv, RunningDispatcher, startDispatcher } from './support/dispatcher-harness';

jest.setTimeout(60_000);

describe('dispatcher without private targets; auto-disable; graceful shutdown', () => {
  let database: TestDatabase;
  let dispatcher: RunningDispatcher;
  let pool: Pool;
  let factories: DispatchFactories;
  let target: TestListener;

  beforeAll(async () => {
    database = await createTestDatabase('dispatch_policy');
    dispatcher = await startDispatcher(
      dispatcherTestEnv(database.url, {
        ALLOW_PRIVATE_TARGETS: 'false',
        RETRY_SCHEDULE: '5s',
        AUTO_DISABLE_AFTER: '1h',
      }),
    );
    pool = new Pool({ connectionString: database.url, max: 4 });
    factories = new DispatchFactories(pool, new SecretCipher(dispatcher.config.secretsKey));
    target = await startListener(() => ({ status: 200 }));
  });

  afterAll(async () => {
    await dispatcher?.close();
    await target?.close();
    await pool?.end();
    await database?.drop();
  });

  it('refuses 127.0.0.1 at connect time when private targets are not allowed, recording why; nothing is sent', async () => {
    const webhook = await factories.webhook({ targetUrl: `${target.url}/internal` });
    const id = await factories.delivery(webhook);
    await dispatcher.enqueue(id);
    const row = await waitFor('attempt recorded', async () => {
      const current = await factories.deliveryRow(id);
      return current.attempt_count > 0 ? current : undefined;
    });
    expect(row.status).toBe('RETRYING');
    expect(String(row.last_error)).toMatch(
      /^TARGET_NOT_ALLOWED: 127\.0\.0\.1 → 127\.0\.0\.1 is a loopback address/,
    );
    expect((await factories.attempts(id))[0]).toMatchObject({ status_code: null });
    expect(target.requests).toHaveLength(0);
  });

  it('refuses a webhook saved with an http URL at send time when ALLOW_HTTP_TARGETS=false, recording why; nothing is sent', async () => {
    // Private targets allowed, so the loopback listener would be reachable: only the http rule refuses.
    const local = await startDispatcher(
      dispatcherTestEnv(database.url, {
        QUEUE_PREFIX: `${dispatcher.config.redis.queuePrefix}-https-only`,
        ALLOW_HTTP_TARGETS: 'false',
        RETRY_SCHEDULE: '5s',
      }),
    );
    try {
      // Saved while http was allowed (or written by an older version): the rule of now applies.
      const webhook = await factories.webhook({ targetUrl: `${target.url}/saved-as-http` });
      const id = await factories.delivery(webhook);
      await local.enqueue(id);
      const row = await waitFor('attempt recorded', async () => {
        const current = await factories.deliveryRow(id);
        return current.attempt_count > 0 ? current : undefined;
      });
      expect(row.status).toBe('RETRYING');
      expect(row.last_error).toBe(
        'TARGET_NOT_ALLOWED: plain http targets are not allowed (ALLOW_HTTP_TARGETS=false)',
      );
      expect((await factories.attempts(id))[0]).toMatchObject({ status_code: null });
      expect(target.requests).toHaveLength(0);
    } finally {
      await local.close();
    }
  });

  it('disables a webhook failing for longer than AUTO_DISABLE_AFTER, audits it, cancels its open delivery and drops its lanes', async () => {
    const failing = await factories.webhook({ targetUrl: target.url });
    const recent = await factories.webhook({ targetUrl: target.url });
    await pool.query(`UPDATE webhooks SET failing_since = now() - interval '2 hours' WHERE id = $1`, [
      failing.id,
    ]);
    await pool.query(`UPDATE webhooks SET failing_since = now() - interval '10 minutes' WHERE id = $1`, [
      recent.id,
    ]);
    const waiting = await factories.delivery(failing);
    await factories.laneItems(failing, await factories.events(failing.accountId, 2, { realtime: false }));
    await factories.laneItems(failing, await factories.events(failing.accountId, 1), { kind: 'REALTIME' });
    const recentItems = await factories.events(recent.accountId, 1, { realtime: false });
    await factories.laneItems(recent, recentItems);

    const disabled = await dispatcher.app.get(AutoDisableScheduler).runOnce();

    expect(disabled).toEqual([failing.id]);
    const { rows } = await pool.query(
      `SELECT id, status FROM webhooks WHERE id = ANY($1::uuid[]) ORDER BY status`,
      [[failing.id, recent.id]],
    );
    expect(Object.fromEntries(rows.map((r: { id: string; status: string }) => [r.id, r.status]))).toEqual({
      [failing.id]: 'DISABLED',
      [recent.id]: 'ACTIVE',
    });
    expect(await factories.auditActions(failing.id)).toEqual([{ actor: 'system', action: 'AUTO_DISABLED' }]);
    expect(await factories.deliveryRow(waiting)).toMatchObject({
      status: 'CANCELLED',
      cancelled_by: 'system:webhook-disabled',
    });
    // The events waiting in its lanes (held for the release or not yet sent) are dropped with it and
    // its lanes are idle; the other webhook keeps its own.
    const { rows: waitingItems } = await pool.query(
      `SELECT webhook_id, kind, event_pk::int AS event_pk FROM lane_waiting_items WHERE webhook_id = ANY($1::uuid[])`,
      [[failing.id, recent.id]],
    );
    expect(waitingItems).toEqual([{ webhook_id: recent.id, kind: 'BATCH', event_pk: recentItems[0] }]);
    const { rows: busyLanes } = await pool.query(`SELECT kind FROM lanes WHERE webhook_id = $1 AND busy`, [
      failing.id,
    ]);
    expect(busyLanes).toEqual([]);
  });

  it('exports the queue depth by state on /metrics', async () => {
    const queueJobs = async (state: string): Promise<number> => {
      await dispatcher.app.get(DeliveryQueueWorker).sampleQueueDepth();
      const metrics = await fetch(`http://127.0.0.1:${dispatcher.port}/metrics`).then((response) =>
        response.text(),
      );
      const line = new RegExp(`^lmsw_queue_jobs\\{state="${state}"\\} (\\d+)$`, 'm').exec(metrics);
      if (!line) throw new Error(`no lmsw_queue_jobs sample for ${state}`);
      return Number(line[1]);
    };
    const delayedBefore = await queueJobs('delayed');
    const webhook = await factories.webhook({ targetUrl: target.url });
    const later = await factories.delivery(webhook);
    const job = deliverJob(later, 60_000);
    await dispatcher.queue.add(job.name, job.data, job.opts);

    expect(await queueJobs('delayed')).toBe(delayedBefore + 1);
    await (await dispatcher.queue.getJob(later))?.remove();
    expect(await queueJobs('delayed')).toBe(delayedBefore);
  });

  it('on shutdown, finishes the delivery in flight before closing', async () => {
    const slow = await startListener(() => ({ status: 200, delayMs: 700 }));
    try {
      const local = await startDispatcher(
        dispatcherTestEnv(database.url, { QUEUE_PREFIX: `${dispatcher.config.redis.queuePrefix}-own` }),
      );
      const webhook = await factories.webhook({ targetUrl: slow.url });
      const id = await factories.delivery(webhook);
      await local.enqueue(id);
      await waitFor('request in flight', () => slow.requests.length === 1);
      await local.close();
      expect(await factories.deliveryRow(id)).toMatchObject({ status: 'SUCCEEDED', attempt_count: 1 });
    } finally {
      await slow.close();
    }
  });
});
