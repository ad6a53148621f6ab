import { setFetchDecodeLimits, type KafkaMessage } from 'kafkajs';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { DEFAULT_MAX_DECOMPRESSED_BATCH_BYTES, registerCompressionCodecs } from './compression-codecs';
import { batchOfEmptyRecords, recordSetBytes, withBaseOffset } from './record-batch.factory';
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
interface KafkajsEncoder {
  buffer: Buffer;
}
const { RecordBatch } = kafkajs('./src/protocol/recordBatch/v0') as {
  RecordBatch: (batch: {
    firstOffset: string;
    records: KafkajsEncoder[];
    transactional?: boolean;
    producerId?: string;
    lastOffsetDelta?: number;
  }) => Promise<KafkajsEncoder>;
};
const Record = kafkajs('./src/protocol/recordBatch/record/v0') as (record: {
  offsetDelta: number;
  key: Buffer | null;
  value: Buffer | null;
}) => KafkajsEncoder;

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

/** A fetch response's record set, as the decoder reads it. */
const recordSet = (...batches: Buffer[]): unknown => new Decoder(recordSetBytes(...batches));

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

// ---- bounded work per fetch ----

const CONTROL_BATCH = 0x20;

/** A record batch as kafkajs' own encoder writes it (uncompressed), optionally marked as a control batch. */
async function encodeBatch({
  firstOffset,
  values,
  key = null,
  producerId = '-1',
  transactional = false,
  control = false,
}: {
  firstOffset: number;
  values: Array<Buffer | null>;
  key?: Buffer | null;
  producerId?: string;
  transactional?: boolean;
  control?: boolean;
}): Promise<Buffer> {
  const encoded = await RecordBatch({
    firstOffset: String(firstOffset),
    lastOffsetDelta: values.length - 1,
    transactional,
    producerId,
    records: values.map((value, offsetDelta) => Record({ offsetDelta, key, value })),
  });
  const batch = Buffer.from(encoded.buffer);
  if (control) batch.writeInt16BE(batch.readInt16BE(ATTRIBUTES_AT) | CONTROL_BATCH, ATTRIBUTES_AT);
  return batch;
}

const offsetsOf = (messages: DecodedMessage[]) => messages.map((message) => Number(message.offset));

