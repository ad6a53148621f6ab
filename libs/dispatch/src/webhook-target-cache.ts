import { Injectable, OnModuleDestroy, OnModuleInit } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { SecretCipher, WebhookChangeFeed, WebhookStatus } from '@lms/webhook-domain';
import { DataSource } from 'typeorm';
import { sqlRows, withConnection } from './sql-rows';

export interface SigningSecret {
  secret: string;
  /** null = current; a rotated-out secret signs until it expires. */
  expiresAt: Date | null;
}

/** What a delivery needs of its webhook, secrets decrypted. Held in memory only, never logged. */
export interface WebhookTarget {
  id: string;
  accountId: number;
  targetUrl: string;
  status: WebhookStatus;
  deleted: boolean;
  rateLimitPerSecond: number | null;
  authType: 'NONE' | 'BASIC' | 'SIGNATURE';
  basicUsername: string | null;
  basicPassword: string | null;
  secrets: SigningSecret[];
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

/**
 * Webhooks and their decrypted credentials, cached per replica: decrypting and querying per delivery
 * would cost more than the HTTP call. WebhookChangeFeed (a DB trigger on every webhook/secret write)
 * evicts an entry the moment anything about that webhook changes.
 */
@Injectable()
export class WebhookTargetCache implements OnModuleInit, OnModuleDestroy {
  private readonly entries = new Map<string, { loadedAt: number; target: Promise<WebhookTarget | null> }>();
  private unsubscribe?: () => void;

  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    private readonly cipher: SecretCipher,
    private readonly changeFeed: WebhookChangeFeed,
  ) {}

  onModuleInit(): void {
    this.unsubscribe = this.changeFeed.subscribe((change) => {
      if (change === null) this.entries.clear();
      else this.entries.delete(change.webhookId);
    });
  }

  onModuleDestroy(): void {
    this.unsubscribe?.();
  }

  get(webhookId: string): Promise<WebhookTarget | null> {
    const cached = this.entries.get(webhookId);
    if (cached && Date.now() - cached.loadedAt < MAX_AGE_MS) return cached.target;
    // The promise is cached at once, so concurrent jobs share one load, and an eviction that arrives
    // while it runs removes it (the next job loads again).
    const target = this.load(webhookId);
    const entry = { loadedAt: Date.now(), target };
    this.entries.set(webhookId, entry);
    target.catch(() => {
      if (this.entries.get(webhookId) === entry) this.entries.delete(webhookId);
    });
    return target;
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
      authType: row.auth_type,
      basicUsername: row.basic_username,
      basicPassword: row.basic_password_enc
        ? this.cipher.decrypt(row.basic_password_enc, { webhookId: row.id, field: 'basic_password' })
        : null,
      secrets: (row.secrets ?? []).map((secret) => ({
        secret: this.cipher.decrypt(secret.secret_enc, { webhookId: row.id, field: 'signing_secret' }),
        expiresAt: secret.expires_at ? new Date(secret.expires_at) : null,
      })),
    };
  }
}
