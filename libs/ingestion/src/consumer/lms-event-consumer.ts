import type { IngestionConfig } from '@lms/config';
import { Metrics, ReadinessProbes } from '@lms/observability';
import { parseLmsMessage, type ParsedLmsMessage } from '@lms/payload-schemas';
import { ConsumeSpans } from '@lms/tracing';
import { Inject, Injectable, Logger, OnApplicationBootstrap, OnModuleDestroy } from '@nestjs/common';
import {
  Partitioners,
  type Consumer,
  type EachBatchPayload,
  type Kafka,
  type KafkaMessage,
  type Offsets,
  type Producer,
} from 'kafkajs';
import { INGESTION_CONFIG } from '../ingestion-config.token';
import { ensureIngestionTopics } from '../kafka/ingestion-topics';
import { KAFKA_CLIENT } from '../kafka/kafka-client';
import { unreadableBatchOf } from '../kafka/unreadable-record';
import { EventIngestionService } from '../persistence/event-ingestion.service';
import type { SourcedEvent } from '../persistence/sourced-event';
import { ConsumerSupervisor } from './consumer-supervisor';
import { DeadLetterPublisher, type DeadLetterCode, type RejectedMessage } from './dead-letter-publisher';

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
// Pool connections the batches never take all of: the relay, the retention purge and the readiness
// probe share the pool, and a batch waiting for a connection would gain nothing by holding them off.
const POOL_CONNECTIONS_KEPT_FREE = 2;

/**
 * The Kafka edge of ingestion: reads `lms.events` in batches, sends invalid messages to the DLQ,
 * hands valid events to EventIngestionService, and commits a partition's offsets only after the
 * batch is in Postgres (never past an event that is not stored). Every partition of a fetch is worked
 * at once (one transaction each). A batch's offset is resolved and its commit sent once its
 * transaction has committed; the next fetch does not wait for the broker's answer (see
 * StoredOffsetCommits). A failed commit throws at the next batch, and kafkajs re-reads from the last
 * resolved offset (from the last commit after a rebalance or a restart).
 *
 * No record can stop a partition: everything that reads a record's content is guarded and a record
 * that fails any step (decoding, parsing, validation, the insert) is dead-lettered with a reason; a
 * consumer that stops anyway is restarted by the ConsumerSupervisor, and readiness fails meanwhile.
 */
@Injectable()
export class LmsEventConsumer implements OnApplicationBootstrap, OnModuleDestroy {
  private readonly logger = new Logger(LmsEventConsumer.name);
  private readonly producer: Producer;
  private readonly deadLetters: DeadLetterPublisher;
  private readonly supervisor: ConsumerSupervisor<Consumer>;
  /** The batch each partition is working on, for the log line when the consumer stops. */
  private readonly inFlight = new Map<number, { firstOffset: string; lastOffset: string }>();
  private readonly commits = new StoredOffsetCommits();

  constructor(
    @Inject(KAFKA_CLIENT) private readonly kafka: Kafka,
    @Inject(INGESTION_CONFIG) private readonly config: IngestionConfig,
    private readonly ingestion: EventIngestionService,
    private readonly metrics: Metrics,
    readiness: ReadinessProbes,
  ) {
    this.producer = kafka.producer({
      allowAutoTopicCreation: false,
      createPartitioner: Partitioners.DefaultPartitioner,
    });
    this.deadLetters = new DeadLetterPublisher(this.producer, config.kafka, metrics);
    this.supervisor = new ConsumerSupervisor(
      {
        create: () => this.createConsumer(),
        run: (consumer) => this.run(consumer),
        describePosition: () => this.describePosition(),
      },
      metrics,
    );
    readiness.add(this.supervisor.readinessProbe());
  }

  async onApplicationBootstrap(): Promise<void> {
    const created = await ensureIngestionTopics(this.kafka, this.config.kafka);
    if (created.length > 0) this.logger.log(`created topics: ${created.join(', ')}`);
    await this.producer.connect();
    await this.supervisor.start();
    this.logger.log(`consuming ${this.config.kafka.eventsTopic} as group ${this.config.kafka.consumerGroup}`);
  }

