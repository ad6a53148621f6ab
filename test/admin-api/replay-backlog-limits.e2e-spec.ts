import { insertDeliveryRow, insertEventRow, laneItemRows } from '@lms/testing';
import { startAdminApi, type AdminApiHarness } from './support/admin-api-harness';
import { webhookBody } from './support/webhook-factory';

const ACCOUNT = 9090;
const CAP = 5;
/** Event times of this file's events: 2026-01-05 onwards, one per second. */
const BASE = Date.UTC(2026, 0, 5);

/**
 * Issue 15: an admin cannot pile events up behind a webhook. Replay and redeliver never take its
 * waiting lane items past MAX_PENDING_EVENTS_PER_WEBHOOK (409 with the numbers, nothing added), and a
 * replay repeated while the same replay's events still wait adds nothing (409 naming it). No
 * dispatcher runs here, so appended events stay in the lanes until the test moves them.
 */
describe('admin API: replay and redeliver cannot pile up events', () => {
  let api: AdminApiHarness;
  let token: string;

  beforeAll(async () => {
    api = await startAdminApi('replay_backlog', {
      ALLOW_PRIVATE_TARGETS: 'true',
      ALLOW_HTTP_TARGETS: 'true',
      MAX_PENDING_EVENTS_PER_WEBHOOK: String(CAP),
    });
    token = api.tokenFor(ACCOUNT);
  });
  afterAll(async () => {
    await api?.close();
  });

  async function activeWebhook(): Promise<string> {
    const created = await api.call('POST', '/api/v1/webhooks', {
      token,
      body: webhookBody({
        targetUrl: 'http://127.0.0.1:9/hooks',
        events: ['COURSE_ENROLLMENT'],
        active: true,
      }),
    });
    expect(created.status).toBe(201);
    return created.body.id;
  }
  const events = async (count: number, firstSecond: number) => {
    const pks: number[] = [];
    for (let i = 0; i < count; i++) {
      pks.push(
        await insertEventRow(api.sql, { accountId: ACCOUNT, occurredAt: BASE + (firstSecond + i) * 1000 }),
      );
    }
    return pks;
  };
  const replay = (webhookId: string, fromSecond: number, toSecond: number) =>
    api.call('POST', `/api/v1/webhooks/${webhookId}/replay`, {
      token,
      body: { from: BASE + fromSecond * 1000, to: BASE + toSecond * 1000 },
    });
  const waiting = async (webhookId: string) => (await laneItemRows(api.sql, webhookId)).length;
  /** What a dispatcher does first: the lanes' waiting items become one request each (max_in_flight 1). */
  const drainLanes = async (webhookId: string) => {
    await api.sql.query(
      `SELECT * FROM advance_lanes(ARRAY[$1, $1]::uuid[], ARRAY['REALTIME', 'BATCH'], 1000)`,
      [webhookId],
    );
    await api.sql.query(`UPDATE deliveries SET status = 'SUCCEEDED' WHERE webhook_id = $1`, [webhookId]);
  };

  it('refuses a replay that would pass the cap with the numbers, adds nothing; one that fits goes in', async () => {
    const webhookId = await activeWebhook();
    await events(4, 0);
    await events(2, 10);
    expect((await replay(webhookId, 0, 3)).body).toEqual({ count: 4, realtimeEvents: 4, batchedEvents: 0 });
    expect(await waiting(webhookId)).toBe(4);

    const refused = await replay(webhookId, 10, 11);
    expect(refused.status).toBe(409);
    expect(refused.body).toEqual({
      statusCode: 409,
      code: 'PENDING_EVENTS_LIMIT_REACHED',
      message: `Webhook ${webhookId} has 4 events waiting; 2 more would pass the cap of 5 (MAX_PENDING_EVENTS_PER_WEBHOOK): wait until its lanes drain`,
      details: [
        {
          field: 'pending',
          code: 'PENDING_EVENTS_LIMIT_REACHED',
          message: "4 events are waiting in the webhook's lanes",
        },
        { field: 'requested', code: 'PENDING_EVENTS_LIMIT_REACHED', message: '2 events would be added' },
        {
          field: 'cap',
          code: 'PENDING_EVENTS_LIMIT_REACHED',
          message: 'at most 5 events may wait per webhook',
        },
      ],
    });
    expect(await waiting(webhookId)).toBe(4);

    expect((await replay(webhookId, 10, 10)).status).toBe(202);
    expect(await waiting(webhookId)).toBe(CAP);
  });

  it('refuses a redelivery that would pass the cap; once the lanes drain it is accepted', async () => {
    const webhookId = await activeWebhook();
    const [first, second] = await events(2, 20);
    const finished = await insertDeliveryRow(api.sql, {
      webhookId,
      accountId: ACCOUNT,
      eventPks: [first, second],
      status: 'DEAD',
    });
    await events(4, 30);
    expect((await replay(webhookId, 30, 33)).status).toBe(202);

    const refused = await api.call('POST', `/api/v1/deliveries/${finished}/redeliver`, { token });
    expect(refused.status).toBe(409);
    expect(refused.body.code).toBe('PENDING_EVENTS_LIMIT_REACHED');
    expect(refused.body.details).toEqual([
      {
        field: 'pending',
        code: 'PENDING_EVENTS_LIMIT_REACHED',
        message: "4 events are waiting in the webhook's lanes",
      },
      { field: 'requested', code: 'PENDING_EVENTS_LIMIT_REACHED', message: '2 events would be added' },
      {
        field: 'cap',
        code: 'PENDING_EVENTS_LIMIT_REACHED',
        message: 'at most 5 events may wait per webhook',
      },
    ]);
    expect(await waiting(webhookId)).toBe(4);

    await drainLanes(webhookId);
    expect(await waiting(webhookId)).toBe(0);
    const accepted = await api.call('POST', `/api/v1/deliveries/${finished}/redeliver`, { token });
    expect(accepted.status).toBe(202);
    expect(await waiting(webhookId)).toBe(2);
  });

  it('a replay repeated while the same replay still waits adds nothing and says so; after it left the lanes, it is a new replay', async () => {
    const webhookId = await activeWebhook();
    await events(3, 40);
    const first = await replay(webhookId, 40, 42);
    expect(first.status).toBe(202);
    expect(first.body.count).toBe(3);

    const repeat = await replay(webhookId, 40, 42);
    expect(repeat.status).toBe(409);
    expect(repeat.body).toEqual({
      statusCode: 409,
      code: 'REPLAY_ALREADY_QUEUED',
      message: expect.stringMatching(
        /^The same replay \([0-9a-f-]{36}, 3 events, made at .+\) is still waiting to be sent; nothing was added$/,
      ),
      details: [
        {
          field: 'replayId',
          code: 'REPLAY_ALREADY_QUEUED',
          message: expect.stringMatching(/^[0-9a-f-]{36}$/),
        },
      ],
    });
    // The same range written differently (ISO text) is the same replay.
    const asText = await api.call('POST', `/api/v1/webhooks/${webhookId}/replay`, {
      token,
      body: { from: new Date(BASE + 40_000).toISOString(), to: new Date(BASE + 42_000).toISOString() },
    });
    expect(asText.status).toBe(409);
    expect(await waiting(webhookId)).toBe(3);

    // Another range is another replay.
    expect((await replay(webhookId, 40, 41)).status).toBe(202);
    expect(await waiting(webhookId)).toBe(5);

    await drainLanes(webhookId);
    const again = await replay(webhookId, 40, 42);
    expect(again.status).toBe(202);
    expect(again.body.count).toBe(3);
  });

  it('of two identical replays sent at once, one is queued and the other adds nothing', async () => {
    const webhookId = await activeWebhook();
    await events(2, 50);
    const answers = await Promise.all([replay(webhookId, 50, 51), replay(webhookId, 50, 51)]);
    expect(answers.map((answer) => answer.status).sort()).toEqual([202, 409]);
    expect(await waiting(webhookId)).toBe(2);
  });
});
