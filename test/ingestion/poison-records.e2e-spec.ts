import {
  connectLmsProducer,
  deleteTestTopics,
  startListener,
  testKafka,
  waitFor,
  type TestListener,
} from '@lms/testing';
import type { ReceivedRequest } from '@lms/testing';
import { generateSigningSecret } from '@lms/http-delivery';
import { SecretCipher } from '@lms/webhook-domain';
import type { INestApplication } from '@nestjs/common';
import {
  CompressionCodecs,
  CompressionTypes,
  type Consumer,
  type IHeaders,
  type Message,
  type Producer,
} from 'kafkajs';
import { randomBytes, randomInt, randomUUID } from 'node:crypto';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Pool } from 'pg';
import { Webhook } from 'standardwebhooks';
import { bootstrap } from '../../apps/event-ingestion/src/main';
import {
  dispatcherTestEnv,
  startDispatcher,
  type RunningDispatcher,
} from '../dispatcher/support/dispatcher-harness';
import { DispatchFactories } from '../dispatcher/support/dispatch-factories';
import { createIngestionTestEnv, type IngestionTestEnv } from './support/ingestion-test-env';
import { wireEnvelope, wireEvent, type WireObject } from './support/lms-wire.factory';

jest.setTimeout(180_000);

interface DeadLetter {
  value: Buffer | null;
  headers: Record<string, string>;
}

// The poison goes to partition 0 with account A's events; account B's events go to partition 1.
const POISONED = 0;
const OTHER = 1;

// Decode limits well below the defaults so that the fetch-wide cap is reached with a few batches;
// far above every other record of the corpus (the largest, the 10,000-event envelope, is ~5 MB).
const MiB = 1024 * 1024;
const MAX_DECOMPRESSED_BATCH_BYTES = 8 * MiB;
const MAX_DECOMPRESSED_FETCH_BYTES = 16 * MiB;
// Above the corpus's 3,000-record batch. (A batch past the default 100,000 cannot be produced here:
// kafkajs' producer is quadratic in the messages of one send, 28 s for 40,000.)
const MAX_RECORDS_PER_FETCH = 5000;
const OVER_THE_RECORD_CAP = 10_000;

/**
 * No record stops ingestion (issue 10): every hostile record a producer can write is dead-lettered
 * with its reason, the valid events behind it on the same partition and on another partition are
 * delivered to a real listener, and /health/ready answers 200 throughout. Real Kafka, Postgres,
 * Redis, dispatcher and HTTP listener.
 */
