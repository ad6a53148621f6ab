import { InjectQueue } from '@nestjs/bull';
import { Inject, Injectable, Logger, OnApplicationBootstrap, OnApplicationShutdown } from '@nestjs/common';
import { SchedulerRegistry } from '@nestjs/schedule';
import { InjectDataSource } from '@nestjs/typeorm';
import type { DispatcherConfig } from '@lms/config';
import { Metrics } from '@lms/observability';
import { DELIVERY_QUEUE, enqueueLaneWakeUps } from '@lms/queue-contract';
import {
  ADVISORY_LOCK,
  LaneRepository,
  scheduleRunOnceJob,
  withAdvisoryLock,
  type RunOnceJob,
} from '@lms/webhook-domain';
import type { Queue } from 'bull';
import { DataSource } from 'typeorm';
import { DISPATCHER_CONFIG } from './dispatch-tokens';

export interface ReleaseResult {
  /** Non-real-time events released to their lanes. */
  events: number;
  /** BATCH lanes this release woke (each got one wake-up). */
  lanes: number;
  /** Another replica held the release lock, so this one did nothing. */
  lockedOut: boolean;
}

const CRON_NAME = 'batch-release';

/**
 * On BATCH_CRON, releases every webhook's waiting non-real-time events: one statement under the
 * release advisory lock (one releaser across replicas) marks them released and wakes their BATCH
 * lanes, which then drain like real-time lanes: in order, in requests of up to BATCH_MAX_EVENTS.
 * Wake-ups are queued after the commit; a lost one is re-queued by the outbox relay.
 */
@Injectable()
export class BatchReleaseScheduler implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger(BatchReleaseScheduler.name);
  private job?: RunOnceJob;

  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    private readonly lanes: LaneRepository,
    @InjectQueue(DELIVERY_QUEUE) private readonly queue: Queue,
    @Inject(DISPATCHER_CONFIG) private readonly config: DispatcherConfig,
    private readonly schedulerRegistry: SchedulerRegistry,
    private readonly metrics: Metrics,
  ) {}

  onApplicationBootstrap(): void {
    this.job = scheduleRunOnceJob(this.schedulerRegistry, CRON_NAME, { cron: this.config.batchCron }, () =>
      this.releaseAll(),
    );
  }

  async onApplicationShutdown(): Promise<void> {
    await this.job?.stop();
  }

  /** One release: every held non-real-time event, under the release lock (one releaser across replicas). */
  async releaseAll(): Promise<ReleaseResult> {
    const released = await withAdvisoryLock(this.dataSource, ADVISORY_LOCK.BATCH_RELEASE, (runner) =>
      this.lanes.releaseBatchLanes(runner.manager),
    );
    if (released === null) return { events: 0, lanes: 0, lockedOut: true };
    await enqueueLaneWakeUps(this.queue, released.woken);
    this.metrics.laneWakeUps.inc({ source: 'release' }, released.woken.length);
    if (released.released > 0)
      this.logger.log(`released ${released.released} non-real-time events to ${released.woken.length} lanes`);
    return { events: released.released, lanes: released.woken.length, lockedOut: false };
  }
}
