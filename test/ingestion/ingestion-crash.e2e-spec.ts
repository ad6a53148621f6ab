import {
  connectLmsProducer,
  deleteTestTopics,
  listenForLaneWakeUps,
  startAppProcess,
  stopAppProcess,
  testKafka,
  type AppProcess,
  type LaneWakeAnnouncements,
  waitFor,
} from '@lms/testing';
import type { Producer } from 'kafkajs';
import { randomInt } from 'node:crypto';
import { Client } from 'pg';
import { createIngestionTestEnv, type IngestionTestEnv } from './support/ingestion-test-env';
import { kafkaMessage, wireEvent } from './support/lms-wire.factory';
import { insertWebhook } from './support/webhook-rows.factory';

// The e2e project's testTimeout does not reach hooks here: booting and closing a real stack takes seconds.
jest.setTimeout(120_000);

const TOTAL_EVENTS = 5000;
const ACCOUNTS = 5;
const CHUNK = 250;
const CHUNK_INTERVAL_MS = 100;

/**
 * Issue 4's "Done when", on the lane model (issue 9): SIGKILL the ingestion process in the middle of a
 * 5,000-event run, start it again, and every event is persisted exactly once with exactly one lane
 * item, each lane in production order, and each lane woken once and announced on lmsw_lane_wake by
 * the commit that woke it (Postgres sends a committed transaction's NOTIFY even when its client is
 * killed right after). No dispatcher runs, so the lanes keep what ingestion wrote.
 */
