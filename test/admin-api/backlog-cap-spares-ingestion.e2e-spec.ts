import {
  connectLmsProducer,
  deleteTestTopics,
  insertEventRow,
  laneItemRows,
  stackEnv,
  startAppProcess,
  stopAppProcess,
  uniqueKafkaNames,
  waitFor,
  type AppProcess,
} from '@lms/testing';
import type { Producer } from 'kafkajs';
import { kafkaMessage, wireEvent } from '../ingestion/support/lms-wire.factory';
import { startAdminApi, type AdminApiHarness } from './support/admin-api-harness';
import { webhookBody } from './support/webhook-factory';

const ACCOUNT = 9191;
const CAP = 3;

/**
 * Issue 15: MAX_PENDING_EVENTS_PER_WEBHOOK bounds what an admin adds (replay, redeliver), never what
 * the LMS sends: with a webhook's lanes at the cap, events arriving on Kafka still reach them.
 * The real event-ingestion process (from dist/) on the admin API's database; no dispatcher.
 */
describe('admin API: the backlog cap never refuses events from the LMS', () => {
  const kafkaNames = uniqueKafkaNames('backlog_cap');
  let api: AdminApiHarness;
  let ingestion: AppProcess | undefined;
  let producer: Producer | undefined;

  beforeAll(async () => {
    api = await startAdminApi('backlog_cap_ingestion', {
      ALLOW_PRIVATE_TARGETS: 'true',
      ALLOW_HTTP_TARGETS: 'true',
      MAX_PENDING_EVENTS_PER_WEBHOOK: String(CAP),
    });
  });
  afterAll(async () => {
    await producer?.disconnect();
    if (ingestion) await stopAppProcess(ingestion);
    await api?.close();
    await deleteTestTopics([kafkaNames.topic, kafkaNames.dlqTopic]);
  });

  it('ingests past the cap while replay is refused', async () => {
    const token = api.tokenFor(ACCOUNT);
    const created = await api.call('POST', '/api/v1/webhooks', {
      token,
      body: webhookBody({
        targetUrl: 'http://127.0.0.1:9/hooks',
        events: ['COURSE_ENROLLMENT'],
        active: true,
      }),
    });
    expect(created.status).toBe(201);
    const webhookId: string = created.body.id;
    const from = Date.UTC(2026, 0, 7);
    for (let i = 0; i < CAP + 1; i++) {
      await insertEventRow(api.sql, { accountId: ACCOUNT, occurredAt: from + i * 1000 });
    }
    const fill = await api.call('POST', `/api/v1/webhooks/${webhookId}/replay`, {
      token,
      body: { from, to: from + (CAP - 1) * 1000 },
    });
    expect(fill.status).toBe(202);
    const oneMore = { from: from + CAP * 1000, to: from + CAP * 1000 };
    const refused = await api.call('POST', `/api/v1/webhooks/${webhookId}/replay`, { token, body: oneMore });
    expect(refused.body.code).toBe('PENDING_EVENTS_LIMIT_REACHED');

    ingestion = await startAppProcess(
      'event-ingestion',
      stackEnv({
        databaseUrl: api.database.url,
        topic: kafkaNames.topic,
        group: kafkaNames.group,
        // The harness's prefix, so its clean-up removes the lane wake-ups ingestion queues.
        extra: { KAFKA_SESSION_TIMEOUT_MS: '6000', QUEUE_PREFIX: api.queuePrefix },
      }),
    );
    producer = await connectLmsProducer();
    await producer.send({
      topic: kafkaNames.topic,
      acks: -1,
      messages: [wireEvent(ACCOUNT), wireEvent(ACCOUNT)].map((event) => kafkaMessage(ACCOUNT, event)),
    });
    const lane = await waitFor('both ingested events in the lane', async () => {
      const items = await laneItemRows(api.sql, webhookId);
      return items.length >= CAP + 2 ? items : undefined;
    });
    expect(lane).toHaveLength(CAP + 2);

    const stillRefused = await api.call('POST', `/api/v1/webhooks/${webhookId}/replay`, {
      token,
      body: oneMore,
    });
    expect(stillRefused.body.details[0]).toEqual({
      field: 'pending',
      code: 'PENDING_EVENTS_LIMIT_REACHED',
      message: `more than ${CAP} events are waiting in the webhook's lanes`,
    });
  });
});
