import { Metrics } from '@lms/observability';
import { EventEmitter } from 'node:events';
import type { Consumer } from 'kafkajs';
import { ConsumerSupervisor, type SupervisableConsumer } from './consumer-supervisor';

const EVENTS = { GROUP_JOIN: 'consumer.group_join', CRASH: 'consumer.crash' } as Consumer['events'];

/** Stands in for a kafkajs consumer: the supervisor only listens to its events and disconnects it. */
class FakeConsumer extends EventEmitter {
  readonly events = EVENTS;
  disconnected = false;
  join(): void {
    this.emit(EVENTS.GROUP_JOIN, { payload: {} });
  }
  crash(message: string, restart: boolean): void {
    this.emit(EVENTS.CRASH, { payload: { error: new Error(message), restart } });
  }
  async disconnect(): Promise<void> {
    this.disconnected = true;
  }
}

describe('ConsumerSupervisor', () => {
  let consumers: FakeConsumer[];
  let runs: number;
  let metrics: Metrics;
  let supervisor: ConsumerSupervisor;

  // Fake timers (Date.now included): a backoff is proven by the clock reaching it, not by sleeping on a
  // real timer and hoping the machine was fast enough, and "nothing restarted" is read with no timer left.
  beforeEach(() => {
    jest.useFakeTimers();
    consumers = [];
    runs = 0;
    metrics = new Metrics();
    supervisor = new ConsumerSupervisor(
      {
        create: () => {
          const consumer = new FakeConsumer();
          consumers.push(consumer);
          return consumer as unknown as SupervisableConsumer;
        },
        run: async () => {
          runs++;
        },
        describePosition: () => 'lms.events partition 3 offsets 40-41',
        initialDelayMs: 20,
        maxDelayMs: 80,
      },
      metrics,
    );
  });

  afterEach(async () => {
    await supervisor.stop();
    jest.useRealTimers();
  });

  const ready = () =>
    supervisor
      .readinessProbe()
      .check()
      .then(
        () => 'up',
        (error: Error) => error.message,
      );
  const metric = async (name: string) =>
    (await metrics.registry.getSingleMetricAsString(name))
      .split('\n')
      .filter((line) => !line.startsWith('#'));

  it('is not ready until the consumer has joined its group', async () => {
    await supervisor.start();
    expect(await ready()).toBe('the Kafka consumer has not joined its group yet');

    consumers[0].join();
    expect(await ready()).toBe('up');
    expect(await metric('lmsw_consumer_running')).toEqual(['lmsw_consumer_running 1']);
  });

  it('replaces a consumer kafkajs gave up on, after a backoff, and says where it stopped', async () => {
    await supervisor.start();
    consumers[0].join();

    consumers[0].crash('decoding failed', false);
    expect(await ready()).toBe(
      'consumer stopped at lms.events partition 3 offsets 40-41: decoding failed; restarting in 20 ms',
    );
    expect(await metric('lmsw_consumer_running')).toEqual(['lmsw_consumer_running 0']);
    expect(await metric('lmsw_consumer_stops_total')).toEqual([
      'lmsw_consumer_stops_total{restart="supervisor"} 1',
    ]);

    await jest.advanceTimersByTimeAsync(19);
    expect(consumers).toHaveLength(1); // not before its backoff
    await jest.advanceTimersByTimeAsync(1);
    expect(consumers).toHaveLength(2);
    expect(consumers[0].disconnected).toBe(true);
    expect(runs).toBe(2);
    consumers[1].join();
    expect(await ready()).toBe('up');
  });

  it('doubles the delay on each crash up to the cap', async () => {
    await supervisor.start();
    const delays: string[] = [];
    for (let crash = 0; crash < 4; crash++) {
      consumers[consumers.length - 1].crash('broker said no', false);
      const delay = (await ready()).replace(/.*restarting in /, '');
      delays.push(delay);
      await jest.advanceTimersByTimeAsync(parseInt(delay, 10) - 1);
      expect(consumers).toHaveLength(crash + 1);
      await jest.advanceTimersByTimeAsync(1);
      expect(consumers).toHaveLength(crash + 2);
    }
    expect(delays).toEqual(['20 ms', '40 ms', '80 ms', '80 ms']);
  });

  it('starts the backoff from the beginning again after a consumer stayed in its group stableAfterMs', async () => {
    await supervisor.start();
    consumers[0].crash('broker said no', false);
    await jest.advanceTimersByTimeAsync(20);
    consumers[1].crash('broker said no', false);
    expect(await ready()).toMatch(/restarting in 40 ms$/);
    await jest.advanceTimersByTimeAsync(40);

    consumers[2].join();
    await jest.advanceTimersByTimeAsync(60_000); // the default stableAfterMs
    consumers[2].crash('broker said no', false);
    expect(await ready()).toMatch(/restarting in 20 ms$/);
  });

  it('keeps doubling when the consumer crashes before it stayed stableAfterMs', async () => {
    await supervisor.start();
    consumers[0].crash('broker said no', false);
    await jest.advanceTimersByTimeAsync(20);

    consumers[1].join();
    await jest.advanceTimersByTimeAsync(59_999);
    consumers[1].crash('broker said no', false);
    expect(await ready()).toMatch(/restarting in 40 ms$/);
  });

  it('retries with the next delay when a new consumer cannot be started', async () => {
    let refuse = true;
    supervisor = new ConsumerSupervisor(
      {
        create: () => {
          const consumer = new FakeConsumer();
          consumers.push(consumer);
          return consumer as unknown as SupervisableConsumer;
        },
        run: async () => {
          runs++;
          if (runs === 2 && refuse) throw new Error('broker unreachable');
        },
        describePosition: () => 'lms.events partition 3 offsets 40-41',
        initialDelayMs: 20,
        maxDelayMs: 80,
      },
      metrics,
    );
    await supervisor.start();
    consumers[0].crash('fatal', false);
    await jest.advanceTimersByTimeAsync(20);
    expect(await ready()).toBe('consumer could not be restarted: broker unreachable; retrying in 40 ms');
    refuse = false;

    await jest.advanceTimersByTimeAsync(39);
    expect(runs).toBe(2);
    await jest.advanceTimersByTimeAsync(1);
    expect(runs).toBe(3);
    consumers[2].join();
    expect(await ready()).toBe('up');
  });

  it('leaves a retriable crash to kafkajs and only reports it', async () => {
    await supervisor.start();
    consumers[0].join();

    consumers[0].crash('connection reset', true);
    expect(await ready()).toBe(
      'consumer crashed at lms.events partition 3 offsets 40-41 and is restarting: connection reset',
    );
    expect(jest.getTimerCount()).toBe(0); // no restart scheduled at all
    await jest.advanceTimersByTimeAsync(80);
    expect(consumers).toHaveLength(1);
    expect(await metric('lmsw_consumer_stops_total')).toEqual([
      'lmsw_consumer_stops_total{restart="kafkajs"} 1',
    ]);

    consumers[0].join(); // kafkajs rejoined by itself
    expect(await ready()).toBe('up');
  });

  it('never restarts once stopped', async () => {
    await supervisor.start();
    consumers[0].crash('fatal', false);
    await supervisor.stop();
    expect(jest.getTimerCount()).toBe(0); // the scheduled restart is cancelled, not left to fire
    await jest.advanceTimersByTimeAsync(80);

    expect(consumers).toHaveLength(1);
    expect(consumers[0].disconnected).toBe(true);
  });
});
