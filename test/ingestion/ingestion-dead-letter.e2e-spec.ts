import { connectLmsProducer, deleteTestTopics, testKafka, waitFor } from '@lms/testing';
import type { INestApplication } from '@nestjs/common';
import type { Consumer, KafkaMessage, Producer } from 'kafkajs';
import { randomBytes, randomInt } from 'node:crypto';
import { Client } from 'pg';
import { bootstrap } from '../../apps/event-ingestion/src/main';
import { createIngestionTestEnv, type IngestionTestEnv } from './support/ingestion-test-env';
import { wireEnvelope, wireEvent } from './support/lms-wire.factory';
import { insertWebhook } from './support/webhook-rows.factory';

// The e2e project's testTimeout does not reach hooks here: booting and closing a real stack takes seconds.
jest.setTimeout(120_000);

interface DeadLetter {
  key: string | null;
  value: Buffer | null;
  headers: Record<string, string>;
}

describe('event ingestion: invalid messages go to the DLQ with their reason, and the partition keeps moving', () => {
  let env: IngestionTestEnv;
  let app: INestApplication;
  let db: Client;
  let producer: Producer;
  let dlqConsumer: Consumer;
  const deadLetters: DeadLetter[] = [];
  const accountId = randomInt(100_000, 2_000_000_000);

  beforeAll(async () => {
    env = await createIngestionTestEnv('ingest_dlq');
    app = await bootstrap(env.config, { handleSignals: false }); // creates the events and DLQ topics
    db = new Client({ connectionString: env.database.url });
    await db.connect();
    producer = await connectLmsProducer();
    dlqConsumer = testKafka('dlq-reader').consumer({
      groupId: `dlq-reader-${randomBytes(4).toString('hex')}`,
    });
    await dlqConsumer.connect();
    await dlqConsumer.subscribe({ topic: env.config.kafka.dlqTopic, fromBeginning: true });
    await dlqConsumer.run({
      eachMessage: async ({ message }) => {
        deadLetters.push({
          key: message.key?.toString() ?? null,
          value: message.value,
          headers: headerStrings(message),
        });
      },
    });
  });

  afterAll(async () => {
    await dlqConsumer?.disconnect();
    await producer?.disconnect();
    await app?.close();
    await db?.end();
    await env?.database.drop();
    await deleteTestTopics([env.config.kafka.eventsTopic, env.config.kafka.dlqTopic]);
  });

  const json = (payload: unknown) => Buffer.from(JSON.stringify(payload), 'utf8');

  // One message per class of problem, each with a marker so its DLQ copy can be told apart.
  const invalidMessages: Array<{ label: string; value: Buffer | null; code: string }> = [
    { label: 'not JSON', value: Buffer.from('{"accountId": 1, "eventId": "a"', 'utf8'), code: 'NOT_JSON' },
    { label: 'empty value', value: Buffer.alloc(0), code: 'EMPTY_MESSAGE' },
    { label: 'null value (tombstone)', value: null, code: 'EMPTY_MESSAGE' },
    { label: 'a JSON array', value: json([wireEvent(accountId)]), code: 'NOT_AN_OBJECT' },
    {
      label: 'unknown event',
      value: json(wireEvent(accountId, 'COURSE_ENROLLMENT', { eventName: 'COURSE_EXPLODED' })),
      code: 'UNKNOWN_EVENT',
    },
    {
      label: 'accountId missing',
      value: json(wireEvent(accountId, 'COURSE_ENROLLMENT', { accountId: undefined })),
      code: 'ACCOUNT_ID_MISSING',
    },
    {
      label: 'accountId not a number',
      value: json(wireEvent(accountId, 'COURSE_ENROLLMENT', { accountId: 'acme' })),
      code: 'ACCOUNT_ID_INVALID',
    },
    {
      label: 'data field mistyped',
      value: json(
        wireEvent(accountId, 'COURSE_ENROLLMENT', {
          data: { ...(wireEvent(accountId).data as object), userId: { id: 1 } },
        }),
      ),
      code: 'SCHEMA_INVALID',
    },
    {
      label: 'timestamp missing',
      value: json(wireEvent(accountId, 'COURSE_ENROLLMENT', { timestamp: undefined })),
      code: 'SCHEMA_INVALID',
    },
    { label: 'envelope with no events', value: json({ accountId, events: [] }), code: 'EMPTY_ENVELOPE' },
    {
      label: 'envelope with one bad event',
      value: json(
        wireEnvelope(accountId, [
          wireEvent(accountId),
          wireEvent(accountId, 'COURSE_COMPLETED', { data: {} }),
        ]),
      ),
      code: 'SCHEMA_INVALID',
    },
    {
      label: 'envelope events not an array',
      value: json({ accountId, events: { eventId: 'x' } }),
      code: 'SCHEMA_INVALID',
    },
  ];

  it('dead-letters each invalid message byte for byte with x-error-* and x-source-* headers, then stores the valid one after them', async () => {
    const webhookId = await insertWebhook(db, { accountId, events: ['COURSE_ENROLLMENT'] });
    const valid = wireEvent(accountId, 'COURSE_ENROLLMENT');
    // Same key and partition: the valid event is behind every invalid one.
    await producer.send({
      topic: env.config.kafka.eventsTopic,
      acks: -1,
      messages: [
        ...invalidMessages.map(({ value }) => ({ key: String(accountId), value, partition: 0 })),
        { key: String(accountId), value: json(valid), partition: 0 },
      ],
    });

    await waitFor('the valid event after the invalid ones', async () => {
      const { rows } = await db.query('SELECT 1 FROM events WHERE account_id = $1 AND event_id = $2', [
        accountId,
        valid.eventId,
      ]);
      return rows.length === 1;
    });
    await waitFor('every dead letter', () => deadLetters.length >= invalidMessages.length, 15_000);

    expect(deadLetters).toHaveLength(invalidMessages.length);
    const { rows: offsets } = await db.query('SELECT source_offset FROM events WHERE event_id = $1', [
      valid.eventId,
    ]);
    const validOffset = Number(offsets[0].source_offset);
    invalidMessages.forEach((sent, index) => {
      const letter = deadLetters[index];
      expect({ label: sent.label, code: letter.headers['x-error-code'] }).toEqual({
        label: sent.label,
        code: sent.code,
      });
      expect(letter.value === null ? null : letter.value.toString('base64')).toBe(
        sent.value === null ? null : sent.value.toString('base64'),
      );
      expect(letter.key).toBe(String(accountId));
      expect(letter.headers['x-error-message'].length).toBeGreaterThan(0);
      expect(letter.headers).toMatchObject({
        'x-source-topic': env.config.kafka.eventsTopic,
        'x-source-partition': '0',
        'x-source-offset': String(validOffset - invalidMessages.length + index),
      });
    });

    // The valid record is the only one that reached the webhook's lane (ingestion makes no delivery).
    const { rows: laneItems } = await db.query(
      `SELECT li.kind, e.event_id FROM lane_items li JOIN events e ON e.id = li.event_pk WHERE li.webhook_id = $1`,
      [webhookId],
    );
    expect(laneItems).toEqual([{ kind: 'REALTIME', event_id: valid.eventId }]);
    const { rows: stored } = await db.query('SELECT count(*)::int AS n FROM events WHERE account_id = $1', [
      accountId,
    ]);
    expect(stored[0].n).toBe(1);
  });

  it('explains a schema error field by field in x-error-message and x-error-details', () => {
    const mistyped = deadLetters.find((letter) => letter.value?.toString().includes('"userId":{"id":1}'));
    expect(mistyped?.headers['x-error-message']).toContain('data.userId');
    const details = JSON.parse(mistyped!.headers['x-error-details']);
    expect(details).toEqual(expect.arrayContaining([expect.objectContaining({ field: 'data.userId' })]));
  });
});

function headerStrings(message: KafkaMessage): Record<string, string> {
  return Object.fromEntries(
    Object.entries(message.headers ?? {}).map(([name, value]) => [name, String(value)]),
  );
}
