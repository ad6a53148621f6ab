import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource, EntityManager, IsNull } from 'typeorm';
import { ADVISORY_LOCK } from '../database/advisory-locks';
import { AuditLogEntry, type AuditAction, Webhook, WebhookSecret, type WebhookStatus } from '../entities';
import { LaneAppendRepository } from '../lanes/lane-append.repository';
import { LaneRepository } from '../lanes/lane.repository';
import type { StoredWebhookCredentials } from './webhook-credentials-reader';

const INT4_MAX = 2_147_483_647;

/** A secret as stored before ciphertexts were bound to their place (`v1:`), and where it is stored. */
export interface LegacyCiphertext {
  field: 'basic_password' | 'signing_secret';
  /** The webhook's id (basic_password) or the secret row's (signing_secret). */
  id: string;
  webhookId: string;
  stored: string;
}

/** One audit_log row as written. */
export interface AuditRow {
  accountId: number;
  webhookId: string;
  actor: string;
  action: AuditAction;
  details: Record<string, unknown>;
}

/** What sending to a webhook needs of its row, credentials still encrypted (see WebhookCredentialsReader). */
export interface StoredSendTarget {
  id: string;
  accountId: number;
  targetUrl: string;
  status: WebhookStatus;
  deleted: boolean;
  rateLimitPerSecond: number | null;
  /** Its requests carry the attempt's `traceparent`/`tracestate`. */
  traceContextHeaders: boolean;
  /** Every secret, expired or not, oldest first: a rotated-out one signs until it expires. */
  credentials: StoredWebhookCredentials;
}

interface SendTargetRow {
  id: string;
  account_id: string;
  target_url: string;
  status: WebhookStatus;
  deleted_at: Date | null;
  rate_limit_per_second: number | null;
  trace_context_headers: boolean;
  auth_type: StoredWebhookCredentials['authType'];
  basic_username: string | null;
  basic_password_enc: string | null;
  secrets: Array<{ secret_enc: string; expires_at: string | null }> | null;
}

/** The queries behind webhook management. Every read of a webhook is scoped by account and skips deleted ones. */
@Injectable()
export class WebhookRepository {
  constructor(
    @InjectDataSource() readonly dataSource: DataSource,
    private readonly lanes: LaneRepository,
    private readonly laneAppends: LaneAppendRepository,
  ) {}

  transaction<T>(work: (manager: EntityManager) => Promise<T>): Promise<T> {
    return this.dataSource.transaction(work);
  }

  listForAccount(accountId: number): Promise<Webhook[]> {
    return this.dataSource.manager.find(Webhook, {
      where: { accountId, deletedAt: IsNull() },
      order: { createdAt: 'ASC', id: 'ASC' },
    });
  }

  findLive(
    accountId: number,
    webhookId: string,
    manager: EntityManager = this.dataSource.manager,
  ): Promise<Webhook | null> {
    return manager.findOne(Webhook, { where: { id: webhookId, accountId, deletedAt: IsNull() } });
  }

  /** Row-locks the webhook for the rest of the transaction, so concurrent edits apply one after the other. */
  findLiveForUpdate(manager: EntityManager, accountId: number, webhookId: string): Promise<Webhook | null> {
    return manager.findOne(Webhook, {
      where: { id: webhookId, accountId, deletedAt: IsNull() },
      lock: { mode: 'pessimistic_write' },
    });
  }

  /**
   * Serialises webhook creation per account until the transaction ends, so "count, then insert" cannot
   * be raced past the per-account limit by concurrent requests. The two-int form takes an int4 key: ids
   * beyond it fold onto another key, which can only make two accounts wait for each other, never race.
   */
  async lockAccount(manager: EntityManager, accountId: number): Promise<void> {
    await manager.query('SELECT pg_advisory_xact_lock($1::int4, $2::int4)', [
      ADVISORY_LOCK.ACCOUNT_WEBHOOKS,
      accountId % INT4_MAX,
    ]);
  }

  countLive(manager: EntityManager, accountId: number): Promise<number> {
    return manager.count(Webhook, { where: { accountId, deletedAt: IsNull() } });
  }

  async isNameTaken(
    manager: EntityManager,
    accountId: number,
    name: string,
    exceptWebhookId?: string,
  ): Promise<boolean> {
    const rows: unknown[] = await manager.query(
      `SELECT 1 FROM webhooks
        WHERE account_id = $1 AND lower(name) = lower($2) AND deleted_at IS NULL AND id IS DISTINCT FROM $3::uuid
        LIMIT 1`,
      [accountId, name, exceptWebhookId ?? null],
    );
    return rows.length > 0;
  }