describe('event ingestion survives SIGKILL mid-run', () => {
  let env: IngestionTestEnv;
  let db: Client;
  let producer: Producer;
  let announcements: LaneWakeAnnouncements;
  let ingestion: AppProcess | undefined;

  beforeAll(async () => {
    env = await createIngestionTestEnv('ingest_crash');
    db = new Client({ connectionString: env.database.url });
    producer = await connectLmsProducer();
    announcements = await listenForLaneWakeUps(env.database.url);
  });

  afterAll(async () => {
    if (ingestion) await stopAppProcess(ingestion, 'SIGKILL');
    await producer?.disconnect();
    await announcements?.close();
    await db?.end();
    await env?.database.drop();
    await deleteTestTopics([env.config.kafka.eventsTopic, env.config.kafka.dlqTopic]);
  });

  const storedCount = async (): Promise<number> =>
    (await db.query('SELECT count(*)::int AS n FROM events')).rows[0].n as number;

  it('persists all 5,000 events exactly once, each one lane item in production order, every lane woken once and announced, then stops cleanly on SIGTERM', async () => {
    ingestion = await startAppProcess('event-ingestion', env.env); // also migrates and creates the topics
    await db.connect();
    const accountIds = Array.from({ length: ACCOUNTS }, () => randomInt(100_000, 2_000_000_000));
    const webhookIds: string[] = [];
    for (const accountId of accountIds)
      webhookIds.push(await insertWebhook(db, { accountId, events: ['COURSE_ENROLLMENT'] }));
    // One key per account, one partition: each account's events in the order they were produced.
    const producedByAccount = new Map<number, string[]>(accountIds.map((accountId) => [accountId, []]));

    // Paced production (~2.5 k/s), so the kill lands while events are still arriving and being stored.
    const producing = (async () => {
      for (let sent = 0; sent < TOTAL_EVENTS; sent += CHUNK) {
        const messages = Array.from({ length: CHUNK }, (_, index) => {
          const accountId = accountIds[(sent + index) % ACCOUNTS];
          const event = wireEvent(accountId, 'COURSE_ENROLLMENT');
          producedByAccount.get(accountId)!.push(event.eventId as string);
          return kafkaMessage(accountId, event);
        });
        await producer.send({ topic: env.config.kafka.eventsTopic, acks: -1, messages });
        await new Promise((resolve) => setTimeout(resolve, CHUNK_INTERVAL_MS));
      }
    })();

    await waitFor('ingestion to be mid-run', async () => (await storedCount()) >= 1000, 30_000);
    const killedAt = await stopAppProcess(ingestion, 'SIGKILL');
    ingestion = undefined;
    const storedAtKill = await storedCount();
    expect(killedAt).toBeNull(); // killed by the signal, not exited
    expect(storedAtKill).toBeLessThan(TOTAL_EVENTS);

    await producing;
    ingestion = await startAppProcess('event-ingestion', env.env);
    await waitFor('all events after the restart', async () => (await storedCount()) >= TOTAL_EVENTS, 45_000);
    // The restarted consumer has caught up with everything re-delivered after the last new row once its
    // group's committed offsets reach the end of every partition (offsets are committed after storing).
    const offsets = testKafka('ingest-crash-offsets').admin();
    await offsets.connect();
    try {
      const { eventsTopic: topic, consumerGroup: groupId } = env.config.kafka;
      await waitFor('every record consumed and committed after the restart', async () => {
        const ends = await offsets.fetchTopicOffsets(topic);
        const [committed] = await offsets.fetchOffsets({ groupId, topics: [topic] });
        // A partition no account hashed to has no record and no committed offset (-1): nothing to wait for.
        return ends.every(
          (end) =>
            end.high === '0' ||
            committed.partitions.find((p) => p.partition === end.partition)?.offset === end.high,
        );
      });
    } finally {
      await offsets.disconnect();
    }

    const {
      rows: [totals],
    } = await db.query(
      `SELECT (SELECT count(*) FROM events)::int AS events,
              (SELECT count(DISTINCT (account_id, event_id)) FROM events)::int AS distinct_events,
              (SELECT count(*) FROM lane_waiting_items WHERE kind = 'REALTIME' AND released)::int AS lane_items,
              (SELECT count(*) FROM events e WHERE NOT EXISTS (SELECT 1 FROM lane_items li WHERE li.event_pk = e.id))::int AS unqueued,
              (SELECT count(*) FROM (SELECT event_pk FROM lane_items GROUP BY event_pk HAVING count(*) > 1) x)::int AS doubled,
              (SELECT count(*) FROM deliveries)::int AS deliveries`,
    );
    expect(totals).toEqual({
      events: TOTAL_EVENTS,
      distinct_events: TOTAL_EVENTS,
      lane_items: TOTAL_EVENTS,
      unqueued: 0,
      doubled: 0,
      deliveries: 0, // ingestion makes no request: the dispatcher does, from the lanes
    });
    // Records consumed again after the kill were duplicates: they added nothing, so each lane holds
    // its account's events exactly in production order.
    for (const [index, webhookId] of webhookIds.entries()) {
      const { rows } = await db.query(
        `SELECT e.event_id FROM lane_items li JOIN events e ON e.id = li.event_pk
          WHERE li.webhook_id = $1 AND li.kind = 'REALTIME' ORDER BY li.id`,
        [webhookId],
      );
      expect(rows.map((row) => row.event_id as string)).toEqual(producedByAccount.get(accountIds[index]));
    }

    // Every lane is busy, woken once (its activation), never per event, and its commit announced it.
    const { rows: lanes } = await db.query(
      `SELECT webhook_id, busy, activations::int AS activations FROM lanes WHERE kind = 'REALTIME'`,
    );
    expect(lanes.map((lane) => lane.webhook_id as string).sort()).toEqual([...webhookIds].sort());
    expect(lanes.every((lane) => lane.busy === true && lane.activations === 1)).toBe(true);
    await waitFor('an announcement for every lane', () =>
      webhookIds.every((webhookId) => announcements.kindsOf(webhookId).includes('REALTIME')),
    );

    const exitCode = await stopAppProcess(ingestion, 'SIGTERM');
    ingestion = undefined;
    expect(exitCode).toBe(0);
    const admin = testKafka().admin();
    await admin.connect();
    const { groups } = await admin.describeGroups([env.config.kafka.consumerGroup]);
    await admin.disconnect();
    expect(groups[0].members).toHaveLength(0); // it left the group instead of waiting out its session
  });
});
