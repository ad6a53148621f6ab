/**
 * Records written by the official Java client (kafka-clients, the broker's version), as real LMS
 * services write them: every compression type, idempotent or not, transactions committed, aborted
 * and interleaved on one partition, headers, null keys, keys that are not the accountId, and a batch
 * too large to decompress. Ingestion and the dispatcher run in this process against the real broker,
 * Postgres and Redis; a real HTTP listener proves what is delivered.
 */
import { loadDispatcherConfig } from '@lms/config';
import {
  deleteTestTopics,
  runJavaProducer,
  startListener,
  testKafka,
  waitFor,
  type JavaCompression,
  type JavaProducerAck,
  type JavaProducerOptions,
  type JavaProducerStep,
  type TestListener,
} from '@lms/testing';
import type { INestApplication } from '@nestjs/common';
import type { Consumer } from 'kafkajs';
import { randomBytes, randomInt } from 'node:crypto';
import { Client } from 'pg';
import { bootstrapDispatcher } from '../../apps/dispatcher/src/main';
import { bootstrap } from '../../apps/event-ingestion/src/main';
import { createIngestionTestEnv, type IngestionTestEnv } from './support/ingestion-test-env';
import { wireEnvelope, wireEvent, type WireObject } from './support/lms-wire.factory';
import { insertWebhook } from './support/webhook-rows.factory';

// The e2e project's testTimeout does not reach hooks here: booting and closing a real stack takes seconds.
jest.setTimeout(180_000);

// Small enough that one oversized record makes an unreadable batch; far above any other batch here.
const MAX_DECOMPRESSED_BATCH_BYTES = 1024 * 1024;
const COMPRESSIONS: JavaCompression[] = ['none', 'gzip', 'snappy', 'lz4', 'zstd'];

interface DeadLetter {
  offset: string;
  headers: Record<string, string>;
  value: Buffer | null;
}

