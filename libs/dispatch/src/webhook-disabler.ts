import { Injectable, Logger } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { Metrics } from '@lms/observability';
import { LaneRepository } from '@lms/webhook-domain';
import { DataSource, QueryRunner } from 'typeorm';
import { inTransaction, sqlRows } from './sql-rows';

export type DisableAction = 'DISABLED_BY_RECEIVER' | 'AUTO_DISABLED';

export const SYSTEM_ACTOR = 'system';
export const CANCELLED_BY_WEBHOOK_DISABLED = 'system:webhook-disabled';
export const CANCELLED_BY_WEBHOOK_INACTIVE = 'system:webhook-inactive';

/**
 * The platform disabling a webhook on its own: status DISABLED with a reason, an audit_log row by
 * `system`, and its other waiting deliveries cancelled (they would only fail the same way).
 */
@Injectable()
export class WebhookDisabler {
  private readonly logger = new Logger(WebhookDisabler.name);

  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    private readonly lanes: LaneRepository,
    private readonly metrics: Metrics,
  ) {}

  async disableByReceiver(webhookId: string, deliveryId: string): Promise<boolean> {
    const disabled = await inTransaction(this.dataSource, (runner) =>
      this.disable(runner, {
        webhookIds: [webhookId],
        action: 'DISABLED_BY_RECEIVER',
        reason: 'The receiver answered 410 Gone',
        details: { deliveryId, statusCode: 410 },
      }),
    );
    if (disabled.length > 0) this.metrics.webhooksDisabled.inc({ reason: 'receiver_gone' });
    return disabled.length > 0;
  }

  /** Disables ACTIVE webhooks among `webhookIds` (in the caller's transaction); returns those it changed. */
  async disable(
    runner: QueryRunner,
    input: { webhookIds: string[]; action: DisableAction; reason: string; details?: Record<string, unknown> },
  ): Promise<string[]> {
    const changed = await sqlRows<{ id: string; account_id: string; failing_since: Date | null }>(
      runner,
      `UPDATE webhooks SET status = 'DISABLED', disabled_reason = $2, updated_at = now()
        WHERE id = ANY($1::uuid[]) AND status = 'ACTIVE' AND deleted_at IS NULL
       RETURNING id, account_id, failing_since`,
      [input.webhookIds, input.reason],
    );
    if (changed.length === 0) return [];
    await runner.query(
      `INSERT INTO audit_log (account_id, webhook_id, actor, action, details)
       SELECT account_id, webhook_id, $3, $4, details
         FROM unnest($1::bigint[], $2::uuid[], $5::jsonb[]) AS t(account_id, webhook_id, details)`,
      [
        changed.map((row) => row.account_id),
        changed.map((row) => row.id),
        SYSTEM_ACTOR,
        input.action,
        changed.map((row) =>
          JSON.stringify({ reason: input.reason, failingSince: row.failing_since, ...input.details }),
        ),
      ],
    );
    await this.cancelOpenDeliveries(
      runner,
      changed.map((row) => row.id),
      CANCELLED_BY_WEBHOOK_DISABLED,
    );
    // The events waiting in its lanes go too, as when an admin retires a webhook.
    await this.lanes.dropPending(
      runner.manager,
      changed.map((row) => row.id),
    );
    for (const row of changed) {
      this.logger.warn({
        msg: `webhook disabled: ${input.reason}`,
        webhookId: row.id,
        accountId: Number(row.account_id),
      });
    }
    return changed.map((row) => row.id);
  }

  cancelOpenDeliveries(runner: QueryRunner, webhookIds: string[], cancelledBy: string): Promise<number> {
    return this.lanes.cancelOpenDeliveries(runner.manager, webhookIds, cancelledBy);
  }

  /** One delivery whose webhook is no longer active: cancelled, not sent. */
  cancelDelivery(deliveryId: string, cancelledBy: string): Promise<void> {
    return this.lanes.cancelDelivery(deliveryId, cancelledBy);
  }
}