  async insert(manager: EntityManager, webhook: Webhook): Promise<void> {
    await manager.insert(Webhook, webhook);
  }

  async save(manager: EntityManager, webhook: Webhook): Promise<void> {
    await manager.save(Webhook, webhook);
  }

  async addSecret(manager: EntityManager, secret: WebhookSecret): Promise<void> {
    await manager.insert(WebhookSecret, secret);
  }

  async deleteSecrets(manager: EntityManager, webhookId: string): Promise<void> {
    await manager.delete(WebhookSecret, { webhookId });
  }

  /** The secrets a delivery is signed with now: every unexpired one, newest first. */
  unexpiredSecrets(
    webhookId: string,
    manager: EntityManager = this.dataSource.manager,
  ): Promise<WebhookSecret[]> {
    return manager
      .createQueryBuilder(WebhookSecret, 'secret')
      .where('secret.webhook_id = :webhookId', { webhookId })
      .andWhere('(secret.expires_at IS NULL OR secret.expires_at > now())')
      .orderBy('secret.created_at', 'DESC')
      .addOrderBy('secret.id', 'DESC')
      .getMany();
  }

  /**
   * A webhook as the dispatcher sends to it, deleted or not, in any account (the delivery names it),
   * with its secrets in the same query: one round trip per cache miss. Null when there is no such row.
   */
  async findSendTarget(webhookId: string): Promise<StoredSendTarget | null> {
    const rows: SendTargetRow[] = await this.dataSource.query(
      `SELECT w.id, w.account_id, w.target_url, w.status, w.deleted_at, w.rate_limit_per_second, w.auth_type,
              w.basic_username, w.basic_password_enc, w.trace_context_headers,
              (SELECT json_agg(json_build_object('secret_enc', s.secret_enc, 'expires_at', s.expires_at)
                               ORDER BY s.created_at)
                 FROM webhook_secrets s WHERE s.webhook_id = w.id) AS secrets
         FROM webhooks w WHERE w.id = $1`,
      [webhookId],
    );
    const row = rows[0];
    if (!row) return null;
    return {
      id: row.id,
      accountId: Number(row.account_id),
      targetUrl: row.target_url,
      status: row.status,
      deleted: row.deleted_at !== null,
      rateLimitPerSecond: row.rate_limit_per_second,
      traceContextHeaders: row.trace_context_headers,
      credentials: {
        webhookId: row.id,
        authType: row.auth_type,
        basicUsername: row.basic_username,
        basicPasswordEnc: row.basic_password_enc,
        secrets: (row.secrets ?? []).map((secret) => ({
          secretEnc: secret.secret_enc,
          expiresAt: secret.expires_at ? new Date(secret.expires_at) : null,
        })),
      },
    };
  }

  /**
   * The only way secrets rotate, so a webhook never has more than two live ones (current + previous;
   * two unique indexes hold it in the schema too). The current secret becomes the previous one and
   * signs for the overlap; the secret it replaces expires at once, even mid-overlap: a rotation during
   * a rotation keeps the newest previous secret only. Call in a transaction holding the webhook's row lock.
   * Returns when the rotated-out secret stops signing.
   */
  async rotateSecret(manager: EntityManager, next: WebhookSecret, overlapMs: number): Promise<Date | null> {
    await manager.query(`DELETE FROM webhook_secrets WHERE webhook_id = $1 AND expires_at IS NOT NULL`, [
      next.webhookId,
    ]);
    // TypeORM answers an UPDATE … RETURNING with [rows, affected count].
    const [rotatedOut] = await manager.query<[Array<{ expires_at: Date }>, number]>(
      `UPDATE webhook_secrets SET expires_at = $2::timestamptz + ($3::bigint * interval '1 millisecond')
        WHERE webhook_id = $1 AND expires_at IS NULL
        RETURNING expires_at`,
      [next.webhookId, next.createdAt, overlapMs],
    );
    await manager.insert(WebhookSecret, next);
    return rotatedOut[0]?.expires_at ?? null;
  }

  /**
   * Cancels everything still waiting for these webhooks, in the caller's transaction: open deliveries
   * say who cancelled them, then the events waiting in their lanes are dropped (in that order, so a
   * re-activated webhook's first event wakes its lane at once). Called by WebhookLifecycle only.
   */
  async cancelOpenWork(
    manager: EntityManager,
    webhookIds: readonly string[],
    cancelledBy: string,
  ): Promise<number> {
    const cancelled = await this.lanes.cancelOpenDeliveries(manager, [...webhookIds], cancelledBy);
    await this.laneAppends.dropPending(manager, webhookIds);
    return cancelled;
  }

