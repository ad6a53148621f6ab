import { Inject, Injectable, Logger, OnApplicationBootstrap, OnApplicationShutdown } from '@nestjs/common';
import { SchedulerRegistry } from '@nestjs/schedule';
import { InjectDataSource } from '@nestjs/typeorm';
import type { DispatcherConfig } from '@lms/config';
import { Metrics } from '@lms/observability';
import {
  ADVISORY_LOCK,
  LaneAppendRepository,
  scheduleRunOnceJob,
  withAdvisoryLock,
  type RunOnceJob,
} from '@lms/webhook-domain';
import { DataSource } from 'typeorm';
import { DISPATCHER_CONFIG } from './dispatch-tokens';

export interface ReleaseResult {
  /** Non-real-time events released to their lanes. */
  events: number;
  /** BATCH lanes this release woke (each announced on lmsw_lane_wake by the release's commit). */
  lanes: number;
  /** Another replica held the release lock, so this one did nothing. */
  lockedOut: boolean;
}

const CRON_NAME = 'batch-release';

/**
 * On BATCH_CRON, releases every webhook's waiting non-real-time events: one statement under the
 * release advisory lock (one releaser across replicas) marks them released and wakes their BATCH
 * lanes, which then drain like real-time lanes: in order, in requests of up to BATCH_MAX_EVENTS.
 * The release's own commit announces the woken lanes (LaneAppendRepository, channel lmsw_lane_wake) and
 * their owners claim them; no queue job. With no dispatcher listening, the dispatchers' lane sweep
 * (every 2 s) claims busy lanes nobody moves: that is the net, not a job queued here.
 */
@Injectable()
export class BatchReleaseScheduler implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger(BatchReleaseScheduler.name);
  private job?: RunOnceJob;

  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    private readonly lanes: LaneAppendRepository,
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
    this.metrics.laneWakeUps.inc({ source: 'release' }, released.woken.length);
    if (released.released > 0)
      this.logger.log(`released ${released.released} non-real-time events to ${released.woken.length} lanes`);
    return { events: released.released, lanes: released.woken.length, lockedOut: false };
  }
}
