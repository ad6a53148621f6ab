import { Inject, Injectable, Logger, Optional } from '@nestjs/common';
import type { EntityManager } from 'typeorm';
import type { Webhook, WebhookStatus } from '../entities';
import { LaneRepository } from '../lanes/lane.repository';
import type { AdminActor } from './webhook-commands';
import { WebhookRepository } from './webhook.repository';

/** The audit actor of what the platform does on its own (410, auto-disable). */
export const SYSTEM_ACTOR = 'system';
/** `cancelled_by` of the deliveries a disabled webhook still had open. */
export const CANCELLED_BY_WEBHOOK_DISABLED = 'system:webhook-disabled';
/** `cancelled_by` of a delivery whose webhook was out of service when its turn came. */
export const CANCELLED_BY_WEBHOOK_INACTIVE = 'system:webhook-inactive';

/** Why the platform takes a webhook out of service on its own. */
export type DisableAction = 'DISABLED_BY_RECEIVER' | 'AUTO_DISABLED';

/** Injection token for the lifecycle's clock (deletedAt, updatedAt): tests pass a fixed one. */
export const WEBHOOK_LIFECYCLE_CLOCK = Symbol('WEBHOOK_LIFECYCLE_CLOCK');
export type WebhookClock = () => Date;

/**
 * The one way a webhook leaves service, whoever takes it out: an admin retiring (active: false) or
 * deleting it, the receiver answering 410, or auto-disable. Each way sets the status, writes its
 * audit row, cancels the open deliveries (saying who cancelled them) and drops the events waiting in
 * its lanes, all in the caller's transaction, so a webhook is never half out of service.
 */
@Injectable()
export class WebhookLifecycle {
  private readonly logger = new Logger(WebhookLifecycle.name);

  constructor(
    private readonly webhooks: WebhookRepository,
    private readonly lanes: LaneRepository,
    @Optional() @Inject(WEBHOOK_LIFECYCLE_CLOCK) private readonly now: WebhookClock = () => new Date(),
  ) {}

  /**
   * An admin's `active: false` on a webhook locked by the caller. Its waiting work is cancelled even
   * when it was inactive already (a retry of the same PATCH cancels what slipped in); the status change
   * (from ACTIVE or DISABLED) is saved and audited as RETIRED. Returns whether the status changed.
   */
  async retire(manager: EntityManager, webhook: Webhook, actor: AdminActor): Promise<boolean> {
    await this.webhooks.cancelOpenWork(manager, [webhook.id], cancelledByAdmin(actor));
    const statusBefore: WebhookStatus = webhook.status;
    if (statusBefore === 'INACTIVE') return false;
    webhook.status = 'INACTIVE';
    webhook.updatedAt = this.now();
    await this.saveAudited(manager, webhook, actor, 'RETIRED', { from: statusBefore, to: webhook.status });
    return true;
  }

  /**
   * Soft delete of a webhook locked by the caller: the delivery history stays readable for retention,
   * the name becomes free, its credentials go and nothing more is sent.
   */
  async delete(manager: EntityManager, webhook: Webhook, actor: AdminActor): Promise<void> {
    const cancelled = await this.webhooks.cancelOpenWork(manager, [webhook.id], cancelledByAdmin(actor));
    await this.webhooks.deleteSecrets(manager, webhook.id);
    const statusBefore: WebhookStatus = webhook.status;
    webhook.status = 'INACTIVE';
    webhook.basicPasswordEnc = null;
    webhook.deletedAt = this.now();
    webhook.updatedAt = webhook.deletedAt;
    await this.saveAudited(manager, webhook, actor, 'DELETED', {
      name: webhook.name,
      statusBefore,
      cancelledDeliveries: cancelled,
    });
  }

  /**
   * The platform disabling webhooks on its own (410, auto-disable): the ACTIVE ones among `webhookIds`
   * become DISABLED with the reason, audited by `system`; their other waiting deliveries are cancelled
   * (they would only fail the same way). Returns the ids it disabled.
   */
  async disable(
    manager: EntityManager,
    input: { webhookIds: string[]; action: DisableAction; reason: string; details?: Record<string, unknown> },
  ): Promise<string[]> {
    const changed = await this.webhooks.disableActive(manager, input.webhookIds, input.reason);
    if (changed.length === 0) return [];
    await this.webhooks.auditMany(
      manager,
      changed.map((webhook) => ({
        accountId: webhook.accountId,
        webhookId: webhook.id,
        actor: SYSTEM_ACTOR,
        action: input.action,
        details: { reason: input.reason, failingSince: webhook.failingSince, ...input.details },
      })),
    );
    const ids = changed.map((webhook) => webhook.id);
    await this.webhooks.cancelOpenWork(manager, ids, CANCELLED_BY_WEBHOOK_DISABLED);
    for (const webhook of changed) {
      this.logger.warn({
        msg: `webhook disabled: ${input.reason}`,
        webhookId: webhook.id,
        accountId: webhook.accountId,
      });
    }
    return ids;
  }

  /**
   * A delivery whose turn came after its webhook left service (retired, deleted or disabled between
   * the claim and the send): cancelled, not sent.
   */
  cancelDeliveryOfInactiveWebhook(deliveryId: string): Promise<void> {
    return this.lanes.cancelDelivery(deliveryId, CANCELLED_BY_WEBHOOK_INACTIVE);
  }

  /** An admin's change of the webhook row and its audit row, together. */
  private async saveAudited(
    manager: EntityManager,
    webhook: Webhook,
    actor: AdminActor,
    action: 'RETIRED' | 'DELETED',
    details: Record<string, unknown>,
  ): Promise<void> {
    await this.webhooks.save(manager, webhook);
    await this.webhooks.audit(manager, {
      accountId: webhook.accountId,
      webhookId: webhook.id,
      actor: actor.sub,
      action,
      details,
    });
  }
}

function cancelledByAdmin(actor: AdminActor): string {
  return `admin:${actor.sub}`;
}
