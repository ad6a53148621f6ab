import type { KafkaConfig } from '@lms/config';
import { Logger } from '@nestjs/common';
import { Kafka, logLevel, type LogEntry } from 'kafkajs';
import { registerCompressionCodecs } from './compression-codecs';

/** Injection token for the app's one kafkajs client (consumer, DLQ producer and admin share it). */
export const KAFKA_CLIENT = Symbol('KAFKA_CLIENT');

/**
 * A kafkajs client whose own logs (warnings and errors only) go through Nest's logger, able to read
 * every compression the Java client writes (gzip, snappy, lz4, zstd), each batch capped at
 * config.maxDecompressedBatchBytes once decompressed.
 */
export function createKafkaClient(config: KafkaConfig): Kafka {
  // kafkajs keeps codecs in one process-wide table: registering here covers every client we create.
  registerCompressionCodecs(config.maxDecompressedBatchBytes);
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