  /** Leaves the group after the batch in flight is stored and committed, so its partitions move at once. */
  async onModuleDestroy(): Promise<void> {
    await this.supervisor.stop();
    await this.producer.disconnect();
  }

  private createConsumer(): Consumer {
    const { consumerGroup, sessionTimeoutMs } = this.config.kafka;
    const consumer = this.kafka.consumer({
      groupId: consumerGroup,
      sessionTimeout: sessionTimeoutMs,
      heartbeatInterval: Math.max(500, Math.floor(sessionTimeoutMs / 10)),
      allowAutoTopicCreation: false,
      // Only committed records of transactional producers, like a Java consumer with read_committed
      // (the default here too; said out loud because the guarantee depends on it).
      readUncommitted: false,
      ...FETCH,
    });
    // A new generation starts from the group's committed offsets: what was stored but not committed
    // before the rebalance is read again, so an older failure or offset must not be committed now.
    consumer.on(consumer.events.GROUP_JOIN, () => this.commits.reset());
    return consumer;
  }

  private async run(consumer: Consumer): Promise<void> {
    this.inFlight.clear(); // a new consumer starts from the committed offsets
    this.commits.reset();
    await consumer.connect();
    // A new group starts at the beginning: events produced before ingestion first ran are not skipped.
    await consumer.subscribe({ topic: this.config.kafka.eventsTopic, fromBeginning: true });
    await consumer.run({
      autoCommit: false,
      eachBatchAutoResolve: false,
      partitionsConsumedConcurrently: batchWorkers(this.config),
      eachBatch: (payload) => this.handleBatch(payload),
    });
  }