describe('patched kafkajs: one fetch decodes a bounded number of bytes and records', () => {
  // The gzip fixture decompresses to 70,087 bytes (3 records); the bomb to ~600 KiB (1 record).
  const BATCH_CAP = 1024 * 1024;
  beforeAll(() => registerCompressionCodecs(BATCH_CAP));
  afterAll(() => registerCompressionCodecs(DEFAULT_MAX_DECOMPRESSED_BATCH_BYTES));
  afterEach(() => setFetchDecodeLimits({}));

  const gzipAt = (offset: number) => withBaseOffset(fixture('gzip'), BigInt(offset));

  it('stops decoding at the byte budget; the batches left over decode in the next fetch, none lost', async () => {
    setFetchDecodeLimits({ maxDecompressedBytes: 150_000 });
    const first = await decodeMessages(recordSet(gzipAt(100), gzipAt(103), gzipAt(106), gzipAt(109)));
    expect(offsetsOf(first)).toEqual([100, 101, 102, 103, 104, 105]);
    // The consumer's next fetch starts after the last record it was given.
    const second = await decodeMessages(recordSet(gzipAt(106), gzipAt(109)));
    expect(offsetsOf(second)).toEqual([106, 107, 108, 109, 110, 111]);
    expect(second.every((message) => message.unreadable === undefined)).toBe(true);
  });

  it('a batch past what the fetch has left (not its own cap) waits for the next fetch instead of becoming unreadable', async () => {
    setFetchDecodeLimits({ maxDecompressedBytes: BATCH_CAP });
    const bombAt = (offset: number) => withBaseOffset(fixture('gzip-bomb'), BigInt(offset));
    const first = await decodeMessages(recordSet(bombAt(100), bombAt(101)));
    expect(first.map((message) => [message.offset, message.unreadable === undefined])).toEqual([
      ['100', true],
    ]);
    const second = await decodeMessages(recordSet(bombAt(101)));
    expect(second.map((message) => [message.offset, message.unreadable === undefined])).toEqual([
      ['101', true],
    ]);
  });

  it('once the budget is spent, the later partitions of the same fetch response are left whole', async () => {
    setFetchDecodeLimits({ maxDecompressedBytes: 100_000 });
    const response = Buffer.concat([
      (recordSet(gzipAt(100), gzipAt(103)) as { buffer: Buffer }).buffer,
      (recordSet(gzipAt(200)) as { buffer: Buffer }).buffer,
    ]);
    const decoder = new Decoder(response);
    expect(offsetsOf(await decodeMessages(decoder))).toEqual([100, 101, 102]);
    expect(offsetsOf(await decodeMessages(decoder))).toEqual([]);
    // A new fetch response has a budget of its own.
    expect(offsetsOf(await decodeMessages(recordSet(gzipAt(200))))).toEqual([200, 201, 202]);
  });

  it('stops at the record budget, counting records declared before any is decoded', async () => {
    setFetchDecodeLimits({ maxRecords: 4 });
    const messages = await decodeMessages(recordSet(fixture('none'), withBaseOffset(fixture('zstd'), 103n)));
    expect(offsetsOf(messages)).toEqual([100, 101, 102]);
  });

  it('a batch declaring more records than a whole fetch may hold is one placeholder, wherever it is', async () => {
    setFetchDecodeLimits({ maxRecords: 2 });
    const [placeholder, ...rest] = await decodeMessages(recordSet(fixture('lz4')));
    expect(rest).toEqual([]);
    expect(placeholder.unreadable).toEqual({
      firstOffset: '100',
      lastOffset: '102',
      reason: 'batch declares 3 records, more than the 2 one fetch may decode',
    });
  });

  it('a declared record count of 2^31-1 is refused before anything is allocated for it', async () => {
    setFetchDecodeLimits({ maxRecords: 100_000 });
    const lying = Buffer.from(fixture('gzip'));
    lying.writeInt32BE(0x7fffffff, 57); // the records count, last field of the 61-byte header
    const [placeholder] = await decodeBatch(lying);
    expect(placeholder.unreadable?.reason).toBe(
      'batch declares 2147483647 records, more than the 100000 one fetch may decode',
    );
  });

  it('the records of a fetch are gathered without spreading them as arguments (150,000 records in one batch)', async () => {
    const count = 150_000;
    // kafkajs 2.2.4 did records.push(...batch.records): "Maximum call stack size exceeded".
    const messages = await decodeMessages(recordSet(batchOfEmptyRecords(count)));
    expect(messages).toHaveLength(count);
    expect(messages[count - 1].offset).toBe(String(count - 1));
  });

  /** The 'none' fixture's three records as a zstd batch of raw blocks of `blockSize` bytes. */
  function zstdBatchOfRawBlocks(offset: number, blockSize: number): Buffer {
    const records = fixture('none').subarray(61);
    const blocks: Buffer[] = [];
    for (let start = 0; start < records.length; start += blockSize) {
      const data = records.subarray(start, start + blockSize);
      const last = start + blockSize >= records.length ? 1 : 0;
      blocks.push(
        Buffer.from([
          ((data.length << 3) | last) & 0xff,
          (data.length >> 5) & 0xff,
          (data.length >> 13) & 0xff,
        ]),
        data,
      );
    }
    // Magic, no content size, window descriptor 0x58 (2 MiB, what zstd-jni declares).
    const frame = Buffer.concat([Buffer.from([0x28, 0xb5, 0x2f, 0xfd, 0x00, 0x58]), ...blocks]);
    const batch = Buffer.concat([fixture('none').subarray(0, 61), frame]);
    batch.writeInt16BE(batch.readInt16BE(ATTRIBUTES_AT) | 0x04, ATTRIBUTES_AT);
    batch.writeInt32BE(batch.length - 12, 8);
    return withBaseOffset(batch, BigInt(offset));
  }

  it('zstd decoding work is charged to the fetch as well as its output', async () => {
    // 69 blocks of 1 KiB: 70 KB of output, charged ~4 KiB a block and its window shifts on top.
    setFetchDecodeLimits({ maxDecompressedBytes: 500 * 1024 });
    const messages = await decodeMessages(
      recordSet(zstdBatchOfRawBlocks(100, 1024), zstdBatchOfRawBlocks(103, 1024)),
    );
    expect(offsetsOf(messages)).toEqual([100, 101, 102]);
    expect(messages[2].value?.toString()).toMatch(/^event 0;event 7919;/);
    // Charged by output alone, both would have fit: 128 KiB blocks are charged little more than that.
    setFetchDecodeLimits({ maxDecompressedBytes: 500 * 1024 });
    const large = await decodeMessages(
      recordSet(zstdBatchOfRawBlocks(100, 65_536), zstdBatchOfRawBlocks(103, 65_536)),
    );
    expect(offsetsOf(large)).toEqual([100, 101, 102, 103, 104, 105]);
  });

  it('a zstd frame of one-byte blocks is past its cap before any decoding, alone: one placeholder', async () => {
    const [placeholder, ...rest] = await decodeMessages(recordSet(zstdBatchOfRawBlocks(100, 1)));
    expect(rest).toEqual([]);
    expect(placeholder.unreadable?.reason).toBe(
      `zstd batch decompresses to more than the ${BATCH_CAP}-byte cap`,
    );
  });
});

