import { loadIngestionConfig, type IngestionConfig } from '@lms/config';
import { Metrics, ReadinessProbes } from '@lms/observability';
import { buildExampleEvent } from '@lms/payload-schemas';
import { deleteTestTopics, stackEnv, testKafka, uniqueKafkaNames, waitFor } from '@lms/testing';
import type { Admin, Producer } from 'kafkajs';
import { randomInt, randomUUID } from 'node:crypto';
import { createKafkaClient } from '../kafka/kafka-client';
import type { EventIngestionService, IngestionResult } from '../persistence/event-ingestion.service';
import type { SourcedEvent } from '../persistence/sourced-event';
import { LmsEventConsumer } from './lms-event-consumer';

// Booting a consumer, joining a group and (in the second test) a session timeout take seconds.
jest.setTimeout(90_000);

const PARTITIONS = 6;

/**
 * Stands in for EventIngestionService: a batch "is stored" when its events land in `stored`, and each
 * call can be held at a gate before or after that, so a test sees which batches are in the store at
 * once and what was committed meanwhile.
 */
class GatedStore {
  /** Every event handed to the store, in the order the calls stored them (repeats included). */
  readonly stored: SourcedEvent[] = [];
  /** Partitions whose batch is inside `ingest` right now. */
  readonly inStore = new Set<number>();
  private release!: () => void;
  private gate!: Promise<void>;

  constructor(private readonly holdAfterStoring: boolean) {
    this.close();
  }

  close(): void {
    this.gate = new Promise((resolve) => (this.release = resolve));
  }

  open(): void {
    this.release();
  }

  readonly service = {
    ingest: async (events: readonly SourcedEvent[]): Promise<IngestionResult> => {
      const partitions = new Set(events.map(({ partition }) => partition));
      partitions.forEach((partition) => this.inStore.add(partition));
      if (!this.holdAfterStoring) await this.gate;
      this.stored.push(...events);
      if (this.holdAfterStoring) await this.gate;
      partitions.forEach((partition) => this.inStore.delete(partition));
      return { inserted: events.length, duplicates: 0, appended: 0, wokenLanes: [], rejected: [] };
    },
  } as unknown as EventIngestionService;
}

/** The consumer on the real Kafka, with the store replaced: what it runs at once and what it commits. */
describe('LmsEventConsumer (real Kafka)', () => {
  let config: IngestionConfig;
  let admin: Admin;
  let producer: Producer;
  const consumers: LmsEventConsumer[] = [];
  const stores: GatedStore[] = [];

  beforeEach(async () => {
    const { topic, dlqTopic, group } = uniqueKafkaNames('consumer_int');
    config = loadIngestionConfig(
      stackEnv({
        databaseUrl: 'postgres://postgres@127.0.0.1:5432/unused',
        topic,
        group,
        extra: {
          KAFKA_DLQ_TOPIC: dlqTopic,
          KAFKA_EVENTS_PARTITIONS: String(PARTITIONS),
          KAFKA_SESSION_TIMEOUT_MS: '6000',
        },
      }),
    );
    const kafka = testKafka('consumer-int-spec');
    admin = kafka.admin();
    await admin.connect();
    producer = kafka.producer({ allowAutoTopicCreation: false });
    await producer.connect();
    // Created here so the records are there before the first fetch: it carries every partition.
    await admin.createTopics({
      waitForLeaders: true,
      topics: [{ topic: config.kafka.eventsTopic, numPartitions: PARTITIONS }],
    });
  });

  afterEach(async () => {
    stores.splice(0).forEach((store) => store.open());
    await Promise.all(consumers.splice(0).map((consumer) => consumer.onModuleDestroy()));
    await producer.disconnect();
    await admin.disconnect();
    await deleteTestTopics([config.kafka.eventsTopic, config.kafka.dlqTopic]);
  });

  async function startConsumer(store: GatedStore): Promise<LmsEventConsumer> {
    stores.push(store);
    const consumer = new LmsEventConsumer(
      createKafkaClient(config.kafka),
      config,
      store.service,
      new Metrics(),
      new ReadinessProbes(),
    );
    consumers.push(consumer);
    await consumer.onApplicationBootstrap();
    return consumer;
  }

  /** One valid event on each partition; returns the event ids by partition. */
  async function produceOnePerPartition(): Promise<string[]> {
    const eventIds = Array.from({ length: PARTITIONS }, () => `evt-${randomUUID()}`);
    await producer.send({
      topic: config.kafka.eventsTopic,
      acks: -1,
      messages: eventIds.map((eventId, partition) => {
        const accountId = randomInt(1, 1_000_000);
        const { realtime: _realtime, ...event } = buildExampleEvent('COURSE_ENROLLMENT', {
          accountId,
          eventId,
        });
        return { partition, key: String(accountId), value: JSON.stringify(event) };
      }),
    });
    return eventIds;
  }

  async function committedOffsets(): Promise<string[]> {
    const [{ partitions }] = await admin.fetchOffsets({
      groupId: config.kafka.consumerGroup,
      topics: [config.kafka.eventsTopic],
    });
    return [...partitions].sort((a, b) => a.partition - b.partition).map(({ offset }) => offset);
  }

  it('stores the batches of every partition of a fetch at the same time', async () => {
    const store = new GatedStore(false);
    const eventIds = await produceOnePerPartition();
    await startConsumer(store);

    // Nothing leaves the store until every partition's batch is in it: with fewer workers than
    // partitions this never happens and the wait times out.
    await waitFor(
      `all ${PARTITIONS} partitions in the store at once`,
      () => store.inStore.size === PARTITIONS,
    );
    expect(await committedOffsets()).toEqual(Array(PARTITIONS).fill('-1'));

    store.open();
    await waitFor('every partition committed past its record', async () =>
      (await committedOffsets()).every((offset) => offset === '1'),
    );
    expect(store.stored.map(({ event }) => event.eventId).sort()).toEqual([...eventIds].sort());
  });

  it('never commits an offset before its events are stored: a consumer frozen between the two loses nothing', async () => {
    // The first consumer stores its batches and then hangs before committing (as a process would
    // that died right after its transaction): it stops heartbeating and the group drops it.
    const frozen = new GatedStore(true);
    const eventIds = await produceOnePerPartition();
    await startConsumer(frozen);
    await waitFor('every event stored by the first consumer', () => frozen.stored.length === PARTITIONS);
    expect(await committedOffsets()).toEqual(Array(PARTITIONS).fill('-1'));

    // A second replica of the group takes the partitions after the session timeout and gets the same
    // records again, since none of their offsets was committed.
    const second = new GatedStore(false);
    second.open();
    await startConsumer(second);
    await waitFor(
      'the second consumer stored every event again',
      () => second.stored.length === PARTITIONS,
      60_000,
    );
    expect(second.stored.map(({ event }) => event.eventId).sort()).toEqual([...eventIds].sort());
    await waitFor('every partition committed past its record', async () =>
      (await committedOffsets()).every((offset) => offset === '1'),
    );
  });
});