describe('event ingestion reads what the Java client writes', () => {
  let env: IngestionTestEnv;
  let ingestion: INestApplication;
  let dispatcher: INestApplication;
  let db: Client;
  let listener: TestListener;
  let dlqReader: Consumer;
  const deadLetters: DeadLetter[] = [];

  const newAccount = () => randomInt(100_000, 2_000_000_000);
  const json = (event: WireObject) => JSON.stringify(event);
  const idOf = (event: WireObject) => event.eventId as string;

  beforeAll(async () => {
    env = await createIngestionTestEnv('java_interop', {
      KAFKA_MAX_DECOMPRESSED_BATCH_BYTES: String(MAX_DECOMPRESSED_BATCH_BYTES),
    });
    listener = await startListener();
    ingestion = await bootstrap(env.config, { handleSignals: false });
    dispatcher = await bootstrapDispatcher(
      loadDispatcherConfig({ ...env.env, DISPATCHER_PORT: '0', BATCH_CRON: '0 0 1 1 *' }),
    );
    db = new Client({ connectionString: env.database.url });
    await db.connect();
    dlqReader = testKafka('dlq-reader').consumer({ groupId: `dlq-reader-${randomBytes(4).toString('hex')}` });
    await dlqReader.connect();
    await dlqReader.subscribe({ topic: env.config.kafka.dlqTopic, fromBeginning: true });
    await dlqReader.run({
      eachMessage: async ({ message }) => {
        deadLetters.push({
          offset: message.offset,
          value: message.value,
          headers: Object.fromEntries(
            Object.entries(message.headers ?? {}).map(([name, value]) => [name, String(value)]),
          ),
        });
      },
    });
  });

  afterAll(async () => {
    await dlqReader?.disconnect();
    await dispatcher?.close();
    await ingestion?.close();
    await listener?.close();
    await db?.end();
    await env?.database.drop();
    await deleteTestTopics([env.config.kafka.eventsTopic, env.config.kafka.dlqTopic]);
  });

  /** Runs a Java client scenario on this file's events topic. */
  function produceWithJava(
    steps: JavaProducerStep[],
    producers: Record<string, JavaProducerOptions> = {},
  ): Promise<JavaProducerAck[]> {
    return runJavaProducer({ topic: env.config.kafka.eventsTopic, producers, steps });
  }

  /** A webhook of this account whose deliveries reach the test listener. */
  async function subscribe(accountId: number): Promise<void> {
    await insertWebhook(db, { accountId, events: ['COURSE_ENROLLMENT'], targetUrl: listener.url });
  }

  async function storedEvents(
    accountId: number,
  ): Promise<Array<{ eventId: string; partition: number; offset: string }>> {
    const { rows } = await db.query(
      `SELECT event_id, source_partition, source_offset::text AS source_offset
         FROM events WHERE account_id = $1 ORDER BY event_id`,
      [accountId],
    );
    return rows.map((row) => ({
      eventId: row.event_id as string,
      partition: row.source_partition as number,
      offset: row.source_offset as string,
    }));
  }

  /** Event ids the listener received for this account, in arrival order (repeats kept). */
  function deliveredIds(accountId: number): string[] {
    return listener.requests.flatMap((request) => {
      const body = JSON.parse(request.body) as { accountId: number; events: Array<{ eventId: string }> };
      return body.accountId === accountId ? body.events.map((event) => event.eventId) : [];
    });
  }

  /**
   * Waits until the listener has `expected` for this account, then checks that it got exactly those,
   * once each, and that Postgres holds exactly those events.
   */
  async function expectExactlyDelivered(accountId: number, expected: string[]): Promise<void> {
    await waitFor(`${expected.length} deliveries for account ${accountId}`, () =>
      expected.every((id) => deliveredIds(accountId).includes(id)),
    );
    expect([...deliveredIds(accountId)].sort()).toEqual([...expected].sort());
    expect((await storedEvents(accountId)).map((event) => event.eventId)).toEqual([...expected].sort());
  }

  it('every compression type, idempotent or not: each event stored at the offset the broker acknowledged and delivered once; headers, a null key and a foreign key change nothing', async () => {
    const cases = COMPRESSIONS.flatMap((compression) =>
      [true, false].map((idempotence) => ({
        name: `${compression}-${idempotence ? 'idempotent' : 'plain'}`,
        compression,
        idempotence,
        accountId: newAccount(),
      })),
    );
    const producers: Record<string, JavaProducerOptions> = {};
    const steps: JavaProducerStep[] = [];
    const expected = new Map<number, string[]>();
    const stepEvents: Array<{ accountId: number; ids: string[] }> = [];
    for (const [index, testCase] of cases.entries()) {
      await subscribe(testCase.accountId);
      producers[testCase.name] = { compression: testCase.compression, idempotence: testCase.idempotence };
      const keyed = wireEvent(testCase.accountId);
      const unkeyed = wireEvent(testCase.accountId);
      const envelope = [wireEvent(testCase.accountId), wireEvent(testCase.accountId)];
      // One partition per producer, so its records travel as one compressed batch.
      const partition = index % env.config.kafka.eventsPartitions;
      const send = { op: 'send' as const, producer: testCase.name, partition };
      steps.push(
        {
          ...send,
          key: String(testCase.accountId),
          value: json(keyed),
          headers: { 'x-trace-id': `t-${index}`, 'content-type': 'application/json' },
        },
        { ...send, key: null, value: json(unkeyed) },
        {
          ...send,
          key: `tenant-${index}-not-the-account`,
          value: json(wireEnvelope(testCase.accountId, envelope)),
        },
      );
      stepEvents.push(
        { accountId: testCase.accountId, ids: [idOf(keyed)] },
        { accountId: testCase.accountId, ids: [idOf(unkeyed)] },
        { accountId: testCase.accountId, ids: envelope.map(idOf) },
      );
      expected.set(testCase.accountId, [idOf(keyed), idOf(unkeyed), ...envelope.map(idOf)]);
    }

    const acks = await produceWithJava(steps, producers);

    expect(acks).toHaveLength(steps.length);
    for (const testCase of cases) {
      await expectExactlyDelivered(testCase.accountId, expected.get(testCase.accountId)!);
    }
    // Stored where the Java client was told each record went.
    for (const ack of acks) {
      const { accountId, ids } = stepEvents[ack.step];
      const stored = (await storedEvents(accountId)).filter((event) => ids.includes(event.eventId));
      expect(stored.map(({ partition, offset }) => ({ partition, offset }))).toEqual(
        ids.map(() => ({ partition: ack.partition, offset: ack.offset })),
      );
    }
    expect(deadLetters).toEqual([]);
  });

  it('read_committed: a committed transaction is delivered, an aborted one is not', async () => {
    const accountId = newAccount();
    await subscribe(accountId);
    const committed = [wireEvent(accountId), wireEvent(accountId)];
    const abortedEvents = [wireEvent(accountId), wireEvent(accountId)];
    const after = wireEvent(accountId);
    const send = (producer: string, event: WireObject): JavaProducerStep => ({
      op: 'send',
      producer,
      key: String(accountId),
      value: json(event),
      partition: 1,
    });

    await produceWithJava(
      [
        { op: 'begin', producer: 'committer' },
        ...committed.map((event) => send('committer', event)),
        { op: 'commit', producer: 'committer' },
        { op: 'begin', producer: 'aborter' },
        ...abortedEvents.map((event) => send('aborter', event)),
        { op: 'abort', producer: 'aborter' },
        send('main', after),
      ],
      {
        committer: { transactional: true, compression: 'lz4' },
        aborter: { transactional: true, compression: 'zstd' },
      },
    );

    // `after` sits behind the aborted records on partition 1: once it is delivered they were read.
    await expectExactlyDelivered(accountId, [...committed, after].map(idOf));
  });

  it('read_committed with interleaved transactions on one partition (A aborts, B commits, C aborts): exactly B is delivered', async () => {
    const accountId = newAccount();
    await subscribe(accountId);
    const events = {
      A: [wireEvent(accountId), wireEvent(accountId)],
      B: [wireEvent(accountId), wireEvent(accountId)],
      C: [wireEvent(accountId), wireEvent(accountId), wireEvent(accountId)],
    };
    const after = wireEvent(accountId);
    const send = (producer: 'A' | 'B' | 'C' | 'main', event: WireObject): JavaProducerStep[] => [
      { op: 'send', producer, key: String(accountId), value: json(event), partition: 0 },
      // Flushed one by one, so the log interleaves the three transactions record by record.
      { op: 'flush', producer },
    ];

    const acks = await produceWithJava(
      [
        { op: 'begin', producer: 'A' },
        ...send('A', events.A[0]),
        { op: 'begin', producer: 'B' },
        ...send('B', events.B[0]),
        { op: 'begin', producer: 'C' },
        ...send('C', events.C[0]),
        ...send('A', events.A[1]),
        ...send('B', events.B[1]),
        ...send('C', events.C[1]),
        { op: 'abort', producer: 'A' },
        { op: 'commit', producer: 'B' },
        ...send('C', events.C[2]),
        { op: 'abort', producer: 'C' },
        ...send('main', after),
      ],
      {
        A: { transactional: true, compression: 'gzip' },
        B: { transactional: true, compression: 'snappy' },
        C: { transactional: true },
      },
    );

    // All eight records really are in the log, on partition 0, interleaved as sent.
    expect(acks.map((ack) => ack.producer)).toEqual(['A', 'B', 'C', 'A', 'B', 'C', 'C', 'main']);
    expect(new Set(acks.map((ack) => ack.partition))).toEqual(new Set([0]));
    await expectExactlyDelivered(accountId, [...events.B, after].map(idOf));
  });

  it('a batch that decompresses past the cap is skipped (one dead letter at its offset) and the valid events behind it on the same partition still arrive', async () => {
    const accountId = newAccount();
    await subscribe(accountId);
    // Three valid events padded to 400 KiB, in one zstd batch: a few KiB on the wire, accepted by the
    // broker, 1.2 MiB once decompressed (past the 1 MiB cap).
    const bombs = [1, 2, 3].map(() =>
      wireEvent(accountId, 'COURSE_ENROLLMENT', { padding: 'a'.repeat(400 * 1024) }),
    );
    const behind = [wireEvent(accountId), wireEvent(accountId)];
    const send = (producer: string, event: WireObject): JavaProducerStep[] => [
      { op: 'send', producer, key: String(accountId), value: json(event), partition: 2 },
      { op: 'flush', producer },
    ];

    const acks = await produceWithJava(
      [
        ...bombs.map((event) => send('bomber', event)[0]),
        { op: 'flush', producer: 'bomber' },
        ...behind.flatMap((event) => send('main', event)),
      ],
      {
        // batch.size is compared with an estimate of the compressed size: 4 MiB keeps the three together.
        bomber: {
          compression: 'zstd',
          config: { 'batch.size': String(4 * 1024 * 1024), 'linger.ms': '200' },
        },
        main: { compression: 'zstd' },
      },
    );

    await expectExactlyDelivered(accountId, behind.map(idOf));
    const [first, , last] = acks.slice(0, 3).map((ack) => ack.offset);
    expect(BigInt(last) - BigInt(first)).toBe(2n);
    // One stub for the whole batch, at its last offset, so the consumer commits past all of it.
    const letter = await waitFor('the dead letter of the unreadable batch', () =>
      deadLetters.find((candidate) => candidate.headers['x-source-offset'] === last),
    );
    expect(letter.headers).toMatchObject({
      'x-error-code': 'UNREADABLE_BATCH',
      'x-source-topic': env.config.kafka.eventsTopic,
      'x-source-partition': '2',
      'x-source-first-offset': first,
    });
    expect(letter.headers['x-error-message']).toContain(
      `zstd batch decompresses to more than the ${MAX_DECOMPRESSED_BATCH_BYTES}-byte cap`,
    );
    // A stub: the batch could not be read, so there is nothing of its records to copy.
    expect(letter.value).toBeNull();
    expect(
      deadLetters.filter((candidate) => candidate.headers['x-error-code'] === 'UNREADABLE_BATCH'),
    ).toHaveLength(1);
    // Nothing of the batch was stored (expectExactlyDelivered saw only the events behind it).
  });
});