describe('ingestion: poison records are dead-lettered and nothing stops', () => {
  let env: IngestionTestEnv;
  let ingestion: INestApplication;
  let dispatcher: RunningDispatcher;
  let listener: TestListener;
  let pool: Pool;
  let producer: Producer;
  let dlqReader: Consumer;
  const deadLetters: DeadLetter[] = [];
  const readiness: number[] = [];
  let readinessPoller: NodeJS.Timeout | undefined;
  const secret = generateSigningSecret();
  const accountA = randomInt(100_000, 1_000_000_000);
  const accountB = accountA + 1;

  beforeAll(async () => {
    env = await createIngestionTestEnv('poison', {
      KAFKA_MAX_DECOMPRESSED_BATCH_BYTES: String(MAX_DECOMPRESSED_BATCH_BYTES),
      KAFKA_MAX_DECOMPRESSED_FETCH_BYTES: String(MAX_DECOMPRESSED_FETCH_BYTES),
      KAFKA_MAX_RECORDS_PER_FETCH: String(MAX_RECORDS_PER_FETCH),
    });
    // An operator may allow larger records on the events topic than on the DLQ (both default to
    // 1 MB): that is how a record too large for the DLQ itself reaches ingestion.
    const admin = testKafka('poison-admin').admin();
    await admin.connect();
    await admin.createTopics({
      waitForLeaders: true,
      topics: [
        {
          topic: env.config.kafka.eventsTopic,
          numPartitions: 3,
          configEntries: [{ name: 'max.message.bytes', value: String(4 * 1024 * 1024) }],
        },
      ],
    });
    await admin.disconnect();

    ingestion = await bootstrap(env.config, { handleSignals: false });
    dispatcher = await startDispatcher(
      dispatcherTestEnv(env.database.url, { QUEUE_PREFIX: env.env.QUEUE_PREFIX }),
    );
    listener = await startListener();
    pool = new Pool({ connectionString: env.database.url, max: 2 });
    const factories = new DispatchFactories(pool, new SecretCipher(dispatcher.config.secretsKey));
    for (const accountId of [accountA, accountB]) {
      await factories.webhook({
        targetUrl: listener.url,
        accountId,
        authType: 'SIGNATURE',
        secrets: [{ secret }],
      });
    }

    producer = await connectLmsProducer();
    dlqReader = testKafka('poison-dlq-reader').consumer({
      groupId: `poison-dlq-${randomBytes(4).toString('hex')}`,
    });
    await dlqReader.connect();
    await dlqReader.subscribe({ topic: env.config.kafka.dlqTopic, fromBeginning: true });
    await dlqReader.run({
      eachMessage: async ({ message }) => {
        const headers: Record<string, string> = {};
        for (const [name, value] of Object.entries(message.headers ?? {})) headers[name] = String(value);
        deadLetters.push({ value: message.value, headers });
      },
    });

    const port = ((ingestion.getHttpServer() as Server).address() as AddressInfo).port;
    const probe = async () => (await fetch(`http://127.0.0.1:${port}/health/ready`)).status;
    await waitFor('ingestion ready', async () => (await probe()) === 200);
    readinessPoller = setInterval(() => {
      probe().then(
        (status) => readiness.push(status),
        () => readiness.push(0),
      );
    }, 250);
  });

  afterAll(async () => {
    clearInterval(readinessPoller);
    await dlqReader?.disconnect();
    await producer?.disconnect();
    await dispatcher?.close();
    await ingestion?.close();
    await listener?.close();
    await pool?.end();
    await env?.database.drop();
    await deleteTestTopics([env.config.kafka.eventsTopic, env.config.kafka.dlqTopic]);
  });

  const send = (partition: number, messages: Message[], compression = CompressionTypes.None) =>
    producer.send({
      topic: env.config.kafka.eventsTopic,
      acks: -1,
      compression,
      messages: messages.map((message) => ({ ...message, partition })),
    });

  const record = (accountId: number, value: string | Buffer, headers?: IHeaders): Message => ({
    key: String(accountId),
    value: typeof value === 'string' ? Buffer.from(value) : value,
    headers,
  });

  const eventIdsReceived = (): Set<string> => {
    const ids = new Set<string>();
    for (const request of listener.requests) {
      for (const event of (JSON.parse(request.body) as { events: Array<{ eventId: string }> }).events) {
        ids.add(event.eventId);
      }
    }
    return ids;
  };

  const deadLettersWith = (marker: string) =>
    deadLetters.filter(({ value, headers }) => value?.includes(marker) || headers.marker === marker);

  /** Sends the poison, then a valid event on the same and on another partition; both must arrive. */
  async function poisonThenValid(poison: (marker: string) => Promise<void>): Promise<string> {
    const marker = randomUUID();
    await poison(marker);
    const behindIt = wireEvent(accountA);
    const elsewhere = wireEvent(accountB);
    await send(POISONED, [record(accountA, JSON.stringify(behindIt))]);
    await send(OTHER, [record(accountB, JSON.stringify(elsewhere))]);
    await waitFor('the valid events behind the poison to be delivered', () => {
      const received = eventIdsReceived();
      return received.has(behindIt.eventId as string) && received.has(elsewhere.eventId as string);
    });
    return marker;
  }

  const singleEvent = (marker: string, fields: WireObject) =>
    JSON.stringify({ ...wireEvent(accountA), eventInfo: marker, ...fields });

  it.each<[string, string, (marker: string) => string | Buffer]>([
    [
      'accountId nested 10,000 levels deep',
      'NESTING_TOO_DEEP',
      (marker) => `{"eventInfo":"${marker}","accountId":${'['.repeat(10_000)}${']'.repeat(10_000)}}`,
    ],
    [
      'an extra data field nested 10,000 levels deep in a valid event',
      'NESTING_TOO_DEEP',
      (marker) => {
        const event = singleEvent(marker, {});
        return event.replace('"data":{', `"data":{"deep":${'{"a":'.repeat(10_000)}1${'}'.repeat(10_000)},`);
      },
    ],
    [
      'a NUL in eventId',
      'UNSTORABLE_TEXT',
      (marker) => singleEvent(marker, { eventId: `evt-\u0000-${marker}` }),
    ],
    [
      'a NUL in eventInfo',
      'UNSTORABLE_TEXT',
      (marker) => singleEvent(marker, { eventInfo: `${marker}\u0000` }),
    ],
    [
      'a lone surrogate in eventInfo',
      'UNSTORABLE_TEXT',
      (marker) => singleEvent(marker, { eventInfo: marker }).replace(marker, `${marker}\\ud800`),
    ],
    [
      'bytes that are not UTF-8',
      'INVALID_UTF8',
      (marker) =>
        Buffer.concat([
          Buffer.from(`{"eventInfo":"${marker}","x":"`),
          Buffer.from([0xff]),
          Buffer.from('"}'),
        ]),
    ],
  ])('%s: dead-lettered as %s, and the partition keeps moving', async (_label, code, build) => {
    const marker = await poisonThenValid(async (marker) => {
      await send(POISONED, [record(accountA, build(marker))]);
    });

    const [dead] = await waitFor('the DLQ copy', () =>
      deadLettersWith(marker).length === 1 ? deadLettersWith(marker) : undefined,
    );
    expect(dead.headers['x-error-code']).toBe(code);
    expect(dead.headers['x-source-partition']).toBe(String(POISONED));
    expect(dead.headers['x-error-message'].length).toBeGreaterThan(10);
  });

  it('3,000 small invalid records in a row from one key: all in the DLQ, in gzip produce calls under the broker limit', async () => {
    const marker = await poisonThenValid(async (marker) => {
      const records = Array.from({ length: 3000 }, (_, index) =>
        record(
          accountA,
          `{"eventInfo":"${marker}","n":${index},"eventName":"NOPE","pad":"${'p'.repeat(300)}"}`,
        ),
      );
      // About 1 MB uncompressed: the LMS's producer compresses it; our DLQ copies must stay under the limit too.
      await send(POISONED, records, CompressionTypes.GZIP);
    });

    await waitFor('3,000 DLQ copies', () => deadLettersWith(marker).length === 3000);
    expect(new Set(deadLettersWith(marker).map(({ headers }) => headers['x-error-code']))).toEqual(
      new Set(['ACCOUNT_ID_MISSING']),
    );
  });

  it('two 600 KB invalid records: both copied whole to the DLQ', async () => {
    const marker = await poisonThenValid(async (marker) => {
      for (let copy = 0; copy < 2; copy++) {
        await send(POISONED, [
          record(accountA, `{"eventInfo":"${marker}","blob":"${randomBytes(450 * 1024).toString('base64')}`),
        ]);
      }
    });

    const dead = await waitFor('two DLQ copies', () =>
      deadLettersWith(marker).length === 2 ? deadLettersWith(marker) : undefined,
    );
    for (const copy of dead) {
      expect(copy.headers['x-error-code']).toBe('NOT_JSON');
      expect(copy.headers['x-dlq-stub']).toBeUndefined();
      expect(copy.value?.length).toBe(
        `{"eventInfo":"${marker}","blob":"`.length + 4 * Math.ceil((450 * 1024) / 3),
      );
    }
  });

  it('a gzip envelope of 10,000 events: refused as too large, its copy in the DLQ', async () => {
    const marker = await poisonThenValid(async (marker) => {
      const events = Array.from({ length: 10_000 }, () =>
        wireEvent(accountA, 'COURSE_ENROLLMENT', { eventInfo: marker }),
      );
      await send(
        POISONED,
        [record(accountA, JSON.stringify(wireEnvelope(accountA, events)))],
        CompressionTypes.GZIP,
      );
    });

    const [dead] = await waitFor('the envelope in the DLQ', () =>
      deadLettersWith(marker).length === 1 ? deadLettersWith(marker) : undefined,
    );
    expect(dead.headers['x-error-code']).toBe('MESSAGE_TOO_LARGE');
    expect(JSON.parse(String(dead.value)).events).toHaveLength(10_000);
  });

  it('a record too large for the DLQ itself: replaced by a stub with its coordinates', async () => {
    const size = 2 * 1024 * 1024;
    let offset = '';
    const marker = await poisonThenValid(async (marker) => {
      // Random bytes do not compress: the copy cannot fit the DLQ's 1 MB limit.
      const [result] = await send(POISONED, [record(accountA, randomBytes(size), { marker })]);
      offset = String(result.baseOffset);
    });

    const [stub] = await waitFor('the stub', () =>
      deadLettersWith(marker).length === 1 ? deadLettersWith(marker) : undefined,
    );
    expect(stub.headers).toMatchObject({
      'x-dlq-stub': 'true',
      'x-error-code': 'MESSAGE_TOO_LARGE',
      'x-source-partition': String(POISONED),
      'x-source-offset': offset,
      'x-source-value-bytes': String(size),
    });
    expect(JSON.parse(String(stub.value))).toMatchObject({
      stub: true,
      topic: env.config.kafka.eventsTopic,
      partition: POISONED,
      offset,
      size,
      code: 'MESSAGE_TOO_LARGE',
    });
  });

  it("keeps the record's own headers on its DLQ copy, and ours cannot be forged", async () => {
    const marker = await poisonThenValid(async (marker) => {
      await send(POISONED, [
        record(accountA, 'not json', { marker, traceparent: '00-abc-def-01', 'x-error-code': 'FORGED' }),
      ]);
    });

    const [dead] = await waitFor('the DLQ copy', () =>
      deadLettersWith(marker).length === 1 ? deadLettersWith(marker) : undefined,
    );
    expect(dead.headers).toMatchObject({ marker, traceparent: '00-abc-def-01', 'x-error-code': 'NOT_JSON' });
  });

  it('delivers data byte for byte as produced (big integers, 1.0, 1e3, escapes, whitespace), signed over those bytes', async () => {
    const example = JSON.stringify(wireEvent(accountA).data).slice(1, -1);
    const corpus = [
      `{${example},"big":12345678901234567890,"negative":-98765432109876543210}`,
      `{${example},"one":1.0,"thousand":1e3,"small":1E-7,"zero":-0.0}`,
      `{${example},"text":"caf\\u00e9 \\ud83d\\ude00 \\u0000 \\/ \\"q\\" \\t"}`,
      `{ ${example.replace(/,/g, ' ,\n\t')} , "spaced" : [ 1 , { } ]\r\n}`,
    ];
    const eventIds: string[] = [];
    for (const dataText of corpus) {
      const event = wireEvent(accountA);
      eventIds.push(event.eventId as string);
      const value = JSON.stringify({ ...event, data: 'DATA' }).replace('"DATA"', dataText);
      await send(POISONED, [record(accountA, value)]);
    }

    await waitFor('the corpus delivered', () => eventIds.every((id) => eventIdsReceived().has(id)));
    for (const [index, eventId] of eventIds.entries()) {
      const request = listener.requests.find(({ body }) => body.includes(eventId)) as ReceivedRequest;
      expect(request.body).toContain(`"data":${corpus[index]}`);
      expect(() =>
        new Webhook(secret).verify(request.body, {
          'webhook-id': String(request.headers['webhook-id']),
          'webhook-timestamp': String(request.headers['webhook-timestamp']),
          'webhook-signature': String(request.headers['webhook-signature']),
        }),
      ).not.toThrow();
    }
  });

  /** Dead letters standing for the unreadable batch that starts at `firstOffset` of the poisoned partition. */
  const unreadableBatchStubs = (firstOffset: string) =>
    deadLetters.filter(
      ({ headers }) =>
        headers['x-source-partition'] === String(POISONED) &&
        headers['x-source-first-offset'] === firstOffset,
    );

  /**
   * Sends `messages` as ONE real zstd record batch whose records section is `frameOf(records)`: our
   * codec table entry (shared with the ingestion app in this process) compresses with it for this
   * send only. The broker decompresses and validates the batch like any other.
   */
  async function sendCraftedZstd(messages: Message[], frameOf: (records: Buffer) => Buffer): Promise<string> {
    const registry = CompressionCodecs as unknown as Record<number, () => Record<string, unknown>>;
    const registered = registry[CompressionTypes.ZSTD];
    registry[CompressionTypes.ZSTD] = () => ({
      ...registered(),
      compress: async ({ buffer }: { buffer: Buffer }) => frameOf(buffer),
    });
    try {
      const [result] = await send(POISONED, messages, CompressionTypes.ZSTD);
      return String(result.baseOffset);
    } finally {
      registry[CompressionTypes.ZSTD] = registered;
    }
  }

  it('a zstd frame of one-byte blocks under an 8 MiB window (fzstd: ~2 TiB of window copying): dead-lettered as UNREADABLE_BATCH', async () => {
    // One raw block per byte of the records (~260,000 blocks), window descriptor 2^23 (8 MiB, the
    // largest this corpus's 8 MiB cap lets through; with the default 64 MiB cap, 64 MiB passes too).
    const oneByteBlocks = (records: Buffer) =>
      Buffer.concat([
        Buffer.from([0x28, 0xb5, 0x2f, 0xfd, 0x00, 13 << 3]),
        ...[...records].map((byte, index) =>
          Buffer.from([8 | (index === records.length - 1 ? 1 : 0), 0, 0, byte]),
        ),
      ]);
    let firstOffset = '';
    let count = 0;
    await poisonThenValid(async (marker) => {
      const events = Array.from({ length: 600 }, () =>
        wireEvent(accountA, 'COURSE_ENROLLMENT', { eventInfo: marker }),
      );
      count = events.length;
      firstOffset = await sendCraftedZstd(
        events.map((event) => record(accountA, JSON.stringify(event))),
        oneByteBlocks,
      );
    });

    const [stub] = await waitFor('the stub of the batch', () =>
      unreadableBatchStubs(firstOffset).length === 1 ? unreadableBatchStubs(firstOffset) : undefined,
    );
    expect(stub.headers).toMatchObject({
      'x-error-code': 'UNREADABLE_BATCH',
      'x-source-offset': String(BigInt(firstOffset) + BigInt(count - 1)),
      'x-error-message': expect.stringContaining(
        `zstd batch decompresses to more than the ${MAX_DECOMPRESSED_BATCH_BYTES}-byte cap`,
      ),
    });
  });

  it('a batch declaring more records than one fetch may decode: one UNREADABLE_BATCH stub, nothing decoded', async () => {
    let firstOffset = '';
    await poisonThenValid(async () => {
      const tiny = Array.from({ length: OVER_THE_RECORD_CAP }, (): Message => ({ value: Buffer.from('x') }));
      const [result] = await send(POISONED, tiny, CompressionTypes.GZIP);
      firstOffset = String(result.baseOffset);
    });

    const [stub] = await waitFor('the stub of the batch', () =>
      unreadableBatchStubs(firstOffset).length === 1 ? unreadableBatchStubs(firstOffset) : undefined,
    );
    expect(stub.headers).toMatchObject({
      'x-error-code': 'UNREADABLE_BATCH',
      'x-source-offset': String(BigInt(firstOffset) + BigInt(OVER_THE_RECORD_CAP - 1)),
      'x-error-message': expect.stringContaining(
        `declares ${OVER_THE_RECORD_CAP} records, more than the ${MAX_RECORDS_PER_FETCH} one fetch may decode`,
      ),
    });
  });

  it('the same batch in an aborted transaction: nothing of it is read, not even a stub', async () => {
    const transactional = testKafka('poison-txn').producer({
      transactionalId: `poison-${randomBytes(4).toString('hex')}`,
      idempotent: true,
      maxInFlightRequests: 1,
    });
    await transactional.connect();
    let firstOffset = '';
    try {
      await poisonThenValid(async () => {
        const transaction = await transactional.transaction();
        const [result] = await transaction.send({
          topic: env.config.kafka.eventsTopic,
          compression: CompressionTypes.GZIP,
          messages: Array.from({ length: OVER_THE_RECORD_CAP }, () => ({
            partition: POISONED,
            value: Buffer.from('x'),
          })),
        });
        firstOffset = String(result.baseOffset);
        await transaction.abort();
      });
    } finally {
      await transactional.disconnect();
    }
    // The valid event behind it on the same partition was delivered: the batch was read past.
    expect(unreadableBatchStubs(firstOffset)).toEqual([]);
    expect(deadLetters.filter(({ value }) => value?.equals(Buffer.from('x')))).toEqual([]);
  });

  it('batches that together pass the fetch cap, read in one fetch: the rest is fetched again, every record arrives', async () => {
    // Three batches of ~6 MiB decompressed (a few KB on the wire) committed together, so one fetch
    // returns all three: 18 MiB, past the 16 MiB a fetch may decompress.
    const transactional = testKafka('poison-fetch-cap').producer({
      transactionalId: `poison-fetch-${randomBytes(4).toString('hex')}`,
      idempotent: true,
      maxInFlightRequests: 1,
    });
    await transactional.connect();
    try {
      const marker = await poisonThenValid(async (marker) => {
        const transaction = await transactional.transaction();
        for (let copy = 0; copy < 3; copy++) {
          await transaction.send({
            topic: env.config.kafka.eventsTopic,
            compression: CompressionTypes.GZIP,
            messages: [
              {
                partition: POISONED,
                ...record(accountA, `{"eventInfo":"${marker}","pad":"${'p'.repeat(6 * MiB)}"}`),
              },
            ],
          });
        }
        await transaction.commit();
      });
      const copies = await waitFor('three DLQ copies', () =>
        deadLettersWith(marker).length === 3 ? deadLettersWith(marker) : undefined,
      );
      expect(copies.map(({ headers }) => headers['x-error-code'])).toEqual(
        Array(3).fill('MESSAGE_TOO_LARGE'),
      );
      expect(copies.every(({ value }) => (value?.length ?? 0) > 6 * MiB)).toBe(true);
    } finally {
      await transactional.disconnect();
    }
  });

  it('answered ready throughout', async () => {
    // A readiness answer can take a while on a loaded machine: take at least 10 samples in all.
    await waitFor('10 readiness samples', () => readiness.length >= 10, 20_000);
    expect(readiness.filter((status) => status !== 200)).toEqual([]);
  });
});
