import type { Offsets } from 'kafkajs';
import type { IngestionConfig } from '@lms/config';
import { batchWorkers, StoredOffsetCommits } from './lms-event-consumer';

const TOPIC = 'lms.events';

/** A commit call the test answers by hand, as the broker would, in any order. */
function brokerStub() {
  const sent: Array<{ offsets: Offsets; answer: (error?: Error) => void }> = [];
  const commit = (offsets: Offsets): Promise<void> =>
    new Promise((resolve, reject) =>
      sent.push({ offsets, answer: (error) => (error ? reject(error) : resolve()) }),
    );
  const partitionsOf = (index: number) => sent[index].offsets.topics.flatMap(({ partitions }) => partitions);
  return { sent, commit, partitionsOf };
}

describe('StoredOffsetCommits', () => {
  it('sends a commit per stored batch at once, without waiting for the previous answer', () => {
    const commits = new StoredOffsetCommits();
    const broker = brokerStub();
    void commits.commitStored(TOPIC, 0, '9', broker.commit);
    void commits.commitStored(TOPIC, 1, '19', broker.commit);

    expect(broker.sent).toHaveLength(2);
    // The second carries the first partition too: it is not acknowledged yet.
    expect(broker.partitionsOf(1)).toEqual([
      { partition: 0, offset: '10' },
      { partition: 1, offset: '20' },
    ]);
  });

  it('drops an acknowledged offset from later commits, and keeps a newer one of the same partition', async () => {
    const commits = new StoredOffsetCommits();
    const broker = brokerStub();
    const first = commits.commitStored(TOPIC, 0, '9', broker.commit);
    void commits.commitStored(TOPIC, 0, '29', broker.commit);
    broker.sent[0].answer();
    await first;

    void commits.commitStored(TOPIC, 1, '5', broker.commit);
    // Partition 0's offset 30 was sent but not answered: it goes again; offset 10 never does.
    expect(broker.partitionsOf(2)).toEqual([
      { partition: 0, offset: '30' },
      { partition: 1, offset: '6' },
    ]);
  });

  it('sends a failed commit again with the next one and fails the next batch once', async () => {
    const commits = new StoredOffsetCommits();
    const broker = brokerStub();
    const failed = commits.commitStored(TOPIC, 3, '99', broker.commit);
    broker.sent[0].answer(new Error('coordinator moved'));
    await failed;

    expect(() => commits.throwIfFailed()).toThrow('coordinator moved');
    expect(() => commits.throwIfFailed()).not.toThrow();
    void commits.commitStored(TOPIC, 4, '0', broker.commit);
    expect(broker.partitionsOf(1)).toEqual([
      { partition: 3, offset: '100' },
      { partition: 4, offset: '1' },
    ]);
  });

  it('forgets unacknowledged offsets and late failures of an earlier generation', async () => {
    const commits = new StoredOffsetCommits();
    const broker = brokerStub();
    const stale = commits.commitStored(TOPIC, 0, '9', broker.commit);
    commits.reset();
    broker.sent[0].answer(new Error('The coordinator is not aware of this member'));
    await stale;

    expect(() => commits.throwIfFailed()).not.toThrow();
    void commits.commitStored(TOPIC, 1, '0', broker.commit);
    expect(broker.partitionsOf(1)).toEqual([{ partition: 1, offset: '1' }]);
  });
});

describe('batchWorkers', () => {
  const config = (eventsPartitions: number, poolSize: number) =>
    ({ kafka: { eventsPartitions }, database: { poolSize } }) as IngestionConfig;

  it('is one worker per partition while the pool can serve them and keep two connections free', () => {
    expect(batchWorkers(config(6, 10))).toBe(6);
    expect(batchWorkers(config(12, 14))).toBe(12);
  });

  it('is capped by the pool, and never below one', () => {
    expect(batchWorkers(config(12, 10))).toBe(8);
    expect(batchWorkers(config(12, 1))).toBe(1);
  });
});
