import { BATCH_EVENT_NAMES, EVENT_NAMES, REALTIME_EVENT_NAMES, type EventName } from '@lms/payload-schemas';
import { LANE_WAKE_CHANNEL, WebhookChangeFeed } from '@lms/webhook-domain';
import { connectLmsProducer, deleteTestTopics, testKafka, waitFor } from '@lms/testing';
import type { INestApplication } from '@nestjs/common';
import type { Producer } from 'kafkajs';
import { randomInt } from 'node:crypto';
import { Client } from 'pg';
import { bootstrap } from '../../apps/event-ingestion/src/main';
import { createIngestionTestEnv, type IngestionTestEnv } from './support/ingestion-test-env';
import { kafkaMessage, wireEnvelope, wireEvent, type WireObject } from './support/lms-wire.factory';
import { insertWebhook } from './support/webhook-rows.factory';

// The e2e project's testTimeout does not reach hooks here: booting and closing a real stack takes seconds.
jest.setTimeout(120_000);

interface LaneState {
  kind: 'REALTIME' | 'BATCH';
  busy: boolean;
  activations: number;
  activation: string;
}

// Ingestion runs alone here (no dispatcher): what it leaves is exactly what it wrote, lane items and
// the wake-ups of the lanes it woke, and nothing takes them.
describe('event ingestion: Kafka → events, lane items, lane wake-ups', () => {
  let env: IngestionTestEnv;
  let app: INestApplication;
  let db: Client;
  let producer: Producer;
  /** What the commits announced on the lanes' wake-up channel (`<webhookId>:<kind>:<ms>`). */
  let wakeListener: Client;
  const announced: string[] = [];

  // Every test works in its own account, so they cannot see each other's rows.
  const newAccount = () => randomInt(100_000, 2_000_000_000);

  beforeAll(async () => {
    // Nothing listens on port 1: ingestion must neither need nor probe Redis.
    env = await createIngestionTestEnv('ingest_flow', { REDIS_URL: 'redis://127.0.0.1:1' });
    app = await bootstrap(env.config, { handleSignals: false });
    db = new Client({ connectionString: env.database.url });
    await db.connect();
    producer = await connectLmsProducer();
    wakeListener = new Client({ connectionString: env.database.url });
    await wakeListener.connect();
    wakeListener.on('notification', (message) => announced.push(message.payload ?? ''));
    await wakeListener.query(`LISTEN ${LANE_WAKE_CHANNEL}`);
  });

  afterAll(async () => {
    await producer?.disconnect();
    await app?.close();
    await wakeListener?.end();
    await db?.end();
    await env?.database.drop();
    await deleteTestTopics([env.config.kafka.eventsTopic, env.config.kafka.dlqTopic]);
  });

  async function produce(accountId: number, payloads: WireObject[]): Promise<void> {
    await producer.send({
      topic: env.config.kafka.eventsTopic,
      acks: -1,
      messages: payloads.map((payload) => kafkaMessage(accountId, payload)),
    });
  }

  async function storedEventCount(accountId: number): Promise<number> {
    const { rows } = await db.query('SELECT count(*)::int AS n FROM events WHERE account_id = $1', [
      accountId,
    ]);
    return rows[0].n as number;
  }

  async function waitForEvents(accountId: number, count: number): Promise<void> {
    await waitFor(
      `${count} events of account ${accountId}`,
      async () => (await storedEventCount(accountId)) >= count,
    );
  }

  /** The event ids waiting in one lane of a webhook, in lane order (the order they are to be sent in). */
  async function laneEventIds(webhookId: string, kind: 'REALTIME' | 'BATCH'): Promise<string[]> {
    const { rows } = await db.query(
      `SELECT e.event_id, li.released FROM lane_waiting_items li JOIN events e ON e.id = li.event_pk
        WHERE li.webhook_id = $1 AND li.kind = $2 ORDER BY li.id`,
      [webhookId, kind],
    );
    // Real-time items are released at once; non-real-time items wait for BATCH_CRON.
    expect(rows.every((row) => row.released === (kind === 'REALTIME'))).toBe(true);
    return rows.map((row) => row.event_id as string);
  }

  async function deliveryCount(webhookId: string): Promise<number> {
    const { rows } = await db.query('SELECT count(*)::int AS n FROM deliveries WHERE webhook_id = $1', [
      webhookId,
    ]);
    return rows[0].n as number;
  }

  async function lanesOf(webhookId: string): Promise<Record<'REALTIME' | 'BATCH', LaneState>> {
    const { rows } = await db.query<LaneState>(
      `SELECT kind, busy, activations::int AS activations, activated_by::text AS activation
         FROM lanes WHERE webhook_id = $1`,
      [webhookId],
    );
    return Object.fromEntries(rows.map((row) => [row.kind, row])) as Record<'REALTIME' | 'BATCH', LaneState>;
  }

  /** The lanes of a webhook its commits announced to the dispatchers, by kind. */
  const announcementsOf = (webhookId: string, kind: 'REALTIME' | 'BATCH') =>
    announced.filter((payload) => payload.startsWith(`${webhookId}:${kind}:`));

  /**
   * A woken REALTIME lane: busy, woken once, and announced to the dispatchers by its commit (no
   * dispatcher runs here, so nothing answers; the outbox relay is the dispatcher's).
   */
  async function expectRealtimeLaneWokenOnce(webhookId: string): Promise<void> {
    const lanes = await lanesOf(webhookId);
    expect(lanes.REALTIME).toMatchObject({ busy: true, activations: 1 });
    await waitFor('the lane announced', () => announcementsOf(webhookId, 'REALTIME').length > 0, 10_000);
    expect(announcementsOf(webhookId, 'BATCH')).toEqual([]);
  }

  it('is ready without Redis: it queues nothing, its commits announce the lanes they wake', async () => {
    const { port } = app.getHttpServer().address() as { port: number };
    await waitFor('ingestion ready', async () => (await fetch(`http://127.0.0.1:${port}/health/ready`)).ok);
    const ready = (await (await fetch(`http://127.0.0.1:${port}/health/ready`)).json()) as {
      status: string;
      info: Record<string, unknown>;
    };
    expect(ready.status).toBe('ok');
    expect(Object.keys(ready.info)).toEqual(expect.arrayContaining(['postgres', 'kafka']));
    expect(Object.keys(ready.info)).not.toContain('redis');
  });

  it('accepts one event of every catalogue entry: a row each, a lane item in the REALTIME or BATCH lane in partition order, one announced wake-up for the real-time lane', async () => {
    const accountId = newAccount();
    const webhookId = await insertWebhook(db, { accountId, events: [...EVENT_NAMES] });
    const sent = EVENT_NAMES.map((name) => wireEvent(accountId, name));

    await produce(accountId, sent);
    await waitForEvents(accountId, sent.length);

    const { rows: stored } = await db.query(
      `SELECT event_id, event_name, realtime, occurred_at, event_info, data::text AS data FROM events WHERE account_id = $1`,
      [accountId],
    );
    expect(stored).toHaveLength(EVENT_NAMES.length);
    for (const event of sent) {
      const row = stored.find((candidate) => candidate.event_id === event.eventId);
      expect(row).toMatchObject({
        event_name: event.eventName,
        realtime: REALTIME_EVENT_NAMES.includes(event.eventName as EventName),
        occurred_at: String(event.timestamp),
        event_info: event.eventInfo,
      });
      expect(JSON.parse(row.data)).toEqual(event.data);
    }

    const realtimeIds = sent
      .filter((event) => REALTIME_EVENT_NAMES.includes(event.eventName as EventName))
      .map((event) => event.eventId);
    const batchIds = sent
      .filter((event) => BATCH_EVENT_NAMES.includes(event.eventName as EventName))
      .map((event) => event.eventId);
    expect(realtimeIds).toHaveLength(REALTIME_EVENT_NAMES.length);
    expect(batchIds).toHaveLength(BATCH_EVENT_NAMES.length);

    // One key, one partition: each lane holds its events in the order they were produced.
    expect(await laneEventIds(webhookId, 'REALTIME')).toEqual(realtimeIds);
    expect(await laneEventIds(webhookId, 'BATCH')).toEqual(batchIds);
    // Ingestion makes no request (the dispatcher does, from the lane) and no job: the real-time lane
    // was woken once and announced; the BATCH lane stays idle until BATCH_CRON releases it.
    expect(await deliveryCount(webhookId)).toBe(0);
    await expectRealtimeLaneWokenOnce(webhookId);
    expect((await lanesOf(webhookId)).BATCH).toMatchObject({ busy: false, activations: 0 });
  });

  it('accepts the envelope form: each event stored (ISO timestamps as ms) and appended to its lane in envelope order', async () => {
    const accountId = newAccount();
    const webhookId = await insertWebhook(db, {
      accountId,
      events: ['COURSE_ENROLLMENT', 'COURSE_COMPLETED', 'LEARNER_PROGRESS'],
    });
    const enrollment = wireEvent(accountId, 'COURSE_ENROLLMENT', { timestamp: '2025-03-04T05:06:07.089Z' });
    const completion = wireEvent(accountId, 'COURSE_COMPLETED');
    const progress = wireEvent(accountId, 'LEARNER_PROGRESS');

    await produce(accountId, [wireEnvelope(accountId, [enrollment, completion, progress])]);
    await waitForEvents(accountId, 3);

    const { rows } = await db.query(
      'SELECT occurred_at FROM events WHERE account_id = $1 AND event_id = $2',
      [accountId, enrollment.eventId],
    );
    expect(rows[0].occurred_at).toBe(String(Date.parse('2025-03-04T05:06:07.089Z')));
    expect(await laneEventIds(webhookId, 'REALTIME')).toEqual([enrollment.eventId, completion.eventId]);
    expect(await laneEventIds(webhookId, 'BATCH')).toEqual([progress.eventId]);
    await expectRealtimeLaneWokenOnce(webhookId);
  });

  it('stores a repeated event (same eventId and timestamp) once with one lane item, whether repeated in the same batch or a later one', async () => {
    const accountId = newAccount();
    const webhookId = await insertWebhook(db, { accountId, events: ['COURSE_ENROLLMENT'] });
    const event = wireEvent(accountId, 'COURSE_ENROLLMENT');

    await produce(accountId, [event, event]);
    await waitForEvents(accountId, 1);
    // Same key, same partition: once the marker is stored, the later copies before it were consumed.
    const marker = wireEvent(accountId, 'COURSE_ENROLLMENT');
    await produce(accountId, [event, wireEnvelope(accountId, [event]), marker]);
    await waitForEvents(accountId, 2);

    expect(await storedEventCount(accountId)).toBe(2);
    expect(await laneEventIds(webhookId, 'REALTIME')).toEqual([event.eventId, marker.eventId]);
    await expectRealtimeLaneWokenOnce(webhookId);
  });

  it('takes an eventId repeated with another timestamp for another event: its timestamp is part of what names it', async () => {
    const accountId = newAccount();
    const webhookId = await insertWebhook(db, { accountId, events: ['COURSE_ENROLLMENT'] });
    const first = wireEvent(accountId, 'COURSE_ENROLLMENT', {
      timestamp: Date.parse('2026-01-02T03:04:05.000Z'),
    });
    const later = { ...first, timestamp: Date.parse('2026-01-02T03:04:06.000Z') };

    await produce(accountId, [first, later, later]);
    await waitForEvents(accountId, 2);

    const rows = await db.query<{ occurred_at: string }>(
      `SELECT occurred_at FROM events WHERE account_id = $1 ORDER BY occurred_at`,
      [accountId],
    );
    expect(rows.rows.map((row) => Number(row.occurred_at))).toEqual([first.timestamp, later.timestamp]);
    expect(await laneEventIds(webhookId, 'REALTIME')).toEqual([first.eventId, first.eventId]);
  });

  it('creates nothing for inactive, disabled, deleted or unsubscribed webhooks, nor for another account', async () => {
    const accountId = newAccount();
    const otherAccountId = newAccount();
    const subscribed = ['COURSE_ENROLLMENT', 'COURSE_ENROLLMENT_BATCH'];
    const active = await insertWebhook(db, { accountId, events: subscribed });
    const silent = [
      await insertWebhook(db, { accountId, events: subscribed, status: 'INACTIVE' }),
      await insertWebhook(db, { accountId, events: subscribed, status: 'DISABLED' }),
      await insertWebhook(db, { accountId, events: subscribed, deleted: true }),
      await insertWebhook(db, { accountId, events: ['COURSE_COMPLETED', 'LEARNER_PROGRESS'] }),
      await insertWebhook(db, { accountId: otherAccountId, events: subscribed }),
    ];
    const realtime = wireEvent(accountId, 'COURSE_ENROLLMENT');
    const batched = wireEvent(accountId, 'COURSE_ENROLLMENT_BATCH');

    await produce(accountId, [realtime, batched]);
    await waitForEvents(accountId, 2);

    expect(await laneEventIds(active, 'REALTIME')).toEqual([realtime.eventId]);
    expect(await laneEventIds(active, 'BATCH')).toEqual([batched.eventId]);
    for (const webhookId of silent) {
      expect(await laneEventIds(webhookId, 'REALTIME')).toEqual([]);
      expect(await laneEventIds(webhookId, 'BATCH')).toEqual([]);
      expect(await deliveryCount(webhookId)).toBe(0);
      expect(await lanesOf(webhookId)).toMatchObject({
        REALTIME: { busy: false, activations: 0 },
        BATCH: { busy: false, activations: 0 },
      });
      expect([...announcementsOf(webhookId, 'REALTIME'), ...announcementsOf(webhookId, 'BATCH')]).toEqual([]);
    }
    expect(await storedEventCount(otherAccountId)).toBe(0);
  });

  it('sees a webhook created, deactivated or re-activated on the next event once the change feed reports it (not after the 60 s TTL)', async () => {
    const accountId = newAccount();
    // The feed is asynchronous (NOTIFY reaches the listener a few ms after the commit): the guarantee is
    // "the next event after the notification", so the test waits for the notification, never for the TTL.
    const feed = app.get(WebhookChangeFeed);
    const writeSeenByCache = async (write: () => Promise<unknown>): Promise<void> => {
      let unsubscribe: () => void = () => undefined;
      const seen = new Promise<void>((resolve) => {
        unsubscribe = feed.subscribe((change) => {
          if (change === null || change.accountId === accountId) resolve();
        });
      });
      await write();
      await seen.finally(unsubscribe);
    };

    const first = wireEvent(accountId, 'COURSE_ENROLLMENT');
    await produce(accountId, [first]);
    await waitForEvents(accountId, 1); // the cache now knows this account has no webhooks

    let webhookId = '';
    await writeSeenByCache(
      async () => (webhookId = await insertWebhook(db, { accountId, events: ['COURSE_ENROLLMENT'] })),
    );
    const second = wireEvent(accountId, 'COURSE_ENROLLMENT');
    await produce(accountId, [second]);
    await waitForEvents(accountId, 2);
    expect(await laneEventIds(webhookId, 'REALTIME')).toEqual([second.eventId]);

    await writeSeenByCache(() =>
      db.query(`UPDATE webhooks SET status = 'INACTIVE' WHERE id = $1`, [webhookId]),
    );
    await produce(accountId, [wireEvent(accountId, 'COURSE_ENROLLMENT')]);
    await waitForEvents(accountId, 3);
    expect(await laneEventIds(webhookId, 'REALTIME')).toHaveLength(1);

    await writeSeenByCache(() =>
      db.query(`UPDATE webhooks SET status = 'ACTIVE' WHERE id = $1`, [webhookId]),
    );
    const fourth = wireEvent(accountId, 'COURSE_ENROLLMENT');
    await produce(accountId, [fourth]);
    await waitForEvents(accountId, 4);
    expect(await laneEventIds(webhookId, 'REALTIME')).toEqual([second.eventId, fourth.eventId]);
  });

  it('created the events and DLQ topics with KAFKA_EVENTS_PARTITIONS partitions at boot (the broker does not auto-create)', async () => {
    const admin = testKafka().admin();
    await admin.connect();
    try {
      const { topics } = await admin.fetchTopicMetadata({
        topics: [env.config.kafka.eventsTopic, env.config.kafka.dlqTopic],
      });
      expect(topics.map((topic) => [topic.name, topic.partitions.length]).sort()).toEqual([
        [env.config.kafka.eventsTopic, env.config.kafka.eventsPartitions],
        [env.config.kafka.dlqTopic, env.config.kafka.eventsPartitions],
      ]);
    } finally {
      await admin.disconnect();
    }
  });

  it('serves /health/live and /metrics with the ingestion counters', async () => {
    const base = (await app.getUrl()).replace('[::1]', '127.0.0.1').replace('[::]', '127.0.0.1');
    const live = await fetch(`${base}/health/live`);
    expect(live.status).toBe(200);
    const metrics = await (await fetch(`${base}/metrics`)).text();
    expect(metrics).toMatch(/lmsw_events_consumed_total\{result="valid"\} [1-9]/);
    expect(metrics).toMatch(/lmsw_lane_wakeups_total\{source="ingestion"\} [1-9]/);
  });
});