  /**
   * DISABLED with a reason, for the ACTIVE, live ones among `webhookIds` (a webhook an admin retired or
   * deleted meanwhile stays as the admin left it). Returns those it changed.
   */
  async disableActive(
    manager: EntityManager,
    webhookIds: readonly string[],
    reason: string,
  ): Promise<Array<{ id: string; accountId: number; failingSince: Date | null }>> {
    // TypeORM answers an UPDATE … RETURNING with [rows, affected count].
    const [rows] = await manager.query<
      [Array<{ id: string; account_id: string; failing_since: Date | null }>, number]
    >(
      `UPDATE webhooks SET status = 'DISABLED', disabled_reason = $2, updated_at = now()
        WHERE id = ANY($1::uuid[]) AND status = 'ACTIVE' AND deleted_at IS NULL
       RETURNING id, account_id, failing_since`,
      [webhookIds, reason],
    );
    return rows.map((row) => ({
      id: row.id,
      accountId: Number(row.account_id),
      failingSince: row.failing_since,
    }));
  }

  /** One audit row per entry, in one statement. */
  async auditMany(manager: EntityManager, entries: readonly AuditRow[]): Promise<void> {
    if (entries.length === 0) return;
    await manager.query(
      `INSERT INTO audit_log (account_id, webhook_id, actor, action, details)
       SELECT * FROM unnest($1::bigint[], $2::uuid[], $3::text[], $4::text[], $5::jsonb[])`,
      [
        entries.map((entry) => entry.accountId),
        entries.map((entry) => entry.webhookId),
        entries.map((entry) => entry.actor),
        entries.map((entry) => entry.action),
        entries.map((entry) => JSON.stringify(entry.details)),
      ],
    );
  }

  async audit(manager: EntityManager, entry: AuditRow): Promise<void> {
    await manager.query(
      `INSERT INTO audit_log (account_id, webhook_id, actor, action, details) VALUES ($1, $2, $3, $4, $5)`,
      [entry.accountId, entry.webhookId, entry.actor, entry.action, JSON.stringify(entry.details)],
    );
  }

  /**
   * Every stored ciphertext still in the unbound v1 format (see SecretCipher), deleted webhooks'
   * included: what LegacySecretRewriter rewrites once. `id` is the row's own (webhook or secret).
   */
  async legacyCiphertexts(manager: EntityManager): Promise<LegacyCiphertext[]> {
    return manager.query<LegacyCiphertext[]>(
      `SELECT 'basic_password' AS field, id, id AS "webhookId", basic_password_enc AS stored
         FROM webhooks WHERE basic_password_enc LIKE 'v1:%'
       UNION ALL
       SELECT 'signing_secret' AS field, id, webhook_id AS "webhookId", secret_enc AS stored
         FROM webhook_secrets WHERE secret_enc LIKE 'v1:%'`,
    );
  }

  /**
   * Compare-and-set, one statement per column: each row's ciphertext is replaced only if it still holds
   * the value that was read, so an edit made meanwhile is never undone. Returns how many were replaced.
   */
  async replaceCiphertexts(
    manager: EntityManager,
    replacements: ReadonlyArray<{ legacy: LegacyCiphertext; next: string }>,
  ): Promise<number> {
    let replaced = 0;
    for (const field of ['basic_password', 'signing_secret'] as const) {
      const rows = replacements.filter(({ legacy }) => legacy.field === field);
      if (rows.length === 0) continue;
      const [table, column] =
        field === 'basic_password' ? ['webhooks', 'basic_password_enc'] : ['webhook_secrets', 'secret_enc'];
      // TypeORM answers an UPDATE with [rows, affected count].
      const [, changed] = await manager.query<[unknown, number]>(
        `UPDATE ${table} AS target SET ${column} = given.next
           FROM unnest($1::uuid[], $2::text[], $3::text[]) AS given(id, stored, next)
          WHERE target.id = given.id AND target.${column} = given.stored`,
        [
          rows.map(({ legacy }) => legacy.id),
          rows.map(({ legacy }) => legacy.stored),
          rows.map(({ next }) => next),
        ],
      );
      replaced += changed;
    }
    return replaced;
  }

  auditTrail(accountId: number, webhookId: string, limit: number): Promise<AuditLogEntry[]> {
    return this.dataSource.manager.find(AuditLogEntry, {
      where: { accountId, webhookId },
      order: { at: 'DESC', id: 'DESC' },
      take: limit,
    });
  }
}
