import type { KafkaMessage } from 'kafkajs';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { DEFAULT_MAX_DECOMPRESSED_BATCH_BYTES, registerCompressionCodecs } from './compression-codecs';
import { unreadableBatchOf } from './unreadable-record';

// The functions patches/kafkajs+2.2.4.patch changes, loaded from node_modules as the consumer runs them.
interface BatchContext {
  firstOffset: string;
  lastOffsetDelta: number;
  producerId: string;
  inTransaction: boolean;
  isControlBatch: boolean;
}
interface DecodedMessage {
  offset: string;
  key: Buffer | null;
  value: Buffer | null;
  headers: Record<string, Buffer | Buffer[]>;
  isControlRecord: boolean;
  batchContext: BatchContext;
  unreadable?: { firstOffset: string; lastOffset: string; reason: string };
}
interface AbortedTransaction {
  producerId: string;
  firstOffset: string;
}
type FilterAbortedMessages = (input: {
  messages: DecodedMessage[];
  abortedTransactions: AbortedTransaction[];
}) => DecodedMessage[];
type KafkajsDecoder = new (buffer: Buffer) => unknown;
type RecordBatchDecoder = (decoder: unknown) => Promise<{ records: DecodedMessage[] }>;
type DecodeMessages = (decoder: unknown) => Promise<DecodedMessage[]>;
type BatchClass = new (
  topic: string,
  fetchedOffset: string,
  partitionData: {
    partition: number;
    highWatermark: string;
    abortedTransactions: AbortedTransaction[];
    messages: DecodedMessage[];
  },
) => { messages: DecodedMessage[] };

const kafkajs = createRequire(require.resolve('kafkajs'));
const filterAbortedMessages = kafkajs('./src/consumer/filterAbortedMessages') as FilterAbortedMessages;
const Batch = kafkajs('./src/consumer/batch') as BatchClass;
const Decoder = kafkajs('./src/protocol/decoder') as KafkajsDecoder;
const decodeRecordBatch = kafkajs('./src/protocol/recordBatch/v0/decoder') as RecordBatchDecoder;
const decodeMessages = kafkajs('./src/protocol/requests/fetch/v4/decodeMessages') as DecodeMessages;

// ---- read_committed: crafted messages as the fetch decoder produces them ----

const ABORT_MARKER_KEY = Buffer.from([0, 0, 0, 0]);
const COMMIT_MARKER_KEY = Buffer.from([0, 0, 0, 1]);

/** A record of a transactional producer (or, with inTransaction false, an idempotent one). */
function record(offset: number, producerId: string, inTransaction = true): DecodedMessage {
  return {
    offset: String(offset),
    key: Buffer.from(`${producerId}@${offset}`),
    value: Buffer.from('{}'),
    headers: {},
    isControlRecord: false,
    batchContext: {
      firstOffset: String(offset),
      lastOffsetDelta: 0,
      producerId,
      inTransaction,
      isControlBatch: false,
    },
  };
}

function marker(offset: number, producerId: string, kind: 'abort' | 'commit'): DecodedMessage {
  return {
    offset: String(offset),
    key: kind === 'abort' ? ABORT_MARKER_KEY : COMMIT_MARKER_KEY,
    value: Buffer.alloc(6),
    headers: {},
    isControlRecord: true,
    batchContext: {
      firstOffset: String(offset),
      lastOffsetDelta: 0,
      producerId,
      inTransaction: true,
      isControlBatch: true,
    },
  };
}

const aborted = (producerId: string, firstOffset: number): AbortedTransaction => ({
  producerId,
  firstOffset: String(firstOffset),
});

/** Offsets of the data records read_committed lets through (control records are Batch's to drop). */
function visible(messages: DecodedMessage[], abortedTransactions: AbortedTransaction[]): number[] {
  return filterAbortedMessages({ messages, abortedTransactions })
    .filter((message) => !message.isControlRecord)
    .map((message) => Number(message.offset));
}

