import { Injectable, OnModuleDestroy, OnModuleInit } from '@nestjs/common';
import type { WebhookCredentials } from '@lms/http-delivery';
import {
  ChangeFeedCache,
  WebhookChangeFeed,
  WebhookCredentialsReader,
  WebhookRepository,
  type WebhookStatus,
} from '@lms/webhook-domain';

/**
 * What a delivery needs of its webhook, credentials decrypted (every secret with its expiry: a
 * rotated-out one signs until it expires). Held in memory only, never logged.
 */
export interface WebhookTarget extends WebhookCredentials {
  id: string;
  accountId: number;
  targetUrl: string;
  status: WebhookStatus;
  deleted: boolean;
  rateLimitPerSecond: number | null;
  /** Its requests carry the attempt's `traceparent`/`tracestate` (when tracing is on). */
  traceContextHeaders: boolean;
}

/** A backstop if a notification is ever lost without the feed noticing. */
const MAX_AGE_MS = 60_000;
// Far above any fleet's webhook count: a bound, not a working limit.
const MAX_CACHED_WEBHOOKS = 100_000;

/**
 * Webhooks and their decrypted credentials, cached per replica: decrypting and querying per delivery
 * would cost more than the HTTP call. WebhookChangeFeed (a DB trigger on every webhook/secret write)
 * evicts an entry the moment anything about that webhook changes; concurrent jobs share one load.
 */
@Injectable()
export class WebhookTargetCache implements OnModuleInit, OnModuleDestroy {
  private readonly cache = new ChangeFeedCache<string, WebhookTarget | null>({
    keyOf: (change) => change.webhookId,
    ttlMs: MAX_AGE_MS,
    maxEntries: MAX_CACHED_WEBHOOKS,
  });
  private unsubscribe?: () => void;

  constructor(
    private readonly webhooks: WebhookRepository,
    private readonly credentials: WebhookCredentialsReader,
    private readonly changeFeed: WebhookChangeFeed,
  ) {}

  onModuleInit(): void {
    this.unsubscribe = this.cache.listenTo(this.changeFeed);
  }

  onModuleDestroy(): void {
    this.unsubscribe?.();
  }

  get(webhookId: string): Promise<WebhookTarget | null> {
    return this.cache.get(webhookId, (id) => this.load(id));
  }

  /** One query (the repository's) and one decryption per miss; the cache shares it among concurrent jobs. */
  private async load(webhookId: string): Promise<WebhookTarget | null> {
    const stored = await this.webhooks.findSendTarget(webhookId);
    if (!stored) return null;
    const { credentials, ...target } = stored;
    return { ...target, ...this.credentials.decrypt(credentials) };
  }
}
