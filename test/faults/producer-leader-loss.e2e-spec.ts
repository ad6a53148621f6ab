import { waitFor } from '@lms/testing';
import { Kafka, logLevel, Partitioners, type Producer } from 'kafkajs';
import { PrivateKafkaCluster } from './support/private-kafka-cluster';

jest.setTimeout(180_000);

const TOPIC = 'producer-leader-loss';
const PARTITIONS = 6;
/** Send loops running at once, each awaiting its send before the next. */
const LOOPS = 4;
/** Messages per send, with keys spread over every partition: one send spans all three leaders. */
const MESSAGES_PER_SEND = 30;
const DISTINCT_KEYS = 600;
/** Acknowledged messages before the kill, and after it before the loops stop. */
const ACKNOWLEDGED_BEFORE_KILL = 3_000;
const ACKNOWLEDGED_AFTER_KILL = 3_000;

/**
 * tulios/kafkajs#1303 on a real cluster, with a bare kafkajs producer (no app): mixed-key sends span
 * the three leaders, and the leader of most partitions is SIGKILLed while sends are in flight. The
 * sends in flight then have answers from the two surviving brokers; once the election moves the lost
 * leader's partitions to one of them, kafkajs 2.2.4 never sent those partitions again and resolved
 * the send as if they were written. With the patched sendMessages every acknowledged message must be
 * in the topic.
 */
describe('fault: a partition leader is lost during mixed-key producer sends (3-broker KRaft cluster)', () => {
  let cluster: PrivateKafkaCluster;
  let producer: Producer | undefined;

  beforeAll(async () => {
    cluster = await PrivateKafkaCluster.start();
  });

  afterAll(async () => {
    await producer?.disconnect().catch(() => undefined);
    await cluster?.stopAndRemove();
  });

  it('every message of an acknowledged send is in the topic after SIGKILL of a leader', async () => {
    const kafka = new Kafka({
      clientId: 'lmsw-faults-producer-leader-loss',
      brokers: cluster.brokers,
      logLevel: logLevel.NOTHING,
    });
    const admin = kafka.admin();
    await admin.connect();
    await admin.createTopics({ topics: [{ topic: TOPIC, numPartitions: PARTITIONS }], waitForLeaders: true });
    const [{ partitions: before }] = (await admin.fetchTopicMetadata({ topics: [TOPIC] })).topics;
    await admin.disconnect();
    // Kafka spreads the leaders over the brokers: a send of every key spans all of them.
    expect(new Set(before.map(({ leader }) => leader)).size).toBe(3);

    // Our dead-letter producer's settings (default partitioner, no topic creation, acks=all), with
    // retries that outlast the election (the controller notices the loss after 9 s of silence).
    const liveProducer = kafka.producer({
      allowAutoTopicCreation: false,
      createPartitioner: Partitioners.DefaultPartitioner,
      retry: { retries: 30, maxRetryTime: 1_000 },
    });
    producer = liveProducer;
    await liveProducer.connect();

    const acknowledged = new Set<string>();
    let rejectedSends = 0;
    let sends = 0;
    let producing = true;
    const loop = async (loopId: number): Promise<void> => {
      for (let n = 0; producing; n += 1) {
        const messages = Array.from({ length: MESSAGES_PER_SEND }, (_, i) => ({
          key: `key-${Math.floor(Math.random() * DISTINCT_KEYS)}`,
          value: `${loopId}-${n}-${i}`,
        }));
        sends += 1;
        try {
          await liveProducer.send({ topic: TOPIC, acks: -1, messages });
          for (const { value } of messages) acknowledged.add(value);
        } catch {
          // Not acknowledged: the sender knows, and nothing is claimed about these messages.
          rejectedSends += 1;
        }
      }
    };
    const loops = Array.from({ length: LOOPS }, (_, loopId) => loop(loopId));

    await waitFor(
      'messages acknowledged before the kill',
      () => acknowledged.size >= ACKNOWLEDGED_BEFORE_KILL,
      60_000,
    );
    const ledBy = new Map<number, number>();
    for (const { leader } of before) ledBy.set(leader, (ledBy.get(leader) ?? 0) + 1);
    const victim = [...ledBy.entries()].sort((a, b) => b[1] - a[1])[0][0];
    const acknowledgedAtKill = acknowledged.size;
    const killedAt = Date.now();
    await cluster.stop(victim, 'SIGKILL');
    await waitFor(
      'messages acknowledged after the kill',
      () => acknowledged.size >= acknowledgedAtKill + ACKNOWLEDGED_AFTER_KILL,
      60_000,
      100,
    );
    producing = false;
    await Promise.all(loops);
    const resumedAfterMs = Date.now() - killedAt;

    // Read the whole topic back from the survivors.
    const survivors = new Kafka({
      clientId: 'lmsw-faults-producer-leader-loss-check',
      brokers: cluster.brokersExcept(victim),
      logLevel: logLevel.NOTHING,
    });
    const checkAdmin = survivors.admin();
    await checkAdmin.connect();
    const highWatermarks = new Map(
      (await checkAdmin.fetchTopicOffsets(TOPIC)).map(({ partition, high }) => [partition, Number(high)]),
    );
    await checkAdmin.disconnect();
    const inTopic = new Set<string>();
    const readUpTo = new Map<number, number>();
    const consumer = survivors.consumer({ groupId: `lmsw-faults-producer-leader-loss-${Date.now()}` });
    await consumer.connect();
    try {
      await consumer.subscribe({ topic: TOPIC, fromBeginning: true });
      await consumer.run({
        eachMessage: async ({ partition, message }) => {
          inTopic.add(String(message.value));
          readUpTo.set(partition, Number(message.offset) + 1);
        },
      });
      await waitFor(
        'the whole topic read back',
        () => [...highWatermarks].every(([partition, high]) => (readUpTo.get(partition) ?? 0) >= high),
        60_000,
        100,
      );
    } finally {
      await consumer.disconnect();
    }

    const missing = [...acknowledged].filter((value) => !inTopic.has(value));
    console.log(
      `[fault] producer leader loss: SIGKILL of node ${victim} (leader of ${ledBy.get(victim)} of ${PARTITIONS} partitions) ` +
        `after ${acknowledgedAtKill} acknowledged messages; ${sends} sends of ${MESSAGES_PER_SEND} mixed-key messages ` +
        `(${LOOPS} loops), ${rejectedSends} rejected; ${acknowledged.size} messages acknowledged, ` +
        `${missing.length} of them missing from the topic; ${ACKNOWLEDGED_AFTER_KILL} more acknowledged ${resumedAfterMs} ms after the kill`,
    );
    expect(missing).toEqual([]);
  });
});