describe('patched kafkajs: read_committed drops exactly the records of aborted transactions', () => {
  // Producers A, B and C interleave on one partition: A aborts, B commits, C aborts.
  //   0 A1  1 B1  2 C1  3 A2  4 B2  5 C2  6 A:abort  7 B:commit  8 C:abort  9 D (not transactional)
  const log = [
    record(0, 'A'),
    record(1, 'B'),
    record(2, 'C'),
    record(3, 'A'),
    record(4, 'B'),
    record(5, 'C'),
    marker(6, 'A', 'abort'),
    marker(7, 'B', 'commit'),
    marker(8, 'C', 'abort'),
    record(9, 'D', false),
  ];
  const fetchFrom = (offset: number) => log.filter((message) => Number(message.offset) >= offset);
  // The broker returns the aborted transactions a fetch overlaps, in the order they ended.
  const abortedAC = [aborted('A', 0), aborted('C', 2)];

  it('interleaved A-abort / B-commit / C-abort in one fetch: only B and the non-transactional record remain', () => {
    expect(visible(fetchFrom(0), abortedAC)).toEqual([1, 4, 9]);
  });

  it('the same log fetched from each offset in turn (A began in an earlier fetch): nothing of A or C leaks', () => {
    // Fetching from 2: A began at 0 and C at 2, both at or before the first message. kafkajs 2.2.4
    // opened only A there (`if`), so C1 at offset 2 leaked.
    for (let from = 0; from <= 9; from++) {
      expect({ from, visible: visible(fetchFrom(from), abortedAC) }).toEqual({
        from,
        visible: [1, 4, 9].filter((offset) => offset >= from),
      });
    }
  });

  it('two aborted transactions that began before one message are both open at that message', () => {
    //   0 A1  1 C1  (earlier fetch)  |  2 C2  3 A2  4 A:abort  5 C:abort  6 B (committed, no txn list entry)
    const messages = [
      record(2, 'C'),
      record(3, 'A'),
      marker(4, 'A', 'abort'),
      marker(5, 'C', 'abort'),
      record(6, 'B'),
    ];
    expect(visible(messages, [aborted('A', 0), aborted('C', 1)])).toEqual([6]);
  });

  it('aborted transactions listed in the order they ended, not began, are taken by first offset', () => {
    //   0 A1  1 C1  2 C:abort  3 A2  4 A:abort: the broker lists C (ended first) before A.
    const messages = [
      record(0, 'A'),
      record(1, 'C'),
      marker(2, 'C', 'abort'),
      record(3, 'A'),
      marker(4, 'A', 'abort'),
    ];
    expect(visible(messages, [aborted('C', 1), aborted('A', 0)])).toEqual([]);
  });

  it('an aborted transaction whose records span two fetches is dropped from both', () => {
    //   0 A1  1 B1  2 A2 | 3 A3  4 A:abort  5 B:commit  6 A (next transaction, committed)
    const abortedA = [aborted('A', 0)];
    const first = [record(0, 'A'), record(1, 'B'), record(2, 'A')];
    const second = [record(3, 'A'), marker(4, 'A', 'abort'), marker(5, 'B', 'commit'), record(6, 'A')];
    expect(visible(first, abortedA)).toEqual([1]);
    expect(visible(second, abortedA)).toEqual([6]);
  });

  it('one producer id aborting, committing, then aborting again: only the committed transaction remains', () => {
    const messages = [
      record(0, 'P'),
      marker(1, 'P', 'abort'),
      record(2, 'P'),
      marker(3, 'P', 'commit'),
      record(4, 'P'),
      marker(5, 'P', 'abort'),
    ];
    expect(visible(messages, [aborted('P', 0), aborted('P', 4)])).toEqual([2]);
  });

  it('a data record keyed with four zero bytes is not taken for an abort marker', () => {
    const lookalike = { ...record(1, 'A'), key: Buffer.from([0, 0, 0, 0]) };
    expect(
      visible([record(0, 'A'), lookalike, record(2, 'A'), marker(3, 'A', 'abort')], [aborted('A', 0)]),
    ).toEqual([]);
  });

  it("non-transactional records of an aborted producer's id stay, and no aborted list means no filtering", () => {
    expect(visible([record(0, 'A'), record(1, 'A', false)], [aborted('A', 0)])).toEqual([1]);
    expect(visible(fetchFrom(0), [])).toEqual([0, 1, 2, 3, 4, 5, 9]);
  });

  it('a Batch exposes neither aborted records nor control records, nor offsets before the fetch', () => {
    const batch = new Batch('lms.events', '1', {
      partition: 0,
      highWatermark: '10',
      abortedTransactions: abortedAC,
      messages: log,
    });
    expect(batch.messages.map((message) => Number(message.offset))).toEqual([1, 4, 9]);
  });
});

// ---- undecodable batches: real batches written by kafka-clients 4.4.0 (KafkaBatchFixtures.java) ----

const fixture = (name: string) => readFileSync(path.join(__dirname, 'fixtures', `${name}.batch`));
const ATTRIBUTES_AT = 21; // int16, after base offset, length, leader epoch, magic and CRC
const PRODUCER_ID_AT = 43; // int64

const decodeBatch = async (bytes: Buffer) => (await decodeRecordBatch(new Decoder(bytes))).records;

/** A fetch response's record set: int32 size, then the batches back to back. */
function recordSet(...batches: Buffer[]): unknown {
  const body = Buffer.concat(batches);
  const size = Buffer.alloc(4);
  size.writeInt32BE(body.length);
  return new Decoder(Buffer.concat([size, body]));
}

function withBaseOffset(batch: Buffer, baseOffset: bigint): Buffer {
  const copy = Buffer.from(batch);
  copy.writeBigInt64BE(baseOffset, 0);
  return copy;
}

