import { InjectQueue } from '@nestjs/bull';
import { Inject, Injectable, Logger, OnApplicationBootstrap, OnApplicationShutdown } from '@nestjs/common';
import { SchedulerRegistry } from '@nestjs/schedule';
import { InjectDataSource } from '@nestjs/typeorm';
import type { DispatcherConfig } from '@lms/config';
import { Metrics } from '@lms/observability';
import { DELIVERY_QUEUE, enqueueDeliveries } from '@lms/queue-contract';
import { ADVISORY_LOCK } from '@lms/webhook-domain';
import type { Queue } from 'bull';
import { CronJob } from 'cron';
import { randomUUID } from 'node:crypto';
import { DataSource } from 'typeorm';
import { DISPATCHER_CONFIG } from './dispatch-tokens';
import { inTransaction, sqlRows, withConnection } from './sql-rows';

export interface FlushResult {
  deliveries: number;
  events: number;
  /** Another replica held the flush lock, so this one stopped. */
  lockedOut: boolean;
}

const CRON_NAME = 'batch-flush';

/**
 * Turns each webhook's waiting non-real-time events (batch_items) into BATCH deliveries of at most
 * batchMaxEvents, in event-time order. Each chunk is one transaction that takes the flush advisory lock,
 * takes its items FOR UPDATE SKIP LOCKED, creates the delivery and deletes the items: an event leaves
 * batch_items in the same commit that puts it in a delivery, so two replicas flushing at once can
 * never put one event in two deliveries. Jobs are queued after the commit (row before job).
 */
@Injectable()
export class BatchFlushScheduler implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger(BatchFlushScheduler.name);
  private running?: Promise<FlushResult>;

  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
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
        this.flushAll().catch((error: Error) => this.logger.error(`batch flush failed: ${error.message}`));
      },
      start: true,
    });
    this.schedulerRegistry.addCronJob(CRON_NAME, job);
  }

  async onApplicationShutdown(): Promise<void> {
    if (this.schedulerRegistry.doesExist('cron', CRON_NAME)) this.schedulerRegistry.deleteCronJob(CRON_NAME);
    await this.running?.catch(() => undefined);
  }

  /** One flush at a time per replica; a tick that lands during a flush joins it. */
  flushAll(): Promise<FlushResult> {
    this.running ??= this.flush().finally(() => (this.running = undefined));
    return this.running;
  }

  private async flush(): Promise<FlushResult> {
    const result: FlushResult = { deliveries: 0, events: 0, lockedOut: false };
    const webhooks = await withConnection(this.dataSource, (runner) =>
      sqlRows<{ webhook_id: string; account_id: string }>(
        runner,
        `SELECT w.id AS webhook_id, w.account_id FROM webhooks w
          WHERE w.status = 'ACTIVE' AND w.deleted_at IS NULL
            AND EXISTS (SELECT 1 FROM batch_items b WHERE b.webhook_id = w.id)`,
      ),
    );
    for (const webhook of webhooks) {
      for (;;) {
        const chunk = await this.flushChunk(webhook.webhook_id, Number(webhook.account_id));
        if (chunk === 'locked') return { ...result, lockedOut: true };
        if (chunk === null) break;
        result.deliveries += 1;
        result.events += chunk.events;
        await enqueueDeliveries(this.queue, [chunk.deliveryId]);
        this.metrics.batchFlushSize.observe(chunk.events);
        this.metrics.deliveriesCreated.inc({ kind: 'BATCH' });
        if (chunk.events < this.config.batchMaxEvents) break;
      }
    }
    if (result.deliveries > 0)
      this.logger.log(`flushed ${result.events} events into ${result.deliveries} batch deliveries`);
    return result;
  }

  private flushChunk(
    webhookId: string,
    accountId: number,
  ): Promise<{ deliveryId: string; events: number } | 'locked' | null> {
    return inTransaction(this.dataSource, async (runner) => {
      const [lock] = await sqlRows<{ locked: boolean }>(
        runner,
        'SELECT pg_try_advisory_xact_lock($1) AS locked',
        [ADVISORY_LOCK.BATCH_FLUSH],
      );
      if (!lock.locked) return 'locked';
      const items = await sqlRows<{ event_pk: string }>(
        runner,
        `SELECT b.event_pk FROM batch_items b
          WHERE b.webhook_id = $1
          ORDER BY b.occurred_at, b.event_pk
          LIMIT $2
          FOR UPDATE SKIP LOCKED`,
        [webhookId, this.config.batchMaxEvents],
      );
      if (items.length === 0) return null;
      const deliveryId = randomUUID();
      const eventPks = items.map((item) => item.event_pk);
      await runner.query(
        `INSERT INTO deliveries (id, webhook_id, account_id, kind, status, event_count)
         VALUES ($1, $2, $3, 'BATCH', 'PENDING', $4)`,
        [deliveryId, webhookId, accountId, items.length],
      );
      await runner.query(
        `INSERT INTO delivery_events (delivery_id, position, event_pk)
         SELECT $1, t.ordinality - 1, t.event_pk FROM unnest($2::bigint[]) WITH ORDINALITY AS t(event_pk, ordinality)`,
        [deliveryId, eventPks],
      );
      await runner.query(`DELETE FROM batch_items WHERE webhook_id = $1 AND event_pk = ANY($2::bigint[])`, [
        webhookId,
        eventPks,
      ]);
      return { deliveryId, events: items.length };
    });
  }
}
