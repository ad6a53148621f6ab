import { Inject, Injectable, OnApplicationBootstrap, OnApplicationShutdown } from '@nestjs/common';
import { SchedulerRegistry } from '@nestjs/schedule';
import { InjectDataSource } from '@nestjs/typeorm';
import type { DispatcherConfig } from '@lms/config';
import { Metrics } from '@lms/observability';
import {
  ADVISORY_LOCK,
  returnedRows,
  scheduleRunOnceJob,
  WebhookLifecycle,
  withAdvisoryLock,
  type RunOnceJob,
} from '@lms/webhook-domain';
import { DataSource } from 'typeorm';
import { DISPATCHER_CONFIG } from './dispatch-tokens';

const INTERVAL_NAME = 'auto-disable';

/**
 * Disables webhooks that have failed for longer than autoDisableAfterMs without one success since
 * (failing_since is cleared by any success). Runs on every replica on an interval; the advisory lock
 * makes one of them do it.
 */
@Injectable()
export class AutoDisableScheduler implements OnApplicationBootstrap, OnApplicationShutdown {
  private job?: RunOnceJob;

  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    @Inject(DISPATCHER_CONFIG) private readonly config: DispatcherConfig,
    private readonly lifecycle: WebhookLifecycle,
    private readonly schedulerRegistry: SchedulerRegistry,
    private readonly metrics: Metrics,
  ) {}

  onApplicationBootstrap(): void {
    this.job = scheduleRunOnceJob(
      this.schedulerRegistry,
      INTERVAL_NAME,
      { everyMs: this.config.autoDisableCheckIntervalMs },
      () => this.runOnce(),
    );
  }

  async onApplicationShutdown(): Promise<void> {
    await this.job?.stop();
  }

  /** The webhook ids disabled by this run (empty when another replica holds the lock). */
  async runOnce(): Promise<string[]> {
    const disabled = await withAdvisoryLock(this.dataSource, ADVISORY_LOCK.AUTO_DISABLE, async (runner) => {
      const due = returnedRows<{ id: string }>(
        await runner.query(
          `SELECT id FROM webhooks
          WHERE status = 'ACTIVE' AND deleted_at IS NULL
            AND failing_since < now() - make_interval(secs => $1::double precision / 1000)
          ORDER BY id FOR UPDATE`,
          [this.config.autoDisableAfterMs],
        ),
      );
      if (due.length === 0) return [];
      return this.lifecycle.disable(runner.manager, {
        webhookIds: due.map((row) => row.id),
        action: 'AUTO_DISABLED',
        reason: `No successful delivery for ${Math.round(this.config.autoDisableAfterMs / 1000)} s`,
      });
    });
    if (disabled === null) return [];
    if (disabled.length > 0) this.metrics.webhooksDisabled.inc({ reason: 'auto_disabled' }, disabled.length);
    return disabled;
  }
}