describe('patched kafkajs: a batch that cannot be decoded becomes one placeholder message', () => {
  const CAP = 512 * 1024;
  beforeAll(() => registerCompressionCodecs(CAP));
  afterAll(() => registerCompressionCodecs(DEFAULT_MAX_DECOMPRESSED_BATCH_BYTES));

  it.each(['none', 'gzip', 'snappy', 'lz4', 'zstd'])(
    '%s: a batch the Java client wrote decodes to its three records (keys, null key, repeated header)',
    async (codec) => {
      const records = await decodeBatch(fixture(codec));
      expect(records.map((message) => message.offset)).toEqual(['100', '101', '102']);
      expect(records.map((message) => message.key?.toString() ?? null)).toEqual([
        '1010',
        null,
        'not-the-account',
      ]);
      expect(records[0].value?.toString()).toBe('{"n":1}');
      expect(records[0].headers['trace-id']).toEqual([Buffer.from('abc'), Buffer.from('def')]);
      expect(records[2].value?.toString()).toMatch(/^event 0;event 7919;/);
      expect(
        records.every((message) => unreadableBatchOf(message as unknown as KafkaMessage) === undefined),
      ).toBe(true);
    },
  );

  it.each(['gzip', 'snappy', 'lz4', 'zstd'])(
    '%s: a batch decompressing past the cap is one placeholder with its coordinates and the reason',
    async (codec) => {
      const [placeholder, ...rest] = await decodeBatch(fixture(`${codec}-bomb`));
      expect(rest).toEqual([]);
      expect(placeholder).toMatchObject({
        offset: '100',
        key: null,
        value: null,
        headers: {},
        isControlRecord: false,
      });
      expect(unreadableBatchOf(placeholder as unknown as KafkaMessage)).toEqual({
        firstOffset: '100',
        lastOffset: '100',
        reason: `${codec} batch decompresses to more than the ${CAP}-byte cap`,
      });
    },
  );

  it('a corrupt compressed batch: the placeholder sits at firstOffset + lastOffsetDelta and keeps the batch context', async () => {
    const corrupt = Buffer.from(fixture('zstd'));
    corrupt.fill(0x5a, 61 + 4, 61 + 64); // inside the zstd frame, after its magic
    const [placeholder, ...rest] = await decodeBatch(corrupt);
    expect(rest).toEqual([]);
    expect(placeholder.offset).toBe('102');
    expect(placeholder.batchContext).toMatchObject({
      firstOffset: '100',
      lastOffsetDelta: 2,
      isControlBatch: false,
    });
    expect(placeholder.unreadable).toEqual({
      firstOffset: '100',
      lastOffset: '102',
      reason: expect.stringMatching(/^zstd batch is corrupt: /),
    });
  });

  it('an unknown compression type (5) is a placeholder, not garbage records', async () => {
    const unknown = Buffer.from(fixture('gzip'));
    unknown.writeInt16BE((unknown.readInt16BE(ATTRIBUTES_AT) & ~0x07) | 0x05, ATTRIBUTES_AT);
    const records = await decodeBatch(unknown);
    expect(records.map((message) => message.unreadable?.reason)).toEqual(['unknown compression type 5']);
  });

  it('the batches after an unreadable one in the same fetch still decode', async () => {
    const messages = await decodeMessages(
      recordSet(
        fixture('zstd-bomb'),
        withBaseOffset(fixture('lz4'), 101n),
        withBaseOffset(fixture('gzip-bomb'), 104n),
      ),
    );
    expect(messages.map((message) => [message.offset, message.unreadable === undefined])).toEqual([
      ['100', false],
      ['101', true],
      ['102', true],
      ['103', true],
      ['104', false],
    ]);
  });

  it('a batch cut off at the end of a fetch (maxBytes) is still left for the next fetch, not a placeholder', async () => {
    const whole = fixture('gzip');
    const cut = withBaseOffset(fixture('snappy'), 103n).subarray(0, 500);
    const messages = await decodeMessages(recordSet(whole, cut));
    expect(messages.map((message) => message.offset)).toEqual(['100', '101', '102']);
  });

  it('the placeholder of a batch in an aborted transaction is dropped like the batch itself', async () => {
    const transactional = Buffer.from(fixture('zstd-bomb'));
    transactional.writeInt16BE(transactional.readInt16BE(ATTRIBUTES_AT) | 0x10, ATTRIBUTES_AT);
    transactional.writeBigInt64BE(4242n, PRODUCER_ID_AT);
    const messages = await decodeMessages(recordSet(transactional));
    expect(messages).toHaveLength(1);
    expect(filterAbortedMessages({ messages, abortedTransactions: [aborted('4242', 100)] })).toEqual([]);
    expect(filterAbortedMessages({ messages, abortedTransactions: [aborted('4243', 100)] })).toHaveLength(1);
  });
});
