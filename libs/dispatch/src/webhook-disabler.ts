import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { Metrics } from '@lms/observability';
import { WebhookLifecycle } from '@lms/webhook-domain';
import { DataSource } from 'typeorm';
import { inTransaction } from '@lms/webhook-domain';

/**
 * What the dispatcher does to a webhook on its own, through the domain's WebhookLifecycle (the one way
 * out of service), counted on /metrics.
 */
@Injectable()
export class WebhookDisabler {
  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    private readonly lifecycle: WebhookLifecycle,
    private readonly metrics: Metrics,
  ) {}

  /** The receiver answered 410 Gone: the webhook is DISABLED. Returns whether this call disabled it. */
  async disableByReceiver(webhookId: string, deliveryId: string): Promise<boolean> {
    const disabled = await inTransaction(this.dataSource, (runner) =>
      this.lifecycle.disable(runner.manager, {
        webhookIds: [webhookId],
        action: 'DISABLED_BY_RECEIVER',
        reason: 'The receiver answered 410 Gone',
        details: { deliveryId, statusCode: 410 },
      }),
    );
    if (disabled.length > 0) this.metrics.webhooksDisabled.inc({ reason: 'receiver_gone' });
    return disabled.length > 0;
  }

  /** A delivery whose webhook left service before its turn: cancelled, not sent. */
  cancelDeliveryOfInactiveWebhook(deliveryId: string): Promise<void> {
    return this.lifecycle.cancelDeliveryOfInactiveWebhook(deliveryId);
  }
}
