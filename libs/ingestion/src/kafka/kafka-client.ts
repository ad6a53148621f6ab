import type { KafkaConfig } from '@lms/config';
import { Logger } from '@nestjs/common';
import { Kafka, logLevel, setFetchDecodeLimits, type LogEntry } from 'kafkajs';
import { registerCompressionCodecs } from './compression-codecs';

/** Injection token for the app's one kafkajs client (consumer, DLQ producer and admin share it). */
export const KAFKA_CLIENT = Symbol('KAFKA_CLIENT');

/**
 * A kafkajs client whose own logs (warnings and errors only) go through Nest's logger, able to read
 * every compression the Java client writes (gzip, snappy, lz4, zstd), each batch capped at
 * config.maxDecompressedBatchBytes once decompressed, and each fetch at
 * config.maxDecompressedFetchBytes and config.maxRecordsPerFetch (patches/kafkajs+2.2.4.patch).
 */
export function createKafkaClient(config: KafkaConfig): Kafka {
  // kafkajs keeps codecs and our patch's fetch limits process-wide: setting them here covers every
  // client we create.
  registerCompressionCodecs(config.maxDecompressedBatchBytes);
  setFetchDecodeLimits({
    maxDecompressedBytes: config.maxDecompressedFetchBytes,
    maxRecords: config.maxRecordsPerFetch,
  });
  const logger = new Logger('kafkajs');
  return new Kafka({
    clientId: config.clientId,
    brokers: config.brokers,
    logLevel: logLevel.WARN,
    logCreator:
      () =>
      ({ level, log }: LogEntry) => {
        const { message, ...extra } = log;
        const text = `${message} ${JSON.stringify(extra)}`;
        if (level === logLevel.ERROR) logger.error(text);
        else logger.warn(text);
      },
  });
}