describe('patched kafkajs: an undecodable control batch never lets an aborted transaction through', () => {
  // A corrupt control batch: it declares 5 records and holds one.
  async function unreadableMarker(offset: number, producerId: string): Promise<Buffer> {
    const batch = await encodeBatch({
      firstOffset: offset,
      values: [Buffer.alloc(6)],
      producerId,
      transactional: true,
      control: true,
    });
    batch.writeInt32BE(5, 57);
    return batch;
  }
  const transactional = (offset: number, producerId: string) =>
    encodeBatch({
      firstOffset: offset,
      values: [Buffer.from(`${producerId}@${offset}`)],
      producerId,
      transactional: true,
    });

  it('its placeholder keeps the control flag, so it never reaches the application', async () => {
    const messages = await decodeMessages(recordSet(await unreadableMarker(7, '42')));
    expect(messages).toHaveLength(1);
    expect(messages[0]).toMatchObject({ offset: '7', isControlRecord: true });
    expect(messages[0].unreadable?.reason).toEqual(expect.any(String));
    const batch = new Batch('lms.events', '7', {
      partition: 0,
      highWatermark: '8',
      abortedTransactions: [],
      messages,
    });
    expect(batch.messages).toEqual([]);
  });

  it("inside the producer's aborted transaction it ends it: the aborted records stay dropped, its next transaction is read", async () => {
    //   0 P1  1 P2  2 P:abort (undecodable)  3 P3 (next transaction, committed)  4 Q (committed)
    const messages = await decodeMessages(
      recordSet(
        await transactional(0, '42'),
        await transactional(1, '42'),
        await unreadableMarker(2, '42'),
        await transactional(3, '42'),
        await transactional(4, '43'),
      ),
    );
    const batch = new Batch('lms.events', '0', {
      partition: 0,
      highWatermark: '5',
      abortedTransactions: [aborted('42', 0)],
      messages,
    });
    expect(offsetsOf(batch.messages)).toEqual([3, 4]);
  });

  it('outside an aborted transaction (a commit marker) it changes nothing: a later aborted transaction is still dropped', async () => {
    //   0 P1  1 P:commit (undecodable)  2 P2  3 P:abort  (aborted list: P from 2)
    const abortMarker = await encodeBatch({
      firstOffset: 3,
      values: [Buffer.alloc(6)],
      key: Buffer.from([0, 0, 0, 0]), // control key: version 0, type 0 (abort)
      producerId: '42',
      transactional: true,
      control: true,
    });
    const messages = await decodeMessages(
      recordSet(
        await transactional(0, '42'),
        await unreadableMarker(1, '42'),
        await transactional(2, '42'),
        abortMarker,
      ),
    );
    const batch = new Batch('lms.events', '0', {
      partition: 0,
      highWatermark: '4',
      abortedTransactions: [aborted('42', 2)],
      messages,
    });
    expect(offsetsOf(batch.messages)).toEqual([0]);
  });
});

describe('patched kafkajs: each fetch asks for the partitions in a different order', () => {
  interface FetchRequest {
    topics: Array<{ topic: string; partitions: Array<{ partition: number }> }>;
  }
  const ConsumerGroup = kafkajs('./src/consumer/consumerGroup') as {
    prototype: { fetch(nodeId: number): Promise<unknown[]> };
  };

  /** A ConsumerGroup assigned partitions 0-2 of one topic, whose broker records what it is asked. */
  function consumerGroupRecordingFetches(requests: FetchRequest[]) {
    const assigned = [{ topic: 'lms.events', partitions: [0, 1, 2] }];
    return Object.assign(Object.create(ConsumerGroup.prototype) as typeof ConsumerGroup.prototype, {
      cluster: {
        refreshMetadataIfNecessary: async () => undefined,
        findBroker: async () => ({
          fetch: async (request: FetchRequest) => {
            requests.push(structuredClone(request));
            return { responses: [] };
          },
        }),
      },
      checkForStaleAssignment: () => undefined,
      subscriptionState: { assigned: () => assigned, isPaused: () => false },
      filterPartitionsByNode: (_nodeId: number, topicPartitions: unknown) => topicPartitions,
      seekOffsets: async () => undefined,
      offsetManager: {
        committedOffsets: () => ({ 'lms.events': { 0: '0', 1: '0', 2: '0' } }),
        nextOffset: () => ({ toString: () => '0' }),
      },
      getActiveTopicPartitions: () => ({ 'lms.events': new Set([0, 1, 2]) }),
      seekOffset: { has: () => false },
      preferredReadReplicasPerTopicPartition: {},
      maxBytesPerPartition: 1024,
    }) as { fetch(nodeId: number): Promise<unknown[]> };
  }

  it('every partition comes first in turn, so a backlog that fills the fetch cannot hold the others back', async () => {
    const requests: FetchRequest[] = [];
    const consumerGroup = consumerGroupRecordingFetches(requests);
    for (let round = 0; round < 3; round++) await consumerGroup.fetch(1);
    expect(requests.map(({ topics }) => topics[0].partitions.map(({ partition }) => partition))).toEqual([
      [1, 2, 0],
      [2, 0, 1],
      [0, 1, 2],
    ]);
  });
});
