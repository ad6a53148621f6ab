import { AuditLogEntry } from './audit-log-entry.entity';
import { DeliveryAttempt } from './delivery-attempt.entity';
import { Delivery } from './delivery.entity';
import { LmsEventRecord } from './lms-event-record.entity';
import { WebhookSecret } from './webhook-secret.entity';
import { Webhook } from './webhook.entity';

export * from './audit-log-entry.entity';
export * from './delivery-attempt.entity';
export * from './delivery.entity';
export * from './lms-event-record.entity';
export * from './webhook-secret.entity';
export * from './webhook.entity';

/** Listed, not globbed: bundled builds have no entity folder to scan. */
export const WEBHOOK_DOMAIN_ENTITIES = [
  Webhook,
  WebhookSecret,
  LmsEventRecord,
  Delivery,
  DeliveryAttempt,
  AuditLogEntry,
];
