import { InjectQueue } from '@nestjs/bull';
import {
  BeforeApplicationShutdown,
  Inject,
  Injectable,
  Logger,
  OnApplicationBootstrap,
} from '@nestjs/common';
import type { DispatcherConfig } from '@lms/config';
import { Metrics } from '@lms/observability';
import { ADVANCE_LANE_JOB, DELIVER_JOB, DELIVERY_QUEUE } from '@lms/queue-contract';
import { LaneReadModel } from '@lms/webhook-domain';
import type { Queue } from 'bull';
import { DeliveryJobHandler, DELIVERY_JOB_HANDLERS } from './delivery-job-handler';
import { DeliveryOutcomeWriter } from './delivery-outcome-writer';
import { DISPATCHER_CONFIG } from './dispatch-tokens';

const QUEUE_DEPTH_SAMPLE_MS = 5_000;
/** Bull's name for a processor that takes jobs of every name. */
const ANY_JOB_NAME = '*';

/** Every job name the delivery queue carries; each needs exactly one handler. */
export const DELIVERY_QUEUE_JOB_NAMES: readonly string[] = [DELIVER_JOB, ADVANCE_LANE_JOB];

/** Wiring check (STYLE §6): a job name with no handler or two is a boot error, not a silent stall. */
export function assertOneHandlerPerJob(
  jobNames: readonly string[],
  handlers: readonly DeliveryJobHandler[],
): void {
  for (const name of jobNames) {
    const count = handlers.filter((handler) => handler.jobName === name).length;
    if (count !== 1)
      throw new Error(`delivery queue job "${name}" has ${count} handlers; exactly one is required`);
  }
  const unknown = handlers.filter((handler) => !jobNames.includes(handler.jobName));
  if (unknown.length > 0)
    throw new Error(`handlers for unknown job names: ${unknown.map((h) => h.jobName).join(', ')}`);
}

/**
 * Takes jobs from the delivery queue with the configured concurrency, and on shutdown stops taking
 * them and lets the running ones finish (bounded by shutdownGraceMs). Whatever is still running after
 * that keeps its Bull lock until it expires, then another replica's stalled check takes it over.
 */
@Injectable()
export class DeliveryQueueWorker implements OnApplicationBootstrap, BeforeApplicationShutdown {
  private readonly logger = new Logger(DeliveryQueueWorker.name);
  private active = 0;
  private depthTimer?: NodeJS.Timeout;

  constructor(
    @InjectQueue(DELIVERY_QUEUE) private readonly queue: Queue,
    @Inject(DELIVERY_JOB_HANDLERS) private readonly handlers: DeliveryJobHandler[],
    @Inject(DISPATCHER_CONFIG) private readonly config: DispatcherConfig,
    private readonly writer: DeliveryOutcomeWriter,
    private readonly lanes: LaneReadModel,
    private readonly metrics: Metrics,
  ) {
    assertOneHandlerPerJob(DELIVERY_QUEUE_JOB_NAMES, handlers);
  }

  onApplicationBootstrap(): void {
    const handlerFor = new Map(this.handlers.map((handler) => [handler.jobName, handler]));
    // One processor for every job name: Bull adds up the concurrency of named processors, so one per
    // name would run (number of names) × DISPATCH_CONCURRENCY jobs at once.
    // Bull starts its loop inside process(); the returned promise only settles when the queue closes.
    void this.queue
      .process(ANY_JOB_NAME, this.config.concurrency, async (job) => {
        const handler = handlerFor.get(job.name);
        if (!handler) throw new Error(`delivery queue job "${job.name}" has no handler`);
        this.active += 1;
        this.metrics.activeJobs.set(this.active);
        try {
          return await handler.handle(job);
        } finally {
          this.active -= 1;
          this.metrics.activeJobs.set(this.active);
        }
      })
      .catch((error: Error) => this.logger.error(`queue processing stopped: ${error.message}`));
    this.queue.on('error', (error) => this.logger.error(`queue error: ${error.message}`));
    // Queue depth and lane backlog for /metrics: a backlog (waiting, released events) or a wall of retries
    // (delayed, blocked lanes) is what an operator watches.
    this.depthTimer = setInterval(() => void this.sampleQueueDepth(), QUEUE_DEPTH_SAMPLE_MS).unref();
  }

  async sampleQueueDepth(): Promise<void> {
    try {
      const counts = await this.queue.getJobCounts();
      for (const state of ['waiting', 'delayed', 'active', 'failed'] as const) {
        this.metrics.queueJobs.set({ state }, counts[state]);
      }
      const lanes = await this.lanes.gauges();
      this.metrics.lanePendingEvents.set({ state: 'released' }, lanes.releasedEvents);
      this.metrics.lanePendingEvents.set({ state: 'held' }, lanes.heldEvents);
      this.metrics.blockedLanes.set(lanes.blockedLanes);
    } catch (error) {
      this.logger.debug(`queue depth sample failed: ${(error as Error).message}`);
    }
  }

  get activeJobs(): number {
    return this.active;
  }

  async beforeApplicationShutdown(): Promise<void> {
    clearInterval(this.depthTimer);
    // pause(true) = this replica only; it resolves once the jobs it is running have finished.
    const drained = this.queue.pause(true).then(() => true);
    const timedOut = new Promise<boolean>((resolve) =>
      setTimeout(() => resolve(false), this.config.shutdownGraceMs).unref(),
    );
    const finished = await Promise.race([drained, timedOut]);
    await this.writer.onApplicationShutdown();
    if (!finished)
      this.logger.warn(
        `shutdown grace elapsed with ${this.active} deliveries in flight; they will be taken over`,
      );
  }
}
