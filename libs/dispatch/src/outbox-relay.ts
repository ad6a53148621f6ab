import type { DispatcherConfig } from '@lms/config';
import { Metrics } from '@lms/observability';
import {
  ADVISORY_LOCK,
  LaneRepository,
  OPEN_DELIVERY_STATUSES_SQL,
  returnedRows,
  scheduleRunOnceJob,
  withAdvisoryLock,
  type RunOnceJob,
} from '@lms/webhook-domain';
import { Inject, Injectable, Logger, OnApplicationBootstrap, OnModuleDestroy } from '@nestjs/common';
import { SchedulerRegistry } from '@nestjs/schedule';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import { DeliveryEnqueuer } from './delivery-enqueuer';
import { DISPATCHER_CONFIG } from './dispatch-tokens';

const MAX_DELIVERIES_PER_RUN = 5000;
const MAX_LANES_PER_RUN = 5000;

/**
 * Closes the gap between "committed" and "queued": a crash between the two, a failed addBulk or a
 * flushed Redis leaves open deliveries with no job, or busy lanes with no wake-up. Every interval, the
 * replica holding the advisory lock re-queues open deliveries that were due longer ago than the grace
 * period, and the wake-up of busy lanes that have no open delivery and have not moved for as long.
 * Job id = delivery id (or lane activation) makes a re-queue of work that still has its job a no-op,
 * and the dispatcher ignores jobs whose delivery is no longer open; an extra lane wake-up only finds
 * nothing to do. It runs in the dispatcher, whose rows these are (one holder across replicas: the
 * transaction-scoped advisory lock); the dispatchers' 2 s lane sweep usually acts first, and this is
 * the slower net behind it (and behind a dispatcher whose requests went to Bull and were lost there).
 */
@Injectable()
export class OutboxRelay implements OnApplicationBootstrap, OnModuleDestroy {
  private readonly logger = new Logger(OutboxRelay.name);
  private job?: RunOnceJob;

  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    private readonly enqueuer: DeliveryEnqueuer,
    private readonly lanes: LaneRepository,
    private readonly metrics: Metrics,
    private readonly schedulerRegistry: SchedulerRegistry,
    @Inject(DISPATCHER_CONFIG) private readonly config: DispatcherConfig,
  ) {}

  onApplicationBootstrap(): void {
    this.job = scheduleRunOnceJob(
      this.schedulerRegistry,
      'outbox-relay',
      { everyMs: this.config.relayIntervalMs },
      () => this.relayOnce(),
    );
  }

  async onModuleDestroy(): Promise<void> {
    await this.job?.stop();
  }

  /**
   * One relay pass. Answers how many deliveries were queued, or null when another replica holds the
   * lock. The transaction-scoped lock is released by the commit, even if this process dies mid-run.
   */
  async relayOnce(): Promise<number | null> {
    return withAdvisoryLock(this.dataSource, ADVISORY_LOCK.OUTBOX_RELAY, async (runner) => {
      const rows = returnedRows<{ id: string }>(
        await runner.query(
          `SELECT id FROM deliveries
          WHERE status IN ${OPEN_DELIVERY_STATUSES_SQL} AND next_attempt_at < now() - make_interval(secs => $1::double precision / 1000)
            -- a request a live dispatcher is sending from memory has no job, and needs none
            AND lane_request_orphaned(driven_by, updated_at, ARRAY(SELECT lane_live_drivers()))
          ORDER BY next_attempt_at
          LIMIT ${MAX_DELIVERIES_PER_RUN}`,
          [this.config.relayGraceMs],
        ),
      );
      const requeued = rows.length === 0 ? 0 : await this.enqueuer.enqueueMissing(rows.map((row) => row.id));
      if (requeued > 0) {
        this.metrics.relayRequeued.inc(requeued);
        this.logger.warn({ msg: `re-queued ${requeued} deliveries that had no job`, requeued });
      }
      const stuck = await this.lanes.stuckLanes(this.config.relayGraceMs, MAX_LANES_PER_RUN);
      const woken = await this.enqueuer.wakeLanesMissingTheirJob(stuck);
      if (woken > 0) {
        this.metrics.laneWakeUps.inc({ source: 'relay' }, woken);
        this.logger.warn({
          msg: `re-queued the wake-up of ${woken} busy lanes that had no job`,
          lanes: woken,
        });
      }
      return requeued + woken;
    });
  }
}
