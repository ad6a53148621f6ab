import { createRequire } from 'node:module';

// The producer's sendMessages that patches/kafkajs+2.2.4.patch rewrites (tulios/kafkajs#1303), loaded
// from node_modules as the producer runs it, with the real kafkajs retrier and error classes, and
// fake brokers and cluster metadata around it.

interface Message {
  key: string;
  value: string;
}
interface TopicData {
  topic: string;
  partitions: { partition: number; messages: Message[]; firstSequence?: number }[];
}
interface PartitionResult {
  topicName: string;
  partition: number;
  errorCode: number;
  baseOffset: string;
}
interface PartitionMetadata {
  partitionId: number;
  leader: number;
}
interface FakeBroker {
  nodeId: number;
  produce: (request: { topicData: TopicData[] }) => Promise<{
    topics: { topicName: string; partitions: Omit<PartitionResult, 'topicName'>[] }[];
  }>;
}
type SendMessages = (request: {
  acks: number;
  timeout?: number;
  topicMessages: { topic: string; messages: Message[] }[];
}) => Promise<PartitionResult[]>;
type CreateSendMessages = (dependencies: Record<string, unknown>) => SendMessages;

const kafkajs = createRequire(require.resolve('kafkajs'));
const createSendMessages = kafkajs('./src/producer/sendMessages') as CreateSendMessages;
const createRetry = kafkajs('./src/retry') as (options: Record<string, number>) => unknown;
const { createErrorFromCode } = kafkajs('./src/protocol/error') as {
  createErrorFromCode: (code: number) => Error;
};
const { KafkaJSConnectionError } = kafkajs('./src/errors') as {
  KafkaJSConnectionError: new (message: string, details?: Record<string, unknown>) => Error;
};

const TOPIC = 'dead-letters';
const NOT_LEADER_FOR_PARTITION = 6;

const noop = (): void => undefined;
const logger = { debug: noop, info: noop, warn: noop, error: noop };

/** A message for a partition: our partitioner reads the partition off the key ("p<partition>-<n>"). */
const messageFor = (partition: number, n: number): Message => ({ key: `p${partition}-${n}`, value: `${n}` });
const keyPartitioner = ({ message }: { message: Message }): number =>
  Number(/^p(\d+)-/.exec(message.key)?.[1]);

/** Records every produce call and answers it with success, unless `failWith` says otherwise. */
class Broker implements FakeBroker {
  readonly calls: TopicData[][] = [];
  readonly written: { partition: number; keys: string[] }[] = [];
  private nextOffset = 0;

  constructor(
    readonly nodeId: number,
    private readonly failWith: (call: number) => Error | undefined = () => undefined,
    private readonly answerAfter: () => Promise<void> = () => Promise.resolve(),
  ) {}

  produce = async ({ topicData }: { topicData: TopicData[] }) => {
    this.calls.push(topicData);
    const error = this.failWith(this.calls.length);
    await this.answerAfter();
    if (error) throw error;
    for (const { partitions } of topicData) {
      for (const { partition, messages } of partitions) {
        this.written.push({ partition, keys: messages.map(({ key }) => key) });
      }
    }
    return {
      topics: topicData.map(({ topic, partitions }) => ({
        topicName: topic,
        partitions: partitions.map(({ partition, messages }) => {
          const baseOffset = String(this.nextOffset);
          this.nextOffset += messages.length;
          return { partition, errorCode: 0, baseOffset };
        }),
      })),
    };
  };
}

/**
 * Cluster metadata: `metadataAfterRefresh` replaces the partition list when the sender asks for a
 * refresh (a new leader elected, or a partition missing). findLeaderForPartitions is kafkajs' own.
 */
class Cluster {
  targetTopics = new Set<string>();
  refreshes = 0;
  private partitions: PartitionMetadata[];

  constructor(
    private readonly brokers: FakeBroker[],
    initial: PartitionMetadata[],
    private readonly metadataAfterRefresh: PartitionMetadata[] = initial,
  ) {
    this.partitions = initial;
  }

  refreshMetadataIfNecessary = async (): Promise<void> => undefined;
  refreshMetadata = async (): Promise<void> => {
    this.refreshes++;
    this.partitions = this.metadataAfterRefresh;
  };
  addMultipleTargetTopics = async (topics: string[]): Promise<void> => {
    for (const topic of topics) this.targetTopics.add(topic);
  };
  isConnected = (): boolean => true;
  connect = async (): Promise<void> => undefined;
  removeBroker = noop;
  findTopicPartitionMetadata = (): PartitionMetadata[] => this.partitions;
  findLeaderForPartitions = (_topic: string, partitions: string[]): Record<string, number[]> => {
    const result: Record<string, number[]> = {};
    for (const id of partitions) {
      const metadata = this.partitions.find(({ partitionId }) => partitionId === Number(id));
      if (!metadata) continue;
      (result[metadata.leader] ??= []).push(metadata.partitionId);
    }
    return result;
  };
  findBroker = async ({ nodeId }: { nodeId: string | number }): Promise<FakeBroker> => {
    const broker = this.brokers.find((candidate) => candidate.nodeId === Number(nodeId));
    if (!broker)
      throw Object.assign(new Error(`broker ${nodeId} not found`), { name: 'KafkaJSBrokerNotFound' });
    return broker;
  };
}

