import { DomainError } from '../errors/domain-error';
import { assertActor, assertId, type AdminActor } from '../webhooks/webhook-commands';

/** Sends a finished delivery's events again, appended to the end of its webhook's lane. */
export class RedeliverCommand {
  readonly actor: AdminActor;
  readonly deliveryId: string;

  private constructor(fields: { actor: AdminActor; deliveryId: string }) {
    this.actor = fields.actor;
    this.deliveryId = fields.deliveryId;
  }

  static create(fields: { actor: AdminActor; deliveryId: string }): RedeliverCommand {
    assertActor(fields.actor);
    assertId('deliveryId', fields.deliveryId);
    return new RedeliverCommand(fields);
  }
}

/**
 * Re-sends the account's subscribed events of [fromMs, toMs] (event time, inclusive) to one webhook.
 * The range is checked here, once: a command that exists has from <= to.
 */
export class ReplayCommand {
  readonly actor: AdminActor;
  readonly webhookId: string;
  readonly fromMs: number;
  readonly toMs: number;

  private constructor(fields: { actor: AdminActor; webhookId: string; fromMs: number; toMs: number }) {
    this.actor = fields.actor;
    this.webhookId = fields.webhookId;
    this.fromMs = fields.fromMs;
    this.toMs = fields.toMs;
  }

  static create(fields: {
    actor: AdminActor;
    webhookId: string;
    fromMs: number;
    toMs: number;
  }): ReplayCommand {
    assertActor(fields.actor);
    assertId('webhookId', fields.webhookId);
    if (!Number.isSafeInteger(fields.fromMs)) throw DomainError.invalidField('from', 'must be an instant');
    if (!Number.isSafeInteger(fields.toMs)) throw DomainError.invalidField('to', 'must be an instant');
    if (fields.fromMs > fields.toMs) throw DomainError.invalidField('from', 'must not be after to');
    return new ReplayCommand(fields);
  }
}
