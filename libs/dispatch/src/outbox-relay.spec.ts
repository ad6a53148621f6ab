import type { DispatcherConfig } from '@lms/config';
import { Metrics } from '@lms/observability';
import { ADVISORY_LOCK, type LaneRepository, type WokenLane } from '@lms/webhook-domain';
import { SchedulerRegistry } from '@nestjs/schedule';
import type { DataSource, QueryRunner } from 'typeorm';
import type { DeliveryEnqueuer } from './delivery-enqueuer';
import { OutboxRelay } from './outbox-relay';

/**
 * One pooled connection as the relay's transaction sees it: it answers the advisory lock try and the
 * query for open deliveries past the grace period, and records every statement and how it ended.
 */
class FakeConnection {
  readonly statements: Array<{ sql: string; parameters: unknown[] }> = [];
  readonly ended: string[] = [];
  isTransactionActive = false;

  constructor(
    private readonly lockFree: boolean,
    private readonly dueDeliveryIds: readonly string[],
  ) {}

  async connect(): Promise<void> {}
  async startTransaction(): Promise<void> {
    this.isTransactionActive = true;
  }
  async commitTransaction(): Promise<void> {
    this.isTransactionActive = false;
    this.ended.push('commit');
  }
  async rollbackTransaction(): Promise<void> {
    this.isTransactionActive = false;
    this.ended.push('rollback');
  }
  async release(): Promise<void> {
    this.ended.push('release');
  }
  async query(sql: string, parameters: unknown[] = []): Promise<unknown[]> {
    this.statements.push({ sql, parameters });
    if (sql.includes('pg_try_advisory_xact_lock')) return [{ locked: this.lockFree }];
    if (sql.includes('FROM deliveries')) return this.dueDeliveryIds.map((id) => ({ id }));
    throw new Error(`unexpected statement: ${sql}`);
  }
}

/** The queue as the relay uses it: only what is not in Redis any more is queued, and counted. */
class FakeQueue implements Pick<DeliveryEnqueuer, 'enqueueMissing' | 'wakeLanesMissingTheirJob'> {
  readonly enqueued: string[][] = [];
  readonly woken: WokenLane[][] = [];
  constructor(
    private readonly jobsInRedis: ReadonlySet<string> = new Set(),
    private readonly failure?: Error,
  ) {}
  async enqueueMissing(deliveryIds: readonly string[]): Promise<number> {
    if (this.failure) throw this.failure;
    this.enqueued.push([...deliveryIds]);
    return deliveryIds.filter((id) => !this.jobsInRedis.has(id)).length;
  }
  async wakeLanesMissingTheirJob(lanes: readonly WokenLane[]): Promise<number> {
    this.woken.push([...lanes]);
    return lanes.filter((lane) => !this.jobsInRedis.has(lane.activation)).length;
  }
}

class FakeLanes implements Pick<LaneRepository, 'stuckLanes'> {
  readonly asked: Array<[number, number]> = [];
  constructor(private readonly stuck: WokenLane[] = []) {}
  async stuckLanes(graceMs: number, limit: number): Promise<WokenLane[]> {
    this.asked.push([graceMs, limit]);
    return this.stuck;
  }
}

const CONFIG = { relayIntervalMs: 5_000, relayGraceMs: 30_000 } as DispatcherConfig;

function relayWith(parts: {
  connection?: FakeConnection;
  queue?: FakeQueue;
  lanes?: FakeLanes;
  metrics?: Metrics;
  registry?: SchedulerRegistry;
}) {
  const connection = parts.connection ?? new FakeConnection(true, []);
  const queue = parts.queue ?? new FakeQueue();
  const lanes = parts.lanes ?? new FakeLanes();
  const metrics = parts.metrics ?? new Metrics();
  const dataSource = { createQueryRunner: () => connection as unknown as QueryRunner };
  const relay = new OutboxRelay(
    dataSource as unknown as DataSource,
    queue as unknown as DeliveryEnqueuer,
    lanes as unknown as LaneRepository,
    metrics,
    parts.registry ?? new SchedulerRegistry(),
    CONFIG,
  );
  return { relay, connection, queue, lanes, metrics };
}

async function counterValue(metrics: Metrics, name: string, labels: Record<string, string> = {}) {
  const metric = await metrics.registry.getSingleMetric(name)?.get();
  return (
    metric?.values.find((value) => Object.entries(labels).every(([k, v]) => value.labels[k] === v))?.value ??
    0
  );
}

