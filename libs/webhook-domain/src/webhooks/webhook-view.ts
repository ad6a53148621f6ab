import type { Webhook, WebhookAuthType, WebhookStatus } from '../entities';
import type { LaneView } from '../lanes/lane-read-model';

/** A webhook as admins see it: never a password or a secret. */
export interface WebhookView {
  id: string;
  name: string;
  description: string | null;
  targetUrl: string;
  authentication: { type: WebhookAuthType; username?: string };
  events: string[];
  active: boolean;
  status: WebhookStatus;
  disabledReason: string | null;
  rateLimitPerSecond: number | null;
  maxInFlight: number;
  maxEventsPerRequest: number;
  traceContextHeaders: boolean;
  createdAt: Date;
  updatedAt: Date;
}

/** One webhook with the state of its lanes (GET /webhooks/:id). */
export interface WebhookDetailView extends WebhookView {
  lanes: LaneView[];
}

/** GET /webhooks: every webhook of the account with its lanes, and the account's webhook limit. */
export interface WebhookList {
  webhooks: WebhookDetailView[];
  maxWebhooksPerAccount: number;
}

export function toWebhookView(webhook: Webhook): WebhookView {
  return {
    id: webhook.id,
    name: webhook.name,
    description: webhook.description,
    targetUrl: webhook.targetUrl,
    authentication:
      webhook.authType === 'BASIC'
        ? { type: 'BASIC', username: webhook.basicUsername ?? '' }
        : { type: webhook.authType },
    events: webhook.events,
    active: webhook.status === 'ACTIVE',
    status: webhook.status,
    disabledReason: webhook.disabledReason,
    rateLimitPerSecond: webhook.rateLimitPerSecond,
    maxInFlight: webhook.maxInFlight,
    maxEventsPerRequest: webhook.maxEventsPerRequest,
    traceContextHeaders: webhook.traceContextHeaders,
    createdAt: webhook.createdAt,
    updatedAt: webhook.updatedAt,
  };
}
