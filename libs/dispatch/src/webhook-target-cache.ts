import { Injectable, OnModuleDestroy, OnModuleInit } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import type { WebhookCredentials } from '@lms/http-delivery';
import {
  ChangeFeedCache,
  WebhookChangeFeed,
  WebhookCredentialsReader,
  type WebhookStatus,
} from '@lms/webhook-domain';
import { DataSource } from 'typeorm';
import { sqlRows, withConnection } from './sql-rows';

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
}

interface WebhookRow {
  id: string;
  account_id: string;
  target_url: string;
  status: WebhookStatus;
  deleted_at: Date | null;
  rate_limit_per_second: number | null;
  auth_type: WebhookTarget['authType'];
  basic_username: string | null;
  basic_password_enc: string | null;
  secrets: Array<{ secret_enc: string; expires_at: string | null }> | null;
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
    @InjectDataSource() private readonly dataSource: DataSource,
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

  private async load(webhookId: string): Promise<WebhookTarget | null> {
    const [row] = await withConnection(this.dataSource, (runner) =>
      sqlRows<WebhookRow>(
        runner,
        `SELECT w.id, w.account_id, w.target_url, w.status, w.deleted_at, w.rate_limit_per_second, w.auth_type,
                w.basic_username, w.basic_password_enc,
                (SELECT json_agg(json_build_object('secret_enc', s.secret_enc, 'expires_at', s.expires_at)
                                 ORDER BY s.created_at)
                   FROM webhook_secrets s WHERE s.webhook_id = w.id) AS secrets
           FROM webhooks w WHERE w.id = $1`,
        [webhookId],
      ),
    );
    if (!row) return null;
    return {
      id: row.id,
      accountId: Number(row.account_id),
      targetUrl: row.target_url,
      status: row.status,
      deleted: row.deleted_at !== null,
      rateLimitPerSecond: row.rate_limit_per_second,
      ...this.credentials.decrypt({
        webhookId: row.id,
        authType: row.auth_type,
        basicUsername: row.basic_username,
        basicPasswordEnc: row.basic_password_enc,
        secrets: (row.secrets ?? []).map((secret) => ({
          secretEnc: secret.secret_enc,
          expiresAt: secret.expires_at ? new Date(secret.expires_at) : null,
        })),
      }),
    };
  }
}