/** Not transactional, not idempotent: sequences are counted so their rollback can be checked. */
class EosManager {
  readonly sequences = new Map<number, number>();
  isTransactional = (): boolean => false;
  acquireBrokerLock = async (): Promise<void> => undefined;
  releaseBrokerLock = async (): Promise<void> => undefined;
  getProducerId = (): number => -1;
  getProducerEpoch = (): number => 0;
  getSequence = (_topic: string, partition: number): number => this.sequences.get(partition) ?? 0;
  updateSequence = (_topic: string, partition: number, increment: number): void => {
    this.sequences.set(partition, (this.sequences.get(partition) ?? 0) + increment);
  };
}

function sender(
  cluster: Cluster,
  eosManager = new EosManager(),
  partitioner: unknown = () => keyPartitioner,
) {
  return createSendMessages({
    logger,
    cluster,
    partitioner: (partitioner as () => unknown)(),
    eosManager,
    retrier: createRetry({ retries: 3, initialRetryTime: 1, maxRetryTime: 5, factor: 0, multiplier: 1 }),
  });
}

/** Partitions 0 and 2 led by broker 1, partition 1 by broker 2; after a refresh broker 1 leads all. */
const leaders = (leaderOf1: number): PartitionMetadata[] => [
  { partitionId: 0, leader: 1 },
  { partitionId: 1, leader: leaderOf1 },
  { partitionId: 2, leader: 1 },
];
const mixedKeys = [0, 1, 2].flatMap((partition) => [messageFor(partition, 0), messageFor(partition, 1)]);
const keysOf = (partition: number) =>
  mixedKeys.filter(({ key }) => key.startsWith(`p${partition}-`)).map(({ key }) => key);
const writtenKeys = (...brokers: Broker[]) =>
  brokers
    .flatMap(({ written }) => written)
    .sort((a, b) => a.partition - b.partition)
    .map(({ partition, keys }) => ({ partition, keys }));

