import { ConfigValidationError, loadIngestionConfig } from '@lms/config';
import { setFetchDecodeLimits } from 'kafkajs';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { DEFAULT_MAX_DECOMPRESSED_BATCH_BYTES, registerCompressionCodecs } from './compression-codecs';
import { createKafkaClient } from './kafka-client';
import { batchOfEmptyRecords, recordSetBytes, withBaseOffset } from './record-batch.factory';

// The fetch decoder as the consumer runs it (patches/kafkajs+2.2.4.patch).
const kafkajs = createRequire(require.resolve('kafkajs'));
const Decoder = kafkajs('./src/protocol/decoder') as new (buffer: Buffer) => unknown;
const decodeMessages = kafkajs('./src/protocol/requests/fetch/v4/decodeMessages') as (
  decoder: unknown,
) => Promise<Array<{ offset: string; unreadable?: { reason: string } }>>;

const fixture = (name: string) => readFileSync(path.join(__dirname, 'fixtures', `${name}.batch`));

const fetchOf = (...batches: Buffer[]) => new Decoder(recordSetBytes(...batches));

const problemsOf = (env: Record<string, string>) => {
  try {
    loadIngestionConfig({ NODE_ENV: 'test', ...env });
    return [];
  } catch (error) {
    return (error as ConfigValidationError).problems.map(({ variable }) => variable);
  }
};

describe('the Kafka client applies the decode limits of the configuration', () => {
  afterEach(() => {
    setFetchDecodeLimits({});
    registerCompressionCodecs(DEFAULT_MAX_DECOMPRESSED_BATCH_BYTES);
  });

  it('defaults: 64 MiB a batch, 128 MiB and 100,000 records a fetch', () => {
    expect(loadIngestionConfig({ NODE_ENV: 'test' }).kafka).toMatchObject({
      maxDecompressedBatchBytes: 64 * 1024 * 1024,
      maxDecompressedFetchBytes: 128 * 1024 * 1024,
      maxRecordsPerFetch: 100_000,
    });
  });

  it('KAFKA_MAX_RECORDS_PER_FETCH bounds the records one fetch decodes; the rest wait for the next fetch', async () => {
    createKafkaClient(loadIngestionConfig({ NODE_ENV: 'test', KAFKA_MAX_RECORDS_PER_FETCH: '100' }).kafka);
    const messages = await decodeMessages(fetchOf(batchOfEmptyRecords(60, 0n), batchOfEmptyRecords(60, 60n)));
    expect(messages.map(({ offset }) => offset)).toEqual(
      Array.from({ length: 60 }, (_, offset) => String(offset)),
    );
  });

  it('KAFKA_MAX_DECOMPRESSED_FETCH_BYTES bounds what one fetch decompresses; the rest wait for the next fetch', async () => {
    // Each bomb decompresses to ~600 KiB: under the batch cap, but two of them pass the fetch cap.
    createKafkaClient(
      loadIngestionConfig({
        NODE_ENV: 'test',
        KAFKA_MAX_DECOMPRESSED_BATCH_BYTES: String(1024 * 1024),
        KAFKA_MAX_DECOMPRESSED_FETCH_BYTES: String(1024 * 1024),
      }).kafka,
    );
    const bomb = fixture('gzip-bomb');
    const messages = await decodeMessages(fetchOf(bomb, withBaseOffset(bomb, 101n)));
    expect(messages.map(({ offset, unreadable }) => [offset, unreadable])).toEqual([['100', undefined]]);
  });

  it('refuses at boot, naming the variable, a fetch cap below the batch cap or a record cap out of range', () => {
    expect(
      problemsOf({
        KAFKA_MAX_DECOMPRESSED_BATCH_BYTES: String(64 * 1024 * 1024),
        KAFKA_MAX_DECOMPRESSED_FETCH_BYTES: String(32 * 1024 * 1024),
      }),
    ).toEqual(['KAFKA_MAX_DECOMPRESSED_FETCH_BYTES']);
    expect(problemsOf({ KAFKA_MAX_RECORDS_PER_FETCH: '0' })).toEqual(['KAFKA_MAX_RECORDS_PER_FETCH']);
    expect(problemsOf({ KAFKA_MAX_DECOMPRESSED_FETCH_BYTES: 'lots' })).toEqual([
      'KAFKA_MAX_DECOMPRESSED_FETCH_BYTES',
    ]);
  });
});
