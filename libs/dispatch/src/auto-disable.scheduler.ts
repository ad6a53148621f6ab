import { Inject, Injectable, Logger, OnApplicationBootstrap, OnApplicationShutdown } from '@nestjs/common';
import { SchedulerRegistry } from '@nestjs/schedule';
import { InjectDataSource } from '@nestjs/typeorm';
import type { DispatcherConfig } from '@lms/config';
import { Metrics } from '@lms/observability';
import { ADVISORY_LOCK } from '@lms/webhook-domain';
import { DataSource } from 'typeorm';
import { DISPATCHER_CONFIG } from './dispatch-tokens';
import { inTransaction, sqlRows } from './sql-rows';
import { WebhookDisabler } from './webhook-disabler';

const INTERVAL_NAME = 'auto-disable';

/**
 * Disables webhooks that have failed for longer than autoDisableAfterMs without one success since
 * (failing_since is cleared by any success). Runs on every replica on an interval; the advisory lock
 * makes one of them do it.
 */
@Injectable()
export class AutoDisableScheduler implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger(AutoDisableScheduler.name);

  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    @Inject(DISPATCHER_CONFIG) private readonly config: DispatcherConfig,
    private readonly disabler: WebhookDisabler,
    private readonly schedulerRegistry: SchedulerRegistry,
    private readonly metrics: Metrics,
  ) {}

  onApplicationBootstrap(): void {
    const timer = setInterval(() => {
      this.runOnce().catch((error: Error) =>
        this.logger.error(`auto-disable check failed: ${error.message}`),
      );
    }, this.config.autoDisableCheckIntervalMs);
    this.schedulerRegistry.addInterval(INTERVAL_NAME, timer);
  }

  onApplicationShutdown(): void {
    if (this.schedulerRegistry.doesExist('interval', INTERVAL_NAME))
      this.schedulerRegistry.deleteInterval(INTERVAL_NAME);
  }

  /** The webhook ids disabled by this run (empty when another replica holds the lock). */
  async runOnce(): Promise<string[]> {
    const disabled = await inTransaction(this.dataSource, async (runner) => {
      const [lock] = await sqlRows<{ locked: boolean }>(
        runner,
        'SELECT pg_try_advisory_xact_lock($1) AS locked',
        [ADVISORY_LOCK.AUTO_DISABLE],
      );
      if (!lock.locked) return [];
      const due = await sqlRows<{ id: string }>(
        runner,
        `SELECT id FROM webhooks
          WHERE status = 'ACTIVE' AND deleted_at IS NULL
            AND failing_since < now() - make_interval(secs => $1::double precision / 1000)
          ORDER BY id FOR UPDATE`,
        [this.config.autoDisableAfterMs],
      );
      if (due.length === 0) return [];
      return this.disabler.disable(runner, {
        webhookIds: due.map((row) => row.id),
        action: 'AUTO_DISABLED',
        reason: `No successful delivery for ${Math.round(this.config.autoDisableAfterMs / 1000)} s`,
      });
    });
    if (disabled.length > 0) this.metrics.webhooksDisabled.inc({ reason: 'auto_disabled' }, disabled.length);
    return disabled;
  }
}
