import { Metrics } from '@lms/observability';
import {
  DEFAULT_EVENT_TIME_MS,
  insertDeliveryRow,
  insertEventRow,
  listenForLaneWakeUps,
  startListener,
  waitFor,
  type LaneWakeAnnouncements,
  type TestListener,
} from '@lms/testing';
import {
  dispatcherTestEnv,
  recordJobsQueuedBy,
  startDispatcher,
  type RunningDispatcher,
} from '../dispatcher/support/dispatcher-harness';
import { startAdminApi, type AdminApiHarness } from './support/admin-api-harness';
import { webhookBody } from './support/webhook-factory';

jest.setTimeout(60_000);

const ACCOUNT = 4040;

/**
 * Redeliver and replay, end to end: the admin API's transaction appends to the lane and announces it on
 * lmsw_lane_wake at its commit; a dispatcher hears the announcement and sends the request. No queue job
 * is involved (the admin API has no queue): what a dispatcher would do without the announcement is its
 * sweep, which these tests do not wait for (they assert the wake-up was heard as an announcement).
 */
describe('admin API + dispatcher: a redelivery and a replay reach the receiver through the lane announcement', () => {
  let api: AdminApiHarness;
  let dispatcher: RunningDispatcher;
  let receiver: TestListener;
  let announcements: LaneWakeAnnouncements;
  let token: string;
  const queuedJobs: Array<{ name: string; data: unknown }> = [];

  beforeAll(async () => {
    api = await startAdminApi('redeliver_e2e', { ALLOW_HTTP_TARGETS: 'true', ALLOW_PRIVATE_TARGETS: 'true' });
    receiver = await startListener(() => ({ status: 200 }));
    dispatcher = await startDispatcher(
      dispatcherTestEnv(api.database.url, { QUEUE_PREFIX: api.queuePrefix }),
    );
    announcements = await listenForLaneWakeUps(api.database.url);
    recordJobsQueuedBy(dispatcher, queuedJobs);
    token = api.tokenFor(ACCOUNT);
  });

  afterAll(async () => {
    await announcements?.close();
    await dispatcher?.close();
    await receiver?.close();
    await api?.close();
  });

  const createWebhook = async (path: string): Promise<string> => {
    const created = await api.call('POST', '/api/v1/webhooks', {
      token,
      body: webhookBody({ active: true, targetUrl: `${receiver.origin}${path}` }),
    });
    expect(created.status).toBe(201);
    return created.body.id as string;
  };
  const eventIdsSentTo = (path: string): string[] =>
    receiver.requests
      .filter((request) => request.path === path)
      .flatMap((request) => (JSON.parse(request.body) as { events: Array<{ eventId: string }> }).events)
      .map((event) => event.eventId);
  const eventIdsOf = async (pks: number[]): Promise<string[]> =>
    (
      await api.sql.query(
        `SELECT e.event_id FROM unnest($1::bigint[]) WITH ORDINALITY AS t(pk, ord) JOIN events e ON e.id = t.pk ORDER BY t.ord`,
        [pks],
      )
    ).rows.map((row: { event_id: string }) => row.event_id);
  const heardByNotify = async (): Promise<number> =>
    (await dispatcher.app.get(Metrics).laneWakeUpsHeard.get()).values
      .filter((value) => value.labels.source === 'notify')
      .reduce((sum, value) => sum + value.value, 0);
  /** Wake-up jobs the dispatcher queued for the webhook's lanes (the admin API has no queue at all). */
  const laneJobsOf = (webhookId: string) =>
    queuedJobs.filter((job) => (job.data as { webhookId?: string }).webhookId === webhookId);

  it('a redelivered DEAD delivery is announced by its commit, heard by the dispatcher and sent again, with no queue job', async () => {
    const webhookId = await createWebhook('/redelivered');
    const eventPks = [
      await insertEventRow(api.sql, { accountId: ACCOUNT }),
      await insertEventRow(api.sql, { accountId: ACCOUNT, eventName: 'COURSE_COMPLETED' }),
    ];
    const original = await insertDeliveryRow(api.sql, {
      webhookId,
      accountId: ACCOUNT,
      eventPks,
      status: 'DEAD',
    });
    const heardBefore = await heardByNotify();

    const answer = await api.call('POST', `/api/v1/deliveries/${original}/redeliver`, { token });
    expect(answer.status).toBe(202);

    await waitFor('the redelivery at the receiver', () => eventIdsSentTo('/redelivered').length === 2);
    expect(eventIdsSentTo('/redelivered')).toEqual(await eventIdsOf(eventPks));
    expect(announcements.kindsOf(webhookId)).toEqual(['BATCH']);
    expect(await heardByNotify()).toBeGreaterThan(heardBefore);
    await waitFor('the redelivery SUCCEEDED and its lane idle', async () => {
      const { rows } = await api.sql.query(
        `SELECT d.status, l.busy FROM deliveries d JOIN lanes l ON l.webhook_id = d.webhook_id AND l.kind = d.kind
          WHERE d.redelivery_of = $1`,
        [original],
      );
      return rows.length === 1 && rows[0].status === 'SUCCEEDED' && rows[0].busy === false;
    });
    expect(laneJobsOf(webhookId)).toEqual([]);
  });

  it('a replayed range is announced by its commit and sent in event order, with no queue job', async () => {
    const webhookId = await createWebhook('/replayed');
    const from = DEFAULT_EVENT_TIME_MS + 5_000_000;
    // Inserted out of event order: the replay follows occurredAt.
    const eventPks = [
      await insertEventRow(api.sql, { accountId: ACCOUNT, occurredAt: from + 3 }),
      await insertEventRow(api.sql, { accountId: ACCOUNT, occurredAt: from + 1 }),
      await insertEventRow(api.sql, { accountId: ACCOUNT, occurredAt: from + 2 }),
    ];
    const inEventOrder = [eventPks[1], eventPks[2], eventPks[0]];
    const heardBefore = await heardByNotify();

    const answer = await api.call('POST', `/api/v1/webhooks/${webhookId}/replay`, {
      token,
      body: { from, to: from + 10 },
    });
    expect(answer.status).toBe(202);
    expect(answer.body).toEqual({ count: 3, realtimeEvents: 3, batchedEvents: 0 });

    await waitFor('the replay at the receiver', () => eventIdsSentTo('/replayed').length === 3);
    expect(eventIdsSentTo('/replayed')).toEqual(await eventIdsOf(inEventOrder));
    expect(announcements.kindsOf(webhookId)).toEqual(['REALTIME']);
    expect(await heardByNotify()).toBeGreaterThan(heardBefore);
    expect(laneJobsOf(webhookId)).toEqual([]);
  });
});
