import type { Webhook, WebhookAuthType, WebhookStatus } from '../entities';

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
  createdAt: Date;
  updatedAt: Date;
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
    createdAt: webhook.createdAt,
    updatedAt: webhook.updatedAt,
  };
}
