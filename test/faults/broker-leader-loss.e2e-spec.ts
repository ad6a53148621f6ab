import { createBenchKafka, producePaced } from '@lms/testing';
import {
  ConfigResourceTypes,
  Partitioners,
  type Kafka,
  type PartitionMetadata,
  type Producer,
} from 'kafkajs';
import { expectEveryEventDelivered } from './support/delivery-ledger';
import { DISPATCH_CONCURRENCY, FAULT_EVENTS, FAULT_RATE, FaultHarness } from './support/fault-harness';
import {
  CLUSTER_MIN_INSYNC_REPLICAS,
  CLUSTER_REPLICATION_FACTOR,
  PrivateKafkaCluster,
} from './support/private-kafka-cluster';

jest.setTimeout(300_000);

const RUN = 'll';
/** scripts/kafka.sh gives the cluster's consumer offsets topic 4 partitions. */
const OFFSETS_TOPIC_PARTITIONS = 4;

describe('fault: the leader of the partitions in use is lost (3-broker KRaft cluster)', () => {
  let cluster: PrivateKafkaCluster;
  let harness: FaultHarness;
  let producer: Producer;

  beforeAll(async () => {
    cluster = await PrivateKafkaCluster.start();
    harness = await FaultHarness.start({ label: 'leader_loss', dispatchers: 1, brokers: cluster.brokers });
    // What an LMS producer should run against a replicated topic: acks=all (sendPersistently asks
    // for it), idempotent so kafkajs' own retries after a lost leader do not write a batch twice
    // (kafkajs requires one request in flight for that), and retries that outlast a leader election.
    // Sends mix accounts (keys) across leaders: the kafkajs patch makes a send resolve only once every
    // partition is acknowledged (tulios/kafkajs#1303 lost 125 of these events before it).
    producer = harness.kafka.producer({
      idempotent: true,
      maxInFlightRequests: 1,
      allowAutoTopicCreation: false,
      createPartitioner: Partitioners.DefaultPartitioner,
      retry: { retries: 30, maxRetryTime: 1_000 },
    });
    await producer.connect();
  });

  afterAll(async () => {
    await producer?.disconnect().catch(() => undefined);
    await harness?.close();
    await cluster?.stopAndRemove();
  });

  it('keeps ingesting after SIGKILL of the leader and delivers every event once, in order', async () => {
    const { topic } = harness.stack;
    const replicated = await describeTopic(harness.kafka, topic);
    for (const partition of replicated.partitions) {
      expect(partition.replicas).toHaveLength(CLUSTER_REPLICATION_FACTOR);
      expect(partition.isr).toHaveLength(CLUSTER_REPLICATION_FACTOR);
    }
    expect(replicated.minInsyncReplicas).toBe(String(CLUSTER_MIN_INSYNC_REPLICAS));

    let produced = 0;
    let stopped = false;
    let firstSequenceSentAfterStop: number | undefined;
    const producing = producePaced(producer, topic, harness.plan, RUN, FAULT_EVENTS, FAULT_RATE, (count) => {
      produced = count;
      // The first send confirmed after the stop may have left before it: only what follows it was
      // certainly sent to a cluster that had already lost the node.
      if (stopped && firstSequenceSentAfterStop === undefined) firstSequenceSentAfterStop = count;
    });
    await harness.waitUntilAcknowledged(RUN, Math.floor(FAULT_EVENTS * 0.2));

    const inUse = await partitionsInUse(harness.kafka, topic);
    const coordinator = await groupCoordinator(harness.kafka, harness.stack.env.KAFKA_CONSUMER_GROUP);
    const victim = leaderOfMost(inUse, coordinator);
    const led = inUse.filter((partition) => partition.leader === victim).map((p) => p.partitionId);
    const producedWhenStopped = produced;
    const stoppedAt = Date.now();
    // SIGKILL, not SIGTERM: a crashed or cut-off broker hands nothing over. SIGTERM would run a
    // controlled shutdown that moves leadership away before the broker leaves (the easy case, and a
    // clean stop is what broker-restart covers); after SIGKILL the produce and fetch requests in
    // flight are cut, the group coordinator may vanish with it, and the controller only learns of the
    // loss when the broker's heartbeats stop (broker.session.timeout.ms, 9 s by default).
    stopped = true;
    await cluster.stop(victim, 'SIGKILL');
    const production = await producing;

    const survivors = createBenchKafka(cluster.brokersExcept(victim), 'lmsw-faults-leader-loss-check');
    const after = await describeTopic(survivors, topic);
    for (const partition of after.partitions) {
      expect(partition.leader).not.toBe(victim);
      expect(partition.isr).not.toContain(victim);
      expect(partition.isr.length).toBeGreaterThanOrEqual(CLUSTER_MIN_INSYNC_REPLICAS);
    }

    const summary = await harness.settle(RUN, FAULT_EVENTS);
    const sentAfterStop = firstSequenceSentAfterStop ?? FAULT_EVENTS;
    const arrivalsAfterStop: number[] = [];
    const missingAfterStop: string[] = [];
    for (let sequence = sentAfterStop; sequence < FAULT_EVENTS; sequence += 1) {
      const latency = harness.ledger.latencyOf(`${RUN}-${sequence}`);
      if (latency === undefined) missingAfterStop.push(`${RUN}-${sequence}`);
      else arrivalsAfterStop.push(production.startedAt + (sequence * 1000) / FAULT_RATE + latency);
    }
    console.log(
      `[fault] broker leader loss: SIGKILL of node ${victim} (leader of in-use partitions ${led.join(', ')} of ` +
        `${inUse.map((p) => `${p.partitionId}@${p.leader}`).join(', ')}; consumer group coordinator: node ${coordinator}) ` +
        `after ${producedWhenStopped} events were on the broker; ${FAULT_EVENTS - sentAfterStop} events sent after the stop, ` +
        `the first of them delivered ${Math.round(Math.min(...arrivalsAfterStop) - stoppedAt)} ms after the stop; ` +
        `producer held up to ${production.maxProducerLagMs} ms; leaders after: ${after.partitions.map((p) => `${p.partitionId}@${p.leader} isr [${p.isr.join(',')}]`).join(', ')}`,
    );
    await harness.report(RUN, 'broker leader loss', summary, DISPATCH_CONCURRENCY);

    // Ingestion carried on: the stop came while events flowed, and what was sent after it arrived.
    expect(sentAfterStop).toBeLessThanOrEqual(FAULT_EVENTS * 0.8);
    expect(missingAfterStop).toEqual([]);
    expectEveryEventDelivered(summary, DISPATCH_CONCURRENCY);
    // Resent produce requests are stored once: one row per event.
    const [{ events }] = await harness.stack.query<{ events: string }>(
      `SELECT count(*) AS events FROM events WHERE event_id LIKE $1`,
      [`${RUN}-%`],
    );
    expect(Number(events)).toBe(FAULT_EVENTS);
    for (const app of harness.stack.apps) expect(app.child.exitCode).toBeNull();
  });
});