describe('patched kafkajs: a send resolves only when every partition of the request is acknowledged', () => {
  it.each([
    [
      'a connection error (the leader died)',
      () => new KafkaJSConnectionError('Connection error: ECONNREFUSED'),
    ],
    ['NOT_LEADER_FOR_PARTITION (leadership moved)', () => createErrorFromCode(NOT_LEADER_FOR_PARTITION)],
  ])(
    'the leader of one partition fails with %s and the new metadata moves it to a broker that already answered: it is sent there',
    async (_, error) => {
      // tulios/kafkajs#1303: kafkajs 2.2.4 re-sent only to brokers without a response; broker 1 had
      // answered for partitions 0 and 2, so partition 1 was never sent and send() resolved anyway.
      const survivor = new Broker(1);
      const lost = new Broker(2, (call) => (call === 1 ? error() : undefined));
      const cluster = new Cluster([survivor, lost], leaders(2), leaders(1));

      const result = await sender(cluster)({
        acks: -1,
        topicMessages: [{ topic: TOPIC, messages: mixedKeys }],
      });

      expect(writtenKeys(survivor, lost)).toEqual([
        { partition: 0, keys: keysOf(0) },
        { partition: 1, keys: keysOf(1) },
        { partition: 2, keys: keysOf(2) },
      ]);
      expect(lost.written).toEqual([]);
      // The retry sends only what had no answer: broker 1 gets partition 1 alone the second time.
      expect(survivor.calls.map((call) => call[0].partitions.map(({ partition }) => partition))).toEqual([
        [0, 2],
        [1],
      ]);
      expect(result.map(({ topicName, partition }) => `${topicName}[${partition}]`).sort()).toEqual([
        `${TOPIC}[0]`,
        `${TOPIC}[1]`,
        `${TOPIC}[2]`,
      ]);
      expect(cluster.refreshes).toBeGreaterThanOrEqual(1);
    },
  );

  it('the failed request gives its sequence numbers back and the resend reuses them (idempotent dedupe)', async () => {
    const eosManager = new EosManager();
    const survivor = new Broker(1);
    const lost = new Broker(2, (call) =>
      call === 1 ? new KafkaJSConnectionError('Connection error') : undefined,
    );
    const cluster = new Cluster([survivor, lost], leaders(2), leaders(1));

    await sender(cluster, eosManager)({ acks: -1, topicMessages: [{ topic: TOPIC, messages: mixedKeys }] });

    expect(lost.calls[0][0].partitions[0]).toMatchObject({ partition: 1, firstSequence: 0 });
    expect(survivor.calls[1][0].partitions[0]).toMatchObject({ partition: 1, firstSequence: 0 });
    expect(Object.fromEntries(eosManager.sequences)).toEqual({ 0: 2, 1: 2, 2: 2 });
  });

  it('a partition the refreshed metadata leaves out is never acknowledged: send rejects instead of resolving without it', async () => {
    const survivor = new Broker(1);
    const lost = new Broker(2, () => new KafkaJSConnectionError('Connection error'));
    const withoutPartition1 = leaders(1).filter(({ partitionId }) => partitionId !== 1);
    const cluster = new Cluster([survivor, lost], leaders(2), withoutPartition1);

    await expect(
      sender(cluster)({ acks: -1, topicMessages: [{ topic: TOPIC, messages: mixedKeys }] }),
    ).rejects.toMatchObject({
      name: 'KafkaJSNumberOfRetriesExceeded',
      message: expect.stringContaining(`${TOPIC}[1]`),
    });
    // Partitions 0 and 2 were written once; nothing of partition 1 anywhere.
    expect(writtenKeys(survivor, lost)).toEqual([
      { partition: 0, keys: keysOf(0) },
      { partition: 2, keys: keysOf(2) },
    ]);
  });

  it('a partition whose leader keeps failing makes send reject after its retries', async () => {
    const survivor = new Broker(1);
    const lost = new Broker(2, () => createErrorFromCode(NOT_LEADER_FOR_PARTITION));
    const cluster = new Cluster([survivor, lost], leaders(2));

    await expect(
      sender(cluster)({ acks: -1, topicMessages: [{ topic: TOPIC, messages: mixedKeys }] }),
    ).rejects.toMatchObject({ name: 'KafkaJSNumberOfRetriesExceeded' });
    expect(lost.calls).toHaveLength(4); // the first attempt and 3 retries
    expect(survivor.calls).toHaveLength(1);
  });

  it('a retry waits for every request of the attempt: a slow broker is not sent the same partitions again meanwhile', async () => {
    // kafkajs 2.2.4 retried as soon as one request failed, while another was still in flight, and
    // sent that one's partitions again (its response slot was still empty).
    let answerSlowBroker: () => void = noop;
    const slowAnswer = new Promise<void>((resolve) => (answerSlowBroker = resolve));
    const slow = new Broker(
      1,
      () => undefined,
      () => slowAnswer,
    );
    const lost = new Broker(2, (call) => {
      if (call === 1) {
        // The slow broker answers only once the failed attempt has refreshed metadata and retried.
        setTimeout(answerSlowBroker, 20);
        return new KafkaJSConnectionError('Connection error');
      }
      return undefined;
    });
    const cluster = new Cluster([slow, lost], leaders(2));

    const result = await sender(cluster)({
      acks: -1,
      topicMessages: [{ topic: TOPIC, messages: mixedKeys }],
    });

    expect(slow.calls).toHaveLength(1);
    expect(writtenKeys(slow, lost)).toEqual([
      { partition: 0, keys: keysOf(0) },
      { partition: 1, keys: keysOf(1) },
      { partition: 2, keys: keysOf(2) },
    ]);
    expect(result).toHaveLength(3);
  });

  it('messages without a key keep the partition they were given on the first attempt', async () => {
    // A round-robin partitioner gives other partitions on a second pass: regrouping on the retry
    // would move unsent messages into partitions already acknowledged, and send some twice.
    const roundRobin = () => {
      let next = 0;
      return ({ partitionMetadata }: { partitionMetadata: PartitionMetadata[] }) =>
        next++ % partitionMetadata.length;
    };
    const survivor = new Broker(1);
    const lost = new Broker(2, (call) =>
      call === 1 ? new KafkaJSConnectionError('Connection error') : undefined,
    );
    // The leader comes back: the retry goes to the same broker (kafkajs 2.2.4 regrouped here and
    // wrote k0, k3, k6 twice and k1, k4 never).
    const cluster = new Cluster([survivor, lost], leaders(2));
    const messages = Array.from({ length: 7 }, (_, n) => ({ key: `k${n}`, value: `${n}` }));

    await sender(
      cluster,
      new EosManager(),
      roundRobin,
    )({ acks: -1, topicMessages: [{ topic: TOPIC, messages }] });

    expect(writtenKeys(survivor, lost)).toEqual([
      { partition: 0, keys: ['k0', 'k3', 'k6'] },
      { partition: 1, keys: ['k1', 'k4'] },
      { partition: 2, keys: ['k2', 'k5'] },
    ]);
  });

  it('acks=0: every partition written counts as done and the result is empty, as before', async () => {
    const broker = new Broker(1);
    const cluster = new Cluster([broker], leaders(1));

    const result = await sender(cluster)({ acks: 0, topicMessages: [{ topic: TOPIC, messages: mixedKeys }] });

    expect(result).toEqual([]);
    expect(writtenKeys(broker)).toHaveLength(3);
  });
});
