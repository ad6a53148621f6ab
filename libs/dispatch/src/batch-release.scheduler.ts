import { InjectQueue } from '@nestjs/bull';
import { Inject, Injectable, Logger, OnApplicationBootstrap, OnApplicationShutdown } from '@nestjs/common';
import { SchedulerRegistry } from '@nestjs/schedule';
import type { DispatcherConfig } from '@lms/config';
import { Metrics } from '@lms/observability';
import { DELIVERY_QUEUE, enqueueLaneWakeUps } from '@lms/queue-contract';
import { LaneRepository } from '@lms/webhook-domain';
import type { Queue } from 'bull';
import { CronJob } from 'cron';
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
  private running?: Promise<ReleaseResult>;

  constructor(
    private readonly lanes: LaneRepository,
    @InjectQueue(DELIVERY_QUEUE) private readonly queue: Queue,
    @Inject(DISPATCHER_CONFIG) private readonly config: DispatcherConfig,
    private readonly schedulerRegistry: SchedulerRegistry,
    private readonly metrics: Metrics,
  ) {}

  onApplicationBootstrap(): void {
    // The expression is configuration, so the job is registered here rather than with @Cron.
    const job = CronJob.from({
      cronTime: this.config.batchCron,
      onTick: () => {
        this.releaseAll().catch((error: Error) =>
          this.logger.error(`batch release failed: ${error.message}`),
        );
      },
      start: true,
    });
    this.schedulerRegistry.addCronJob(CRON_NAME, job);
  }

  async onApplicationShutdown(): Promise<void> {
    if (this.schedulerRegistry.doesExist('cron', CRON_NAME)) this.schedulerRegistry.deleteCronJob(CRON_NAME);
    await this.running?.catch(() => undefined);
  }

  /** One release at a time per replica; a tick that lands during a release joins it. */
  releaseAll(): Promise<ReleaseResult> {
    this.running ??= this.release().finally(() => (this.running = undefined));
    return this.running;
  }

  private async release(): Promise<ReleaseResult> {
    const released = await this.lanes.releaseBatchLanes();
    if (released === null) return { events: 0, lanes: 0, lockedOut: true };
    await enqueueLaneWakeUps(this.queue, released.woken);
    this.metrics.laneWakeUps.inc({ source: 'release' }, released.woken.length);
    if (released.released > 0)
      this.logger.log(`released ${released.released} non-real-time events to ${released.woken.length} lanes`);
    return { events: released.released, lanes: released.woken.length, lockedOut: false };
  }
}
