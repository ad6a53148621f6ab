import type { IngestionConfig } from '@lms/config';
import { Metrics } from '@lms/observability';
import { parseLmsMessage } from '@lms/payload-schemas';
import { Inject, Injectable, Logger, OnApplicationBootstrap, OnModuleDestroy } from '@nestjs/common';
import { Partitioners, type Consumer, type EachBatchPayload, type Kafka, type Producer } from 'kafkajs';
import { INGESTION_CONFIG } from '../ingestion-config.token';
import { ensureIngestionTopics } from '../kafka/ingestion-topics';
import { KAFKA_CLIENT } from '../kafka/kafka-client';
import { EventIngestionService } from '../persistence/event-ingestion.service';
import type { SourcedEvent } from '../persistence/sourced-event';
import { DeadLetterPublisher, type RejectedMessage } from './dead-letter-publisher';

// Fetch sizing. An LMS event is ~400 bytes: 4 MiB per partition lets one batch carry ~10,000 events,
// so one transaction amortises its round trips over thousands of rows when there is a backlog.
// minBytes 1 answers a fetch as soon as anything is there, so at low rates batches are small and
// latency stays low; under load batches grow by themselves while the previous one is persisted.
const FETCH = {
  minBytes: 1,
  maxBytes: 32 * 1024 * 1024,
  maxBytesPerPartition: 4 * 1024 * 1024,
  maxWaitTimeInMs: 250,
};
// Batches of different partitions persist in parallel (separate transactions, separate connections).
const PARTITIONS_CONSUMED_CONCURRENTLY = 4;

/**
 * The Kafka edge of ingestion: reads `lms.events` in batches, sends invalid messages to the DLQ,
 * hands valid events to EventIngestionService, and commits a partition's offsets only after the
 * batch is in Postgres (never past an event that is not stored). Offsets are committed explicitly,
 * per batch, after the transaction; a failure throws, and kafkajs re-reads from the last commit.
 */
@Injectable()
export class LmsEventConsumer implements OnApplicationBootstrap, OnModuleDestroy {
  private readonly logger = new Logger(LmsEventConsumer.name);
  private readonly consumer: Consumer;
  private readonly producer: Producer;
  private readonly deadLetters: DeadLetterPublisher;

  constructor(
    @Inject(KAFKA_CLIENT) private readonly kafka: Kafka,
    @Inject(INGESTION_CONFIG) private readonly config: IngestionConfig,
    private readonly ingestion: EventIngestionService,
    private readonly metrics: Metrics,
  ) {
    const { consumerGroup, sessionTimeoutMs } = config.kafka;
    this.consumer = kafka.consumer({
      groupId: consumerGroup,
      sessionTimeout: sessionTimeoutMs,
      heartbeatInterval: Math.max(500, Math.floor(sessionTimeoutMs / 10)),
      allowAutoTopicCreation: false,
      ...FETCH,
    });
    this.producer = kafka.producer({
      allowAutoTopicCreation: false,
      createPartitioner: Partitioners.DefaultPartitioner,
    });
    this.deadLetters = new DeadLetterPublisher(this.producer, config.kafka, metrics);
  }

  async onApplicationBootstrap(): Promise<void> {
    const created = await ensureIngestionTopics(this.kafka, this.config.kafka);
    if (created.length > 0) this.logger.log(`created topics: ${created.join(', ')}`);
    await this.producer.connect();
    await this.consumer.connect();
    // A new group starts at the beginning: events produced before ingestion first ran are not skipped.
    await this.consumer.subscribe({ topic: this.config.kafka.eventsTopic, fromBeginning: true });
    this.consumer.on(this.consumer.events.CRASH, ({ payload }) => {
      this.logger.error(`consumer crashed (restart: ${payload.restart}): ${payload.error.message}`);
    });
    await this.consumer.run({
      autoCommit: false,
      eachBatchAutoResolve: false,
      partitionsConsumedConcurrently: PARTITIONS_CONSUMED_CONCURRENTLY,
      eachBatch: (payload) => this.handleBatch(payload),
    });
    this.logger.log(`consuming ${this.config.kafka.eventsTopic} as group ${this.config.kafka.consumerGroup}`);
  }

  /** Leaves the group after the batch in flight is stored and committed, so its partitions move at once. */
  async onModuleDestroy(): Promise<void> {
    await this.consumer.disconnect();
    await this.producer.disconnect();
  }

  private async handleBatch({
    batch,
    resolveOffset,
    heartbeat,
    commitOffsetsIfNecessary,
    isRunning,
    isStale,
  }: EachBatchPayload): Promise<void> {
    if (batch.messages.length === 0 || !isRunning() || isStale()) return;
    const startedAt = performance.now();
    const { topic, partition } = batch;
    const valid: SourcedEvent[] = [];
    const rejected: RejectedMessage[] = [];
    for (const message of batch.messages) {
      const parsed = parseLmsMessage(message.value);
      if (parsed.ok) {
        for (const event of parsed.events) valid.push({ event, partition, offset: message.offset });
      } else {
        rejected.push({
          message,
          partition,
          code: parsed.code,
          reason: parsed.message,
          errors: parsed.errors,
        });
      }
    }

    const parsedAt = performance.now();
    await this.deadLetters.publish(rejected);
    await heartbeat();
    const result = await this.ingestion.ingest(valid);
    const storedAt = performance.now();

    const lastOffset = batch.messages[batch.messages.length - 1].offset;
    resolveOffset(lastOffset);
    await commitOffsetsIfNecessary({
      topics: [{ topic, partitions: [{ partition, offset: (BigInt(lastOffset) + 1n).toString() }] }],
    });
    this.metrics.consumerLag.set({ topic, partition: String(partition) }, Number(batch.offsetLag()));
    this.logger.debug(
      `partition ${partition}: ${batch.messages.length} messages, ${result.inserted} new events, ${rejected.length} rejected, ` +
        `${result.realtimeDeliveryIds.length} deliveries; parse ${(parsedAt - startedAt).toFixed(0)} ms, ` +
        `store+queue ${(storedAt - parsedAt).toFixed(0)} ms, commit ${(performance.now() - storedAt).toFixed(0)} ms`,
    );
    await heartbeat();
  }
}