const lane = (webhookId: string, activation: string): WokenLane => ({
  webhookId,
  kind: 'REALTIME',
  activation,
});

describe('OutboxRelay.relayOnce', () => {
  it('re-queues the open deliveries past the grace period whose job is gone, and counts only those', async () => {
    const { relay, connection, queue, metrics } = relayWith({
      connection: new FakeConnection(true, ['d-1', 'd-2', 'd-3']),
      queue: new FakeQueue(new Set(['d-2'])),
    });

    expect(await relay.relayOnce()).toBe(2);

    expect(queue.enqueued).toEqual([['d-1', 'd-2', 'd-3']]);
    expect(await counterValue(metrics, 'lmsw_relay_requeued_total')).toBe(2);
    // Under the relay's own lock, in one transaction, with the configured grace period.
    expect(connection.statements[0]).toEqual({
      sql: 'SELECT pg_try_advisory_xact_lock($1) AS locked',
      parameters: [ADVISORY_LOCK.OUTBOX_RELAY],
    });
    expect(connection.statements[1].sql).toMatch(/status IN \('PENDING', 'RETRYING'\)/);
    expect(connection.statements[1].parameters).toEqual([30_000]);
    expect(connection.ended).toEqual(['commit', 'release']);
  });

  it('asks nothing of the queue when no delivery is overdue', async () => {
    const { relay, queue, metrics } = relayWith({});

    expect(await relay.relayOnce()).toBe(0);

    expect(queue.enqueued).toEqual([]);
    expect(await counterValue(metrics, 'lmsw_relay_requeued_total')).toBe(0);
  });

  it('wakes the busy lanes that have not moved for the grace period and have no wake-up job', async () => {
    const stuck = [lane('w-1', 'tx-1'), lane('w-2', 'tx-2')];
    const { relay, queue, lanes, metrics } = relayWith({
      connection: new FakeConnection(true, ['d-1']),
      queue: new FakeQueue(new Set(['tx-2'])),
      lanes: new FakeLanes(stuck),
    });

    expect(await relay.relayOnce()).toBe(2); // one delivery and one lane

    expect(lanes.asked).toEqual([[30_000, 5_000]]);
    expect(queue.woken).toEqual([stuck]);
    expect(await counterValue(metrics, 'lmsw_lane_wakeups_total', { source: 'relay' })).toBe(1);
  });

  it('does nothing and answers null while another replica holds the lock', async () => {
    const { relay, connection, queue, lanes } = relayWith({
      connection: new FakeConnection(false, ['d-1']),
      lanes: new FakeLanes([lane('w-1', 'tx-1')]),
    });

    expect(await relay.relayOnce()).toBeNull();

    expect(connection.statements).toHaveLength(1);
    expect(queue.enqueued).toEqual([]);
    expect(queue.woken).toEqual([]);
    expect(lanes.asked).toEqual([]);
  });

  it('rolls back and fails the pass when Redis refuses, so the next pass tries again', async () => {
    const refused = new Error('Connection is closed.');
    const { relay, connection, metrics } = relayWith({
      connection: new FakeConnection(true, ['d-1']),
      queue: new FakeQueue(new Set(), refused),
    });

    await expect(relay.relayOnce()).rejects.toBe(refused);

    expect(connection.ended).toEqual(['rollback', 'release']);
    expect(await counterValue(metrics, 'lmsw_relay_requeued_total')).toBe(0);
  });
});

describe('OutboxRelay schedule', () => {
  afterEach(() => jest.useRealTimers());

  it('runs a pass every RELAY_INTERVAL_MS from boot, and none after the module is destroyed', async () => {
    jest.useFakeTimers();
    const registry = new SchedulerRegistry();
    const { relay } = relayWith({ registry });
    const passes = jest.spyOn(relay, 'relayOnce');

    relay.onApplicationBootstrap();
    await jest.advanceTimersByTimeAsync(4_999);
    expect(passes).toHaveBeenCalledTimes(0);
    await jest.advanceTimersByTimeAsync(1);
    expect(passes).toHaveBeenCalledTimes(1);
    await jest.advanceTimersByTimeAsync(5_000);
    expect(passes).toHaveBeenCalledTimes(2);

    await relay.onModuleDestroy();
    expect(jest.getTimerCount()).toBe(0);
    await jest.advanceTimersByTimeAsync(60_000);
    expect(passes).toHaveBeenCalledTimes(2);
  });
});
