// The console's names for the admin API's shapes. Every one is a type generated from the server's
// OpenAPI document (admin-api.schema.ts, checked against /docs-json by test/console/api-types.e2e-spec.ts),
// so a changed DTO breaks the console's type-check instead of its pages.
import type * as Api from './admin-api.schema';

export type Webhook = Api.WebhookResponse;
export type WebhookDetail = Api.WebhookDetailResponse;
export type Lane = Api.LaneResponse;
export type EventType = Api.EventTypeResponse;
export type WebhookInput = Api.CreateWebhookDto;
export type WebhookChanges = Api.UpdateWebhookDto;
export type UnsavedWebhookTest = Api.TestUnsavedWebhookDto;
export type TestResult = Api.WebhookTestResponse;
export type DeliverySummary = Api.DeliverySummaryResponse;
export type DeliveryPage = Api.DeliveryPageResponse;
export type DeliveryDetail = Api.DeliveryDetailResponse;
export type Redelivery = Api.RedeliveryResponse;
export type ReplayResult = Api.ReplayResponse;
export type AuditEntry = Api.AuditEntryResponse;
export type SigningSecretFile = Api.SigningSecretResponse;

export type AuthenticationType = Api.WebhookAuthenticationDto['type'];
export type WebhookStatus = Webhook['status'];
export type DeliveryStatus = DeliverySummary['status'];
export type AuditAction = AuditEntry['action'];

export const DELIVERY_STATUSES = [
  'PENDING',
  'RETRYING',
  'SUCCEEDED',
  'DEAD',
  'CANCELLED',
] as const satisfies readonly DeliveryStatus[];

/** GET /webhooks: the webhooks with their lanes, and the account's limit (X-Webhook-Limit). */
export interface WebhookList {
  webhooks: WebhookDetail[];
  /** Undefined when the server did not say (an older admin API). */
  limit: number | undefined;
}
