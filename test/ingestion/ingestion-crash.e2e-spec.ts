import { DELIVERY_QUEUE } from '@lms/queue-contract';
import {
  connectLmsProducer,
  deleteTestTopics,
  startAppProcess,
  stopAppProcess,
  testKafka,
  type AppProcess,
  waitFor,
} from '@lms/testing';
import Bull, { type Queue } from 'bull';
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
 * Issue 4's "Done when": SIGKILL the ingestion process in the middle of a 5,000-event run, start it
 * again, and every event is persisted exactly once with exactly one delivery, whose job is queued
 * (by the ingestion path or, for deliveries committed just before the kill, by the outbox relay).
 */
describe('event ingestion survives SIGKILL mid-run', () => {
  let env: IngestionTestEnv;
  let db: Client;
  let producer: Producer;
  let queue: Queue;
  let ingestion: AppProcess | undefined;

  beforeAll(async () => {
    env = await createIngestionTestEnv('ingest_crash', { RELAY_INTERVAL_MS: '500ms', RELAY_GRACE_MS: '1s' });
    db = new Client({ connectionString: env.database.url });
    producer = await connectLmsProducer();
    queue = new Bull(DELIVERY_QUEUE, env.config.redis.url, { prefix: env.config.redis.queuePrefix });
  });

  afterAll(async () => {
    if (ingestion) await stopAppProcess(ingestion, 'SIGKILL');
    await producer?.disconnect();
    await queue?.obliterate({ force: true }).catch(() => undefined);
    await queue?.close();
    await db?.end();
    await env?.database.drop();
    await deleteTestTopics([env.config.kafka.eventsTopic, env.config.kafka.dlqTopic]);
  });

  const storedCount = async (): Promise<number> =>
    (await db.query('SELECT count(*)::int AS n FROM events')).rows[0].n as number;

  it('persists all 5,000 events exactly once, each with one delivery and one queued job, then stops cleanly on SIGTERM', async () => {
    ingestion = await startAppProcess('event-ingestion', env.env); // also migrates and creates the topics
    await db.connect();
    const accountIds = Array.from({ length: ACCOUNTS }, () => randomInt(100_000, 2_000_000_000));
    const webhookIds: string[] = [];
    for (const accountId of accountIds)
      webhookIds.push(await insertWebhook(db, { accountId, events: ['COURSE_ENROLLMENT'] }));

    // Paced production (~2.5 k/s), so the kill lands while events are still arriving and being stored.
    const producing = (async () => {
      for (let sent = 0; sent < TOTAL_EVENTS; sent += CHUNK) {
        const messages = Array.from({ length: CHUNK }, (_, index) => {
          const accountId = accountIds[(sent + index) % ACCOUNTS];
          return kafkaMessage(accountId, wireEvent(accountId, 'COURSE_ENROLLMENT'));
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
    // Let the restarted consumer catch up with anything still re-delivered after the last new row.
    await new Promise((resolve) => setTimeout(resolve, 1000));

    const {
      rows: [totals],
    } = await db.query(
      `SELECT (SELECT count(*) FROM events)::int AS events,
              (SELECT count(DISTINCT (account_id, event_id)) FROM events)::int AS distinct_events,
              (SELECT count(*) FROM deliveries)::int AS deliveries,
              (SELECT count(*) FROM delivery_events)::int AS delivery_events,
              (SELECT count(*) FROM events e WHERE NOT EXISTS (SELECT 1 FROM delivery_events de WHERE de.event_pk = e.id))::int AS undelivered,
              (SELECT count(*) FROM (SELECT event_pk FROM delivery_events GROUP BY event_pk HAVING count(*) > 1) x)::int AS doubled`,
    );
    expect(totals).toEqual({
      events: TOTAL_EVENTS,
      distinct_events: TOTAL_EVENTS,
      deliveries: TOTAL_EVENTS,
      delivery_events: TOTAL_EVENTS,
      undelivered: 0,
      doubled: 0,
    });
    const { rows: perWebhook } = await db.query(
      'SELECT webhook_id, count(*)::int AS n FROM deliveries GROUP BY webhook_id',
    );
    expect(perWebhook.map((row) => row.webhook_id).sort()).toEqual([...webhookIds].sort());
    expect(perWebhook.every((row) => row.n === TOTAL_EVENTS / ACCOUNTS)).toBe(true);

    // Deliveries committed just before the kill but never queued are queued by the relay.
    await waitFor(
      'a job for every delivery',
      async () => (await queue.getWaitingCount()) === TOTAL_EVENTS,
      15_000,
    );
    const { rows: ids } = await db.query('SELECT id FROM deliveries');
    const jobs = await Promise.all(ids.map((row) => queue.getJob(row.id as string)));
    expect(jobs.filter((job) => job === null)).toHaveLength(0);

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