  private describePosition(): string {
    const topic = this.config.kafka.eventsTopic;
    if (this.inFlight.size === 0) return `${topic} (no batch in flight)`;
    const batches = [...this.inFlight].map(
      ([partition, { firstOffset, lastOffset }]) =>
        `partition ${partition} offsets ${firstOffset}-${lastOffset}`,
    );
    return `${topic} ${batches.join(', ')}`;
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
    this.commits.throwIfFailed();
    const startedAt = performance.now();
    const { topic, partition } = batch;
    const lastOffset = batch.messages[batch.messages.length - 1].offset;
    this.inFlight.set(partition, { firstOffset: batch.messages[0].offset, lastOffset });

    const valid: SourcedEvent[] = [];
    const rejected: RejectedMessage[] = [];
    // Tracing: a CONSUMER span per stored record, continuing its `traceparent` header (off: no spans).
    const spans = new ConsumeSpans(topic, partition);
    for (const message of batch.messages) {
      const unreadable = unreadableBatchOf(message);
      if (unreadable !== undefined) {
        rejected.push({
          message,
          partition,
          code: 'UNREADABLE_BATCH',
          reason: `record batch at offsets ${unreadable.firstOffset}-${unreadable.lastOffset} could not be decoded: ${unreadable.reason}`,
          errors: [],
          firstOffset: unreadable.firstOffset,
        });
        continue;
      }
      const parsed = parseGuarded(message);
      if (parsed.ok) {
        for (const event of parsed.events)
          valid.push({
            event,
            partition,
            offset: message.offset,
            kafkaTimestampMs: Number(message.timestamp),
            traceParent: spans.traceParentOf(message),
          });
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
    const result = await spans.endAfter(this.ingestion.ingest(valid));
    if (result.rejected.length > 0) {
      const byOffset = new Map(batch.messages.map((message) => [message.offset, message]));
      await this.deadLetters.publish(
        result.rejected.map(({ offset, reason }) => ({
          message: byOffset.get(offset) as KafkaMessage,
          partition,
          code: 'STORE_REJECTED',
          reason,
          errors: [],
        })),
      );
    }
    const storedAt = performance.now();

    resolveOffset(lastOffset);
    const committed = this.commits.commitStored(topic, partition, lastOffset, commitOffsetsIfNecessary);
    // While the consumer stops, kafkajs leaves the group once this handler returns: the last batch's
    // commit is awaited so its partitions move to another replica without reading it again.
    if (!isRunning()) await committed;
    this.inFlight.delete(partition);
    this.metrics.consumerLag.set({ topic, partition: String(partition) }, Number(batch.offsetLag()));
    this.logger.debug(
      `partition ${partition}: ${batch.messages.length} messages, ${result.inserted} new events, ` +
        `${rejected.length + result.rejected.length} rejected, ${result.appended} lane items, ${result.wokenLanes.length} lanes woken; ` +
        `parse ${(parsedAt - startedAt).toFixed(0)} ms, store+queue ${(storedAt - parsedAt).toFixed(0)} ms, ` +
        `commit sent after ${(performance.now() - storedAt).toFixed(0)} ms`,
    );
    await heartbeat();
  }
}

/**
 * One worker per partition of the topic, so every batch of a fetch is stored at once (one transaction
 * and one connection each) instead of waiting for a free worker; at most as many as the pool serves.
 */
export function batchWorkers({ kafka, database }: IngestionConfig): number {
  return Math.max(1, Math.min(kafka.eventsPartitions, database.poolSize - POOL_CONNECTIONS_KEPT_FREE));
}

/**
 * The offsets of stored batches, committed without holding up the next fetch. A commit is sent as soon
 * as a batch is stored and carries every stored offset the broker has not acknowledged yet (a failed
 * commit's offsets go again with the next one). Commits travel on the coordinator's one connection, so
 * the broker applies them in the order they were sent and a partition's offset never goes back. Only
 * offsets of stored (or dead-lettered) records ever get here.
 */
export class StoredOffsetCommits {
  private readonly logger = new Logger(LmsEventConsumer.name);
  /** topic → partition → the next offset to read, stored but not yet acknowledged by the broker. */
  private unacknowledged = new Map<string, Map<number, string>>();
  private failure: Error | undefined;
  private generation = 0;

  /** Sends the commit of everything stored so far; resolves when the broker answered (never rejects). */
  commitStored(
    topic: string,
    partition: number,
    lastOffset: string,
    commit: (offsets: Offsets) => Promise<void>,
  ): Promise<void> {
    const partitions = this.unacknowledged.get(topic) ?? new Map<number, string>();
    this.unacknowledged.set(topic, partitions);
    partitions.set(partition, (BigInt(lastOffset) + 1n).toString());
    const sent = [...this.unacknowledged].map(([name, offsets]) => ({
      topic: name,
      partitions: [...offsets].map(([number, offset]) => ({ partition: number, offset })),
    }));
    const generation = this.generation;
    return commit({ topics: sent }).then(
      () => {
        if (generation !== this.generation) return;
        for (const { topic: name, partitions: acknowledged } of sent) {
          const offsets = this.unacknowledged.get(name);
          for (const { partition: number, offset } of acknowledged) {
            if (offsets?.get(number) === offset) offsets.delete(number);
          }
        }
      },
      (error: Error) => {
        if (generation !== this.generation) return;
        this.logger.warn(`offset commit failed (sent again with the next batch's): ${error.message}`);
        this.failure ??= error;
      },
    );
  }

  /** A failed commit fails the next batch, as an awaited commit would have failed its own batch. */
  throwIfFailed(): void {
    const failure = this.failure;
    this.failure = undefined;
    if (failure) throw failure;
  }

  /** A new consumer or a new group generation: kafkajs reads again from the committed offsets. */
  reset(): void {
    this.generation += 1;
    this.unacknowledged = new Map();
    this.failure = undefined;
  }
}

/** The parser never throws by design; if it ever does, that record is set aside, not the partition. */
function parseGuarded(
  message: KafkaMessage,
): ParsedLmsMessage | { ok: false; code: DeadLetterCode; message: string; errors: [] } {
  try {
    return parseLmsMessage(message.value);
  } catch (error) {
    return {
      ok: false,
      code: 'PARSE_CRASHED',
      message: `parsing failed unexpectedly: ${(error as Error).message}`.slice(0, 500),
      errors: [],
    };
  }
}