interface TopicDescription {
  partitions: PartitionMetadata[];
  minInsyncReplicas: string | undefined;
}

async function describeTopic(kafka: Kafka, topic: string): Promise<TopicDescription> {
  const admin = kafka.admin();
  await admin.connect();
  try {
    const {
      topics: [{ partitions }],
    } = await admin.fetchTopicMetadata({ topics: [topic] });
    const { resources } = await admin.describeConfigs({
      includeSynonyms: false,
      resources: [{ type: ConfigResourceTypes.TOPIC, name: topic, configNames: ['min.insync.replicas'] }],
    });
    return {
      partitions: [...partitions].sort((a, b) => a.partitionId - b.partitionId),
      minInsyncReplicas: resources[0]?.configEntries[0]?.configValue,
    };
  } finally {
    await admin.disconnect();
  }
}

/** The topic's partitions that hold events (accounts are the keys: not every partition gets one), with their leaders now. */
async function partitionsInUse(kafka: Kafka, topic: string): Promise<PartitionMetadata[]> {
  const admin = kafka.admin();
  await admin.connect();
  try {
    const offsets = await admin.fetchTopicOffsets(topic);
    const used = new Set(offsets.filter((o) => Number(o.high) > 0).map((o) => o.partition));
    const {
      topics: [{ partitions }],
    } = await admin.fetchTopicMetadata({ topics: [topic] });
    return partitions.filter((partition) => used.has(partition.partitionId));
  } finally {
    await admin.disconnect();
  }
}

/**
 * The broker coordinating the ingestion's consumer group: the leader of the consumer offsets
 * partition the group id hashes to (Kafka's rule: abs(Java hashCode) mod the partition count).
 */
async function groupCoordinator(kafka: Kafka, groupId: string): Promise<number> {
  let hash = 0;
  for (let index = 0; index < groupId.length; index += 1)
    hash = (Math.imul(hash, 31) + groupId.charCodeAt(index)) | 0;
  const partitionId = (hash & 0x7fffffff) % OFFSETS_TOPIC_PARTITIONS;
  const admin = kafka.admin();
  await admin.connect();
  try {
    const {
      topics: [{ partitions }],
    } = await admin.fetchTopicMetadata({ topics: ['__consumer_offsets'] });
    const leader = partitions.find((partition) => partition.partitionId === partitionId)?.leader;
    if (leader === undefined) throw new Error(`no leader for __consumer_offsets partition ${partitionId}`);
    return leader;
  } finally {
    await admin.disconnect();
  }
}

/** The broker leading most of the partitions in use; on a tie, the group's coordinator (a harsher loss), then the lowest id. */
function leaderOfMost(inUse: PartitionMetadata[], coordinator: number): number {
  const led = new Map<number, number>();
  for (const { leader } of inUse) led.set(leader, (led.get(leader) ?? 0) + 1);
  const [victim] = [...led.entries()].sort(
    ([a, countA], [b, countB]) =>
      countB - countA || Number(b === coordinator) - Number(a === coordinator) || a - b,
  );
  if (!victim) throw new Error('no partition of the topic holds events yet');
  return victim[0];
}
