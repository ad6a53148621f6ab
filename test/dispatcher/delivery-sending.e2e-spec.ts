import { DeliveryOutcomeWriter } from '@lms/dispatch';
import { generateSigningSecret } from '@lms/http-delivery';
import {
  createTestDatabase,
  ListenerBehaviour,
  NO_ANSWER,
  ReceivedRequest,
  startListener,
  TestDatabase,
  TestListener,
  waitFor,
} from '@lms/testing';
import { SecretCipher } from '@lms/webhook-domain';
import { Pool } from 'pg';
import { Webhook } from 'standardwebhooks';
import { DispatchFactories } from './support/dispatch-factories';
import { dispatcherTestEnv, RunningDispatcher, startDispatcher } from './support/dispatcher-harness';

jest.setTimeout(60_000);

function verifyWith(secret: string, request: ReceivedRequest): unknown {
  return new Webhook(secret).verify(request.body, {
    'webhook-id': String(request.headers['webhook-id']),
    'webhook-timestamp': String(request.headers['webhook-timestamp']),
    'webhook-signature': String(request.headers['webhook-signature']),
  });
}

describe('dispatcher: sending, outcomes and retries (real Postgres, Redis, HTTP)', () => {
  let database: TestDatabase;
  let dispatcher: RunningDispatcher;
  let pool: Pool;
  let factories: DispatchFactories;
  const listeners: TestListener[] = [];

  async function listener(behaviour: ListenerBehaviour = () => ({ status: 200 })): Promise<TestListener> {
    const started = await startListener(behaviour);
    listeners.push(started);
    return started;
  }

  const settled = (id: string, status = 'SUCCEEDED') =>
    waitFor(`delivery ${id} ${status}`, async () => {
      const row = await factories.deliveryRow(id);
      return row.status === status ? row : undefined;
    });

  beforeAll(async () => {
    database = await createTestDatabase('dispatch_sending');
    dispatcher = await startDispatcher(
      dispatcherTestEnv(database.url, {
        RETRY_SCHEDULE: '100ms,200ms,300ms,1500ms',
        DELIVERY_TIMEOUT_MS: '400',
      }),
    );
    pool = new Pool({ connectionString: database.url, max: 4 });
    factories = new DispatchFactories(pool, new SecretCipher(dispatcher.config.secretsKey));
  });

  afterAll(async () => {
    await dispatcher?.close();
    await Promise.all(listeners.map((l) => l.close()));
    await pool?.end();
    await database?.drop();
  });

  it('sends the envelope signed per Standard Webhooks; during a rotation the old or the new secret alone verifies', async () => {
    const target = await listener();
    const [oldSecret, newSecret] = [generateSigningSecret(), generateSigningSecret()];
    const webhook = await factories.webhook({
      targetUrl: `${target.origin}/lms`,
      authType: 'SIGNATURE',
      secrets: [{ secret: oldSecret, expiresAt: new Date(Date.now() + 3_600_000) }, { secret: newSecret }],
    });
    const id = await factories.delivery(webhook);
    await dispatcher.enqueue(id);
    const row = await settled(id);

    expect(row.attempt_count).toBe(1);
    expect(row.delivered_at).toBeInstanceOf(Date);
    const [request] = target.requests;
    expect(request.path).toBe('/lms');
    expect(request.headers['webhook-id']).toBe(id);
    expect(request.headers['content-type']).toBe('application/json');
    expect(request.headers['user-agent']).toMatch(/^lms-webhooks\/\d+\.\d+\.\d+$/);
    // Current and previous: the schema holds no more than these two.
    expect(String(request.headers['webhook-signature']).split(' ')).toHaveLength(2);
    const expected = {
      accountId: 1010,
      events: [expect.objectContaining({ eventName: 'COURSE_ENROLLMENT', eventInfo: 'info' })],
    };
    expect(verifyWith(oldSecret, request)).toEqual(expected);
    expect(verifyWith(newSecret, request)).toEqual(expected);
    expect(() => verifyWith(generateSigningSecret(), request)).toThrow();
    // data goes out byte for byte as stored
    expect(request.body).toMatch(/"data":\{"userId":\d+,"loId":"course:7374992"\}/);
  });

  it('stops signing with the previous secret once its overlap is over', async () => {
    const target = await listener();
    const [expired, current] = [generateSigningSecret(), generateSigningSecret()];
    const webhook = await factories.webhook({
      targetUrl: target.url,
      authType: 'SIGNATURE',
      secrets: [{ secret: expired, expiresAt: new Date(Date.now() - 1000) }, { secret: current }],
    });
    const id = await factories.delivery(webhook);
    await dispatcher.enqueue(id);
    await settled(id);
    const [request] = target.requests;
    expect(String(request.headers['webhook-signature']).split(' ')).toHaveLength(1);
    expect(() => verifyWith(current, request)).not.toThrow();
    expect(() => verifyWith(expired, request)).toThrow();
  });

  it('the schema refuses a third signing secret for a webhook (at most a current and a previous one)', async () => {
    const webhook = await factories.webhook({
      targetUrl: 'http://127.0.0.1:9/never',
      authType: 'SIGNATURE',
      secrets: [
        { secret: generateSigningSecret(), expiresAt: new Date(Date.now() + 60_000) },
        { secret: generateSigningSecret() },
      ],
    });
    const insert = (expiresAt: Date | null) =>
      pool.query(
        `INSERT INTO webhook_secrets (id, webhook_id, secret_enc, expires_at) VALUES (gen_random_uuid(), $1, 'x', $2)`,
        [webhook.id, expiresAt],
      );
    await expect(insert(null)).rejects.toThrow(/webhook_secrets_current_uq/);
    await expect(insert(new Date(Date.now() + 60_000))).rejects.toThrow(/webhook_secrets_previous_uq/);
  });

  it('sends Basic credentials', async () => {
    const target = await listener();
    const webhook = await factories.webhook({
      targetUrl: target.url,
      authType: 'BASIC',
      basic: { username: 'lms', password: 's3cret:x' },
    });
    const id = await factories.delivery(webhook);
    await dispatcher.enqueue(id);
    await settled(id);
    expect(target.requests[0].headers.authorization).toBe(
      `Basic ${Buffer.from('lms:s3cret:x').toString('base64')}`,
    );
    expect(target.requests[0].headers['webhook-signature']).toBeUndefined();
  });

  it('retries a listener failing 3 times, then records 4 attempts and SUCCEEDED; webhook-id is stable', async () => {
    const target = await listener((_, index) =>
      index < 3 ? { status: 500, body: 'boom' } : { status: 200, body: 'ok' },
    );
    const webhook = await factories.webhook({ targetUrl: target.url });
    const id = await factories.delivery(webhook);
    await dispatcher.enqueue(id);
    const row = await settled(id);
    expect(row.attempt_count).toBe(4);
    expect(row.last_error).toBeNull();
    expect(target.requests.map((r) => r.headers['webhook-id'])).toEqual([id, id, id, id]);
    const attempts = await factories.attempts(id);
    expect(attempts.map((a) => [a.attempt_number, a.status_code, a.error])).toEqual([
      [1, 500, 'HTTP 500'],
      [2, 500, 'HTTP 500'],
      [3, 500, 'HTTP 500'],
      [4, 200, null],
    ]);
    expect(attempts[0].response_snippet).toBe('boom');
    const { rows } = await pool.query('SELECT failing_since FROM webhooks WHERE id = $1', [webhook.id]);
    expect(rows[0].failing_since).toBeNull();
  });

  it('retries a timeout', async () => {
    const target = await listener((_, index) =>
      // the first request never gets an answer: the 400 ms response timeout fires
      index > 0 ? { status: 200 } : NO_ANSWER,
    );
    const webhook = await factories.webhook({ targetUrl: target.url });
    const id = await factories.delivery(webhook);
    await dispatcher.enqueue(id);
    await settled(id);
    const attempts = await factories.attempts(id);
    expect(attempts[0]).toMatchObject({ status_code: null, error: expect.stringMatching(/^TIMEOUT/) });
    expect(attempts).toHaveLength(2);
  });

  it('410 Gone: delivery DEAD, webhook DISABLED at once with an audit row, its other open deliveries cancelled and its lanes dropped', async () => {
    const target = await listener(() => ({ status: 410 }));
    const webhook = await factories.webhook({ targetUrl: target.url });
    const id = await factories.delivery(webhook);
    const waiting = await factories.delivery(webhook);
    // Events queued in its lanes behind the request: the real-time ones next in line, a held batch.
    await factories.laneItems(webhook, await factories.events(webhook.accountId, 2), { kind: 'REALTIME' });
    await factories.laneItems(webhook, await factories.events(webhook.accountId, 1, { realtime: false }));
    await dispatcher.enqueue(id);
    const row = await settled(id, 'DEAD');
    expect(row).toMatchObject({ attempt_count: 1, last_status_code: 410 });
    const hook = await waitFor('webhook disabled', async () => {
      const { rows } = await pool.query(
        `SELECT status, disabled_reason FROM webhooks WHERE id = $1 AND status = 'DISABLED'`,
        [webhook.id],
      );
      return rows[0] as { status: string; disabled_reason: string } | undefined;
    });
    expect(hook.disabled_reason).toContain('410');
    expect(await factories.auditActions(webhook.id)).toEqual([
      { actor: 'system', action: 'DISABLED_BY_RECEIVER' },
    ]);
    expect(await factories.deliveryRow(waiting)).toMatchObject({
      status: 'CANCELLED',
      cancelled_by: 'system:webhook-disabled',
    });
    expect(await factories.laneEventPks(webhook.id, 'REALTIME')).toEqual([]);
    expect(await factories.laneEventPks(webhook.id, 'BATCH')).toEqual([]);
    // Its lane moved on after the request finished and, the webhook being disabled, sent nothing more.
    await waitFor('its lanes idle', async () => {
      const { rows } = await pool.query(`SELECT 1 FROM lanes WHERE webhook_id = $1 AND busy`, [webhook.id]);
      return rows.length === 0;
    });
    expect(await factories.deliveryCount(webhook.id)).toBe(2);
    expect(target.requests).toHaveLength(1);
  });

  it('honours Retry-After on a 429 (capped at the largest scheduled interval)', async () => {
    const target = await listener((_, index) =>
      index === 0 ? { status: 429, headers: { 'retry-after': '1' } } : { status: 200 },
    );
    const webhook = await factories.webhook({ targetUrl: target.url });
    const id = await factories.delivery(webhook);
    await dispatcher.enqueue(id);
    await settled(id);
    const gap = target.requests[1].receivedAt - target.requests[0].receivedAt;
    // The schedule alone would retry after ~100 ms; the receiver asked for 1 s.
    expect(gap).toBeGreaterThanOrEqual(950);
  });

  it('does not follow redirects: a 3xx is a failure and the redirect target receives nothing', async () => {
    const elsewhere = await listener();
    const target = await listener((_, index) =>
      index === 0 ? { status: 302, headers: { location: `${elsewhere.url}/stolen` } } : { status: 204 },
    );
    const webhook = await factories.webhook({ targetUrl: target.url });
    const id = await factories.delivery(webhook);
    await dispatcher.enqueue(id);
    await settled(id);
    const attempts = await factories.attempts(id);
    expect(attempts[0]).toMatchObject({ status_code: 302, error: 'HTTP 302: redirect not followed' });
    expect(elsewhere.requests).toHaveLength(0);
  });

  it('skips a job whose webhook was retired or deleted, cancelling the delivery', async () => {
    const target = await listener();
    const retired = await factories.webhook({ targetUrl: target.url, status: 'INACTIVE' });
    const deleted = await factories.webhook({ targetUrl: target.url, deleted: true });
    const ids = [await factories.delivery(retired), await factories.delivery(deleted)];
    await dispatcher.enqueue(...ids);
    for (const id of ids) {
      expect(await settled(id, 'CANCELLED')).toMatchObject({
        cancelled_by: 'system:webhook-inactive',
        attempt_count: 0,
      });
    }
    expect(target.requests).toHaveLength(0);
  });

  it('a job for an already finished delivery sends nothing', async () => {
    const target = await listener();
    const webhook = await factories.webhook({ targetUrl: target.url });
    const id = await factories.delivery(webhook, { status: 'SUCCEEDED' });
    const probe = await factories.delivery(webhook);
    await dispatcher.enqueue(id, probe);
    await settled(probe);
    expect(target.requests.map((r) => r.headers['webhook-id'])).toEqual([probe]);
    expect(await factories.deliveryRow(id)).toMatchObject({ status: 'SUCCEEDED', attempt_count: 0 });
  });

  it('a repeated job of a finished request queues the next request of its lane whose job was lost, then the lane moves on', async () => {
    const target = await listener();
    const webhook = await factories.webhook({ targetUrl: target.url });
    // What a dispatcher SIGKILLed after the request succeeded leaves: the lane's next request created
    // (committed) but its job never queued, an event behind it, the lane busy, and its own deliver
    // job stalled, so another replica runs it again. No outbox relay runs here.
    const finished = await factories.delivery(webhook, { status: 'SUCCEEDED' });
    const next = await factories.delivery(webhook);
    const [behind] = await factories.events(webhook.accountId, 1);
    await factories.laneItems(webhook, [behind], { kind: 'REALTIME' });
    await pool.query(`UPDATE lanes SET busy = true WHERE webhook_id = $1 AND kind = 'REALTIME'`, [
      webhook.id,
    ]);

    await dispatcher.enqueue(finished);

    await settled(next);
    const requests = await target.waitForRequests(2, 5_000);
    expect(requests.map((r) => r.headers['webhook-id'])[0]).toBe(next);
    expect(await factories.laneEventPks(webhook.id, 'REALTIME')).toEqual([]);
    expect(await factories.deliveryCount(webhook.id)).toBe(3);
  });

  it('gives up (DEAD, with the last error) when the next attempt would pass RETRY_MAX_AGE', async () => {
    const target = await listener(() => ({ status: 503, body: 'down' }));
    const webhook = await factories.webhook({ targetUrl: target.url });
    const id = await factories.delivery(webhook, { createdAt: new Date(Date.now() - 3_600_000 + 50) });
    await dispatcher.enqueue(id);
    const row = await settled(id, 'DEAD');
    expect(row.attempt_count).toBe(1);
    expect(String(row.last_error)).toMatch(/^HTTP 503 \(gave up after 1 attempts/);
    const { rows } = await pool.query('SELECT failing_since FROM webhooks WHERE id = $1', [webhook.id]);
    expect(rows[0].failing_since).toBeInstanceOf(Date);
  });

  it('keeps the attempt history bounded: first 5 and latest 20, with the true count', async () => {
    const webhook = await factories.webhook({ targetUrl: 'http://127.0.0.1:9/' });
    const id = await factories.delivery(webhook);
    const writer = dispatcher.app.get(DeliveryOutcomeWriter);
    for (let n = 1; n <= 40; n += 1) {
      await writer.record({
        deliveryId: id,
        webhookId: webhook.id,
        status: 'RETRYING',
        nextAttemptAt: new Date(),
        attempt: {
          startedAt: new Date(),
          durationMs: 1,
          statusCode: 500,
          error: 'HTTP 500',
          responseSnippet: '',
        },
      });
    }
    const row = await factories.deliveryRow(id);
    expect(row.attempt_count).toBe(40);
    const kept = (await factories.attempts(id)).map((a) => a.attempt_number);
    expect(kept).toEqual([1, 2, 3, 4, 5, ...Array.from({ length: 20 }, (_, i) => 21 + i)]);
  });

  it('spreads a webhook with rateLimitPerSecond over time, across the queue', async () => {
    const target = await listener();
    const webhook = await factories.webhook({ targetUrl: target.url, rateLimitPerSecond: 4 });
    const ids: string[] = [];
    for (let i = 0; i < 12; i += 1) ids.push(await factories.delivery(webhook));
    await dispatcher.enqueue(...ids);
    for (const id of ids) await settled(id);
    const times = target.requests.map((r) => r.receivedAt).sort((a, b) => a - b);
    expect(times).toHaveLength(12);
    // 12 requests at 4/s need at least three one-second windows.
    expect(times[11] - times[0]).toBeGreaterThan(1_000);
    const perSecond = new Map<number, number>();
    for (const at of times)
      perSecond.set(Math.floor(at / 1000), (perSecond.get(Math.floor(at / 1000)) ?? 0) + 1);
    expect(perSecond.size).toBeGreaterThanOrEqual(3);
    expect(Math.max(...perSecond.values())).toBeLessThanOrEqual(6);
    // Rate-limited turns are not attempts.
    const { rows } = await pool.query(
      'SELECT max(attempt_count)::int AS max FROM deliveries WHERE webhook_id = $1',
      [webhook.id],
    );
    expect(rows[0].max).toBe(1);
  });
});
