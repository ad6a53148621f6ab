import Redis from 'ioredis';
import {
  DEFAULT_EVENT_TIME_MS,
  insertDeliveryRow,
  insertEventRow,
  laneItemRows,
  listenForLaneWakeUps,
  waitFor,
  type DeliveryRow,
  type EventRow,
  type LaneWakeAnnouncements,
} from '@lms/testing';
import { startAdminApi, REDIS_URL, type AdminApiHarness } from './support/admin-api-harness';
import { webhookBody } from './support/webhook-factory';

const ACCOUNT = 2020;
const OTHER_ACCOUNT = 3030;
/** Owns the webhooks whose lanes a test watches from idle (ACCOUNT is at its webhook limit). */
const LANE_ACCOUNT = 2121;
const T0 = DEFAULT_EVENT_TIME_MS;

describe('admin API: delivery log, redeliver, replay', () => {
  let api: AdminApiHarness;
  let redis: Redis;
  let announcements: LaneWakeAnnouncements;
  let token: string;
  let webhookId: string;

  beforeAll(async () => {
    api = await startAdminApi('delivery_log');
    redis = new Redis(REDIS_URL);
    announcements = await listenForLaneWakeUps(api.database.url);
    token = api.tokenFor(ACCOUNT, { sub: 'carol' });
    const created = await api.call('POST', '/api/v1/webhooks', {
      token,
      body: webhookBody({
        active: true,
        events: ['COURSE_ENROLLMENT', 'COURSE_COMPLETED', 'LEARNER_PROGRESS'],
      }),
    });
    webhookId = created.body.id;
  });
  afterAll(async () => {
    redis.disconnect();
    await announcements?.close();
    await api.close();
  });

  /** An event row of ACCOUNT unless told otherwise (test/support's factory). */
  const insertEvent = (row: Partial<EventRow> = {}) =>
    insertEventRow(api.sql, { accountId: ACCOUNT, ...row });

  /** A delivery row of the main webhook carrying the given events, unless told otherwise. */
  const insertDelivery = (eventPks: number[], row: Partial<Omit<DeliveryRow, 'eventPks'>> = {}) =>
    insertDeliveryRow(api.sql, { webhookId, accountId: ACCOUNT, eventPks, ...row });

  /**
   * A lane's state and the wake-up jobs queued for it in Redis under this API's prefix: none, since the
   * adding transaction announces the lane on lmsw_lane_wake itself (the dispatchers' sweep is the net).
   */
  const laneWakeUp = async (laneWebhookId: string, kind: 'REALTIME' | 'BATCH') => {
    const lane = (
      await api.sql.query('SELECT busy FROM lanes WHERE webhook_id = $1 AND kind = $2', [laneWebhookId, kind])
    ).rows[0];
    const jobs = await redis.keys(`${api.queuePrefix}:*${laneWebhookId}*`);
    return { busy: lane.busy as boolean, jobs };
  };

  describe('GET /webhooks/:id/deliveries', () => {
    let listWebhookId: string;
    const ids: string[] = [];

    beforeAll(async () => {
      listWebhookId = (
        await api.call('POST', '/api/v1/webhooks', { token, body: webhookBody({ active: true }) })
      ).body.id;
      // 7 deliveries, one minute apart, oldest first; two with a COURSE_COMPLETED event, one DEAD.
      for (let i = 0; i < 7; i++) {
        const eventPk = await insertEvent({
          eventName: i % 3 === 0 ? 'COURSE_COMPLETED' : 'COURSE_ENROLLMENT',
        });
        ids.push(
          await insertDelivery([eventPk], {
            webhookId: listWebhookId,
            status: i === 4 ? 'DEAD' : 'SUCCEEDED',
            createdAt: new Date(Date.UTC(2026, 10, 20, 12, i, 0, 123) + 0.456).toISOString(),
          }),
        );
      }
    });

    it('lists newest first and pages with an opaque cursor until nextCursor is null', async () => {
      const seen: string[] = [];
      let cursor: string | null = null;
      let pages = 0;
      do {
        const query: string = cursor ? `?limit=3&cursor=${encodeURIComponent(cursor)}` : '?limit=3';
        const page = await api.call('GET', `/api/v1/webhooks/${listWebhookId}/deliveries${query}`, { token });
        expect(page.status).toBe(200);
        seen.push(...page.body.items.map((item: { id: string }) => item.id));
        cursor = page.body.nextCursor;
        pages++;
      } while (cursor);
      expect(pages).toBe(3);
      expect(seen).toEqual([...ids].reverse());
    });

    it('returns summaries with the event names, status and error fields', async () => {
      const page = await api.call('GET', `/api/v1/webhooks/${listWebhookId}/deliveries?limit=1`, { token });
      expect(page.body.items[0]).toMatchObject({
        id: ids[6],
        webhookId: listWebhookId,
        kind: 'REALTIME',
        status: 'SUCCEEDED',
        eventCount: 1,
        eventNames: ['COURSE_COMPLETED'],
        attemptCount: 0,
        lastError: null,
        cancelledBy: null,
        redeliveryOf: null,
      });
    });

    it('filters by status, eventName and creation time (ISO or epoch ms)', async () => {
      const base = `/api/v1/webhooks/${listWebhookId}/deliveries`;
      const dead = await api.call('GET', `${base}?status=DEAD`, { token });
      expect(dead.body.items.map((item: { id: string }) => item.id)).toEqual([ids[4]]);
      const completed = await api.call('GET', `${base}?eventName=COURSE_COMPLETED`, { token });
      expect(completed.body.items.map((item: { id: string }) => item.id)).toEqual([ids[6], ids[3], ids[0]]);
      const from = Date.UTC(2026, 10, 20, 12, 2, 0);
      const range = await api.call(
        'GET',
        `${base}?from=${from}&to=${encodeURIComponent('2026-11-20T12:04:30Z')}`,
        { token },
      );
      expect(range.body.items.map((item: { id: string }) => item.id)).toEqual([ids[4], ids[3], ids[2]]);
    });

    it.each([
      ['limit=0', 'limit'],
      ['limit=201', 'limit'],
      ['limit=abc', 'limit'],
      ['status=LOST', 'status'],
      ['eventName=NOPE', 'eventName'],
      ['from=yesterday', 'from'],
      ['cursor=not-a-cursor', 'cursor'],
      [
        `cursor=${Buffer.from(JSON.stringify(['2026-13-45 99:00:00+00', '6f1b7c1e-9a2b-4c3d-8e4f-5a6b7c8d9e0f'])).toString('base64url')}`,
        'cursor',
      ],
      ['unknown=1', 'unknown'],
    ])('400 VALIDATION_FAILED for %s', async (query, field) => {
      const answer = await api.call('GET', `/api/v1/webhooks/${listWebhookId}/deliveries?${query}`, {
        token,
      });
      expect(answer.status).toBe(400);
      expect(answer.body.code).toBe('VALIDATION_FAILED');
      expect(answer.body.details.map((detail: { field: string }) => detail.field)).toContain(field);
    });

    it('is 404 for another account', async () => {
      const answer = await api.call('GET', `/api/v1/webhooks/${listWebhookId}/deliveries`, {
        token: api.tokenFor(OTHER_ACCOUNT),
      });
      expect(answer.status).toBe(404);
    });
  });

  describe('GET /deliveries/:id', () => {
    it('shows the payload exactly as sent, the attempts, and why it ended', async () => {
      const first = await insertEvent({ occurredAt: T0, data: '{"userId":1,"b":2.50,"a":"ü"}' });
      const second = await insertEvent({ eventName: 'COURSE_COMPLETED', occurredAt: T0 + 1 });
      const id = await insertDelivery([first, second], { status: 'DEAD', lastError: 'HTTP 500' });
      await api.sql.query(
        `INSERT INTO delivery_attempts (delivery_id, attempt_number, started_at, duration_ms, status_code, error, response_snippet, trace_id)
         VALUES ($1, 1, now() - interval '1 minute', 12, 500, 'HTTP 500', 'oops', '4bf92f3577b34da6a3ce929d0e0e4736'),
                ($1, 2, now(), 5001, NULL, 'TIMEOUT: headers', '', NULL)`,
        [id],
      );
      const events = await api.sql.query('SELECT event_id FROM events WHERE id = ANY($1) ORDER BY id', [
        [first, second],
      ]);

      const answer = await api.call('GET', `/api/v1/deliveries/${id}`, { token });
      expect(answer.status).toBe(200);
      expect(answer.body).toMatchObject({
        id,
        webhookId,
        kind: 'BATCH',
        status: 'DEAD',
        lastError: 'HTTP 500',
        eventCount: 2,
      });
      expect(answer.body.payload).toEqual({
        accountId: ACCOUNT,
        events: [
          {
            eventId: events.rows[0].event_id,
            eventName: 'COURSE_ENROLLMENT',
            timestamp: T0,
            eventInfo: '1764300000000-047210-84242-0',
            data: { userId: 1, b: 2.5, a: 'ü' },
          },
          expect.objectContaining({
            eventId: events.rows[1].event_id,
            eventName: 'COURSE_COMPLETED',
            timestamp: T0 + 1,
          }),
        ],
      });
      expect(answer.body.attempts).toEqual([
        {
          attemptNumber: 1,
          startedAt: expect.any(String),
          durationMs: 12,
          statusCode: 500,
          error: 'HTTP 500',
          responseSnippet: 'oops',
          traceId: '4bf92f3577b34da6a3ce929d0e0e4736',
        },
        {
          attemptNumber: 2,
          startedAt: expect.any(String),
          durationMs: 5001,
          statusCode: null,
          error: 'TIMEOUT: headers',
          responseSnippet: '',
          traceId: null, // not traced
        },
      ]);
    });

    it('says who cancelled a cancelled delivery', async () => {
      const id = await insertDelivery([await insertEvent()], {
        status: 'CANCELLED',
        cancelledBy: 'admin:carol',
      });
      const answer = await api.call('GET', `/api/v1/deliveries/${id}`, { token });
      expect(answer.body).toMatchObject({
        status: 'CANCELLED',
        cancelledBy: 'admin:carol',
        nextAttemptAt: null,
      });
    });

    it('is 404 DELIVERY_NOT_FOUND for another account or an unknown id', async () => {
      const id = await insertDelivery([await insertEvent()]);
      const other = await api.call('GET', `/api/v1/deliveries/${id}`, { token: api.tokenFor(OTHER_ACCOUNT) });
      expect(other.status).toBe(404);
      expect(other.body.code).toBe('DELIVERY_NOT_FOUND');
      expect(
        (await api.call('GET', '/api/v1/deliveries/6f1b7c1e-9a2b-4c3d-8e4f-5a6b7c8d9e0f', { token })).status,
      ).toBe(404);
    });
  });

  describe('POST /deliveries/:id/redeliver', () => {
    it('202 QUEUED: the events are appended to the end of the lane as one redelivery, committed, and the lane is woken in Bull', async () => {
      // A webhook of its own, so its lane is idle before: this redelivery is what wakes it.
      const laneToken = api.tokenFor(LANE_ACCOUNT);
      const laneWebhookId = (
        await api.call('POST', '/api/v1/webhooks', { token: laneToken, body: webhookBody({ active: true }) })
      ).body.id;
      const eventPks = [
        await insertEvent({ accountId: LANE_ACCOUNT }),
        await insertEvent({ accountId: LANE_ACCOUNT, eventName: 'COURSE_COMPLETED' }),
      ];
      const original = await insertDelivery(eventPks, {
        webhookId: laneWebhookId,
        accountId: LANE_ACCOUNT,
        status: 'DEAD',
        lastError: 'HTTP 500',
      });
      const kind = (await api.sql.query('SELECT kind FROM deliveries WHERE id = $1', [original])).rows[0]
        .kind;
      const answer = await api.call('POST', `/api/v1/deliveries/${original}/redeliver`, {
        token: laneToken,
      });
      expect(answer.status).toBe(202);
      expect(answer.body).toEqual({ redeliveryOf: original, status: 'QUEUED', eventCount: 2 });
      // Appended to the lane of the original's kind, released, in the original's order, marked as its redelivery.
      expect(await laneItemRows(api.sql, laneWebhookId)).toEqual(
        eventPks.map((eventPk) => ({ kind, event_pk: eventPk, released: true, redelivery_of: original })),
      );
      // The delivery carrying it is created when the lane's turn comes (a dispatcher): none yet.
      expect(
        (
          await api.sql.query('SELECT count(*)::int AS n FROM deliveries WHERE redelivery_of = $1', [
            original,
          ])
        ).rows[0].n,
      ).toBe(0);
      // Woken by its own commit: announced on lmsw_lane_wake (what a dispatcher hears), no queue job.
      await waitFor('the lane announced', () => announcements.kindsOf(laneWebhookId).length > 0);
      expect(announcements.kindsOf(laneWebhookId)).toEqual([kind]);
      expect(await laneWakeUp(laneWebhookId, kind)).toEqual({ busy: true, jobs: [] });
      // The original keeps its own history.
      expect(
        (await api.sql.query('SELECT status FROM deliveries WHERE id = $1', [original])).rows[0].status,
      ).toBe('DEAD');
    });

    it('409 DELIVERY_NOT_REDELIVERABLE while the delivery is still open, or when the webhook is inactive', async () => {
      const open = await insertDelivery([await insertEvent()], { status: 'RETRYING' });
      const answer = await api.call('POST', `/api/v1/deliveries/${open}/redeliver`, { token });
      expect(answer.status).toBe(409);
      expect(answer.body.code).toBe('DELIVERY_NOT_REDELIVERABLE');

      const inactive = (await api.call('POST', '/api/v1/webhooks', { token, body: webhookBody() })).body.id;
      const done = await insertDelivery([await insertEvent()], { webhookId: inactive, status: 'SUCCEEDED' });
      const refused = await api.call('POST', `/api/v1/deliveries/${done}/redeliver`, { token });
      expect(refused.status).toBe(409);
      expect(refused.body.message).toContain('INACTIVE');
    });

    it('409 when the events of the delivery are no longer retained, creating nothing', async () => {
      const purged = await insertDelivery([], { status: 'DEAD' });
      const answer = await api.call('POST', `/api/v1/deliveries/${purged}/redeliver`, { token });
      expect(answer.status).toBe(409);
      expect(answer.body.message).toContain('no longer retained');
      expect(
        (await api.sql.query('SELECT count(*)::int AS n FROM deliveries WHERE redelivery_of = $1', [purged]))
          .rows[0].n,
      ).toBe(0);
      expect(
        (await api.sql.query('SELECT count(*)::int AS n FROM lane_items WHERE redelivery_of = $1', [purged]))
          .rows[0].n,
      ).toBe(0);
    });

    it("404 for another account's delivery", async () => {
      const done = await insertDelivery([await insertEvent()]);
      const answer = await api.call('POST', `/api/v1/deliveries/${done}/redeliver`, {
        token: api.tokenFor(OTHER_ACCOUNT),
      });
      expect(answer.status).toBe(404);
      expect(answer.body.code).toBe('DELIVERY_NOT_FOUND');
    });
  });

  describe('POST /webhooks/:id/replay', () => {
    it('202 with the counts: events are appended to the lanes in event order, real-time ones released and woken, batch ones held for the release', async () => {
      const laneToken = api.tokenFor(LANE_ACCOUNT);
      const replayWebhookId = (
        await api.call('POST', '/api/v1/webhooks', {
          token: laneToken,
          body: webhookBody({
            active: true,
            events: ['COURSE_ENROLLMENT', 'COURSE_COMPLETED', 'LEARNER_PROGRESS'],
          }),
        })
      ).body.id;
      const from = T0 + 10_000_000;
      // Inserted out of event order: the lane follows occurredAt, not insertion.
      const realtime = [
        await insertEvent({ accountId: LANE_ACCOUNT, occurredAt: from + 10 }),
        await insertEvent({ accountId: LANE_ACCOUNT, eventName: 'COURSE_COMPLETED', occurredAt: from + 5 }),
        await insertEvent({ accountId: LANE_ACCOUNT, occurredAt: from }),
      ].reverse();
      const batch = [
        await insertEvent({
          accountId: LANE_ACCOUNT,
          eventName: 'LEARNER_PROGRESS',
          realtime: false,
          occurredAt: from + 2,
        }),
        await insertEvent({
          accountId: LANE_ACCOUNT,
          eventName: 'LEARNER_PROGRESS',
          realtime: false,
          occurredAt: from + 1,
        }),
      ].reverse();
      await insertEvent({ accountId: LANE_ACCOUNT, eventName: 'CI_STATS', occurredAt: from + 3 }); // not subscribed
      await insertEvent({ accountId: LANE_ACCOUNT, occurredAt: from + 11 }); // after the range
      await insertEvent({ accountId: ACCOUNT, occurredAt: from + 4 }); // another account

      const answer = await api.call('POST', `/api/v1/webhooks/${replayWebhookId}/replay`, {
        token: laneToken,
        body: { from: new Date(from).toISOString(), to: from + 10 },
      });
      expect(answer.status).toBe(202);
      expect(answer.body).toEqual({ count: 5, realtimeEvents: 3, batchedEvents: 2 });

      const items = await laneItemRows(api.sql, replayWebhookId);
      expect(items.filter((item) => item.kind === 'REALTIME')).toEqual(
        realtime.map((eventPk) => ({
          kind: 'REALTIME',
          event_pk: eventPk,
          released: true,
          redelivery_of: null,
        })),
      );
      expect(items.filter((item) => item.kind === 'BATCH')).toEqual(
        batch.map((eventPk) => ({ kind: 'BATCH', event_pk: eventPk, released: false, redelivery_of: null })),
      );
      // No delivery yet: the dispatcher makes them when it advances the lane it was woken for.
      expect(
        (
          await api.sql.query('SELECT count(*)::int AS n FROM deliveries WHERE webhook_id = $1', [
            replayWebhookId,
          ])
        ).rows[0].n,
      ).toBe(0);
      // The real-time lane is woken by the replay's commit: announced once, no queue job. The BATCH
      // lane waits for BATCH_CRON: not woken, not announced.
      await waitFor('the lane announced', () => announcements.kindsOf(replayWebhookId).length > 0);
      expect(announcements.kindsOf(replayWebhookId)).toEqual(['REALTIME']);
      expect(await laneWakeUp(replayWebhookId, 'REALTIME')).toEqual({ busy: true, jobs: [] });
      expect(await laneWakeUp(replayWebhookId, 'BATCH')).toEqual({ busy: false, jobs: [] });
    });

    it.each([
      [{ from: 10, to: 5 }, 'from'],
      [{ from: 'soon', to: 5 }, 'from'],
      [{ to: 5 }, 'from'],
      [{ from: 1, to: 5, extra: true }, 'extra'],
    ])('400 VALIDATION_FAILED for %j', async (body, field) => {
      const answer = await api.call('POST', `/api/v1/webhooks/${webhookId}/replay`, { token, body });
      expect(answer.status).toBe(400);
      expect(answer.body.details.map((detail: { field: string }) => detail.field)).toContain(field);
    });

    it('refuses a range holding more than 10,000 events, creating nothing', async () => {
      const from = T0 + 50_000_000;
      await api.sql.query(
        `INSERT INTO events (account_id, event_id, event_name, realtime, occurred_at, data)
         SELECT $1, 'bulk-' || n, 'COURSE_ENROLLMENT', true, $2::bigint + n, '{}' FROM generate_series(1, 10001) AS n`,
        [ACCOUNT, from],
      );
      const before = (await api.sql.query('SELECT count(*)::int AS n FROM deliveries')).rows[0].n;
      const itemsBefore = (await api.sql.query('SELECT count(*)::int AS n FROM lane_items')).rows[0].n;
      const answer = await api.call('POST', `/api/v1/webhooks/${webhookId}/replay`, {
        token,
        body: { from, to: from + 20_000 },
      });
      expect(answer.status).toBe(422);
      expect(answer.body).toMatchObject({ code: 'REPLAY_RANGE_TOO_LARGE', details: [{ field: 'to' }] });
      expect((await api.sql.query('SELECT count(*)::int AS n FROM deliveries')).rows[0].n).toBe(before);
      expect((await api.sql.query('SELECT count(*)::int AS n FROM lane_items')).rows[0].n).toBe(itemsBefore);
    });

    it('409 for an inactive webhook, 404 for another account', async () => {
      const inactive = (await api.call('POST', '/api/v1/webhooks', { token, body: webhookBody() })).body.id;
      expect(
        (await api.call('POST', `/api/v1/webhooks/${inactive}/replay`, { token, body: { from: 0, to: 1 } }))
          .status,
      ).toBe(409);
      expect(
        (
          await api.call('POST', `/api/v1/webhooks/${webhookId}/replay`, {
            token: api.tokenFor(OTHER_ACCOUNT),
            body: { from: 0, to: 1 },
          })
        ).status,
      ).toBe(404);
    });
  });
});
