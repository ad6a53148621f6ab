import { randomUUID } from 'node:crypto';
import { enqueueLaneWakeUps } from '@lms/queue-contract';
import { ITEM_EVENT_COLUMNS, insertDeliveredItems, insertWebhookRow } from '@lms/testing';
import { SecretCipher } from '@lms/webhook-domain';
import type { Queue } from 'bull';
import { Pool } from 'pg';

/** Test data written with SQL, as ingestion and the admin API would leave it. */
export class DispatchFactories {
  private eventSeq = 0;

  constructor(
    readonly pool: Pool,
    private readonly cipher: SecretCipher,
  ) {}

  async webhook(input: {
    targetUrl: string;
    accountId?: number;
    authType?: 'NONE' | 'BASIC' | 'SIGNATURE';
    basic?: { username: string; password: string };
    secrets?: Array<{ secret: string; expiresAt?: Date | null }>;
    status?: 'ACTIVE' | 'INACTIVE' | 'DISABLED';
    rateLimitPerSecond?: number | null;
    deleted?: boolean;
  }): Promise<{ id: string; accountId: number }> {
    const id = randomUUID();
    const accountId = input.accountId ?? 1010;
    await insertWebhookRow(this.pool, {
      id,
      accountId,
      targetUrl: input.targetUrl,
      authType: input.authType ?? 'NONE',
      basicUsername: input.basic?.username ?? null,
      basicPasswordEnc: input.basic
        ? this.cipher.encrypt(input.basic.password, { webhookId: id, field: 'basic_password' })
        : null,
      events: ['COURSE_ENROLLMENT'],
      status: input.status ?? 'ACTIVE',
      rateLimitPerSecond: input.rateLimitPerSecond ?? null,
      deletedAt: input.deleted ? new Date() : null,
    });
    for (const secret of input.secrets ?? []) {
      await this.pool.query(
        `INSERT INTO webhook_secrets (id, webhook_id, secret_enc, expires_at) VALUES ($1, $2, $3, $4)`,
        [
          randomUUID(),
          id,
          this.cipher.encrypt(secret.secret, { webhookId: id, field: 'signing_secret' }),
          secret.expiresAt ?? null,
        ],
      );
    }
    return { id, accountId };
  }

  /** Inserts events; returns their primary keys in order. */
  async events(
    accountId: number,
    count: number,
    input: { realtime?: boolean; occurredAt?: (index: number) => number } = {},
  ): Promise<number[]> {
    const rows = Array.from({ length: count }, (_, index) => {
      this.eventSeq += 1;
      return {
        eventId: `evt-${this.eventSeq}-${randomUUID().slice(0, 8)}`,
        occurredAt: input.occurredAt ? input.occurredAt(index) : 1_727_414_643_000 + this.eventSeq,
        data: `{"userId":${this.eventSeq},"loId":"course:7374992"}`,
      };
    });
    const result = await this.pool.query<{ id: string }>(
      `INSERT INTO events (account_id, event_id, event_name, realtime, occurred_at, event_info, data)
       SELECT $1, t.event_id, 'COURSE_ENROLLMENT', $2, t.occurred_at, 'info', t.data::json
         FROM unnest($3::text[], $4::bigint[], $5::text[]) WITH ORDINALITY AS t(event_id, occurred_at, data, ord)
        ORDER BY t.ord
       RETURNING id`,
      [
        accountId,
        input.realtime ?? true,
        rows.map((r) => r.eventId),
        rows.map((r) => r.occurredAt),
        rows.map((r) => r.data),
      ],
    );
    return result.rows.map((row) => Number(row.id));
  }

  /**
   * A delivery (one request) of a webhook's lane, as advance_lane leaves it: a REALTIME delivery of
   * one new event, or of the given events (BATCH by default when there are several). The caller
   * queues its deliver job; with max_in_flight 1, an open one holds its lane until it finishes.
   */
  async delivery(
    webhook: { id: string; accountId: number },
    input: { eventPks?: number[]; createdAt?: Date; status?: string; kind?: 'REALTIME' | 'BATCH' } = {},
  ): Promise<string> {
    const eventPks = input.eventPks ?? (await this.events(webhook.accountId, 1));
    const kind = input.kind ?? (eventPks.length > 1 ? 'BATCH' : 'REALTIME');
    const id = randomUUID();
    await this.pool.query(
      `INSERT INTO deliveries (id, webhook_id, account_id, kind, status, event_count, created_at)
       VALUES ($1, $2, $3, $4, $5, $6, COALESCE($7, now()))`,
      [
        id,
        webhook.id,
        webhook.accountId,
        kind,
        input.status ?? 'PENDING',
        eventPks.length,
        input.createdAt ?? null,
      ],
    );
    await insertDeliveredItems(this.pool, {
      deliveryId: id,
      webhookId: webhook.id,
      accountId: webhook.accountId,
      kind,
      eventPks,
    });
    return id;
  }

  /**
   * Appends events to a webhook's lane in the given order (lane order), as ingestion would: BATCH
   * items held until the release by default, REALTIME items released. It does not wake the lane.
   */
  async laneItems(
    webhook: { id: string; accountId: number },
    eventPks: number[],
    input: { kind?: 'REALTIME' | 'BATCH'; released?: boolean } = {},
  ): Promise<void> {
    const kind = input.kind ?? 'BATCH';
    const released = input.released ?? kind === 'REALTIME';
    const { rows } = await this.pool.query<{ last: string | null }>(
      `WITH items AS (
         INSERT INTO lane_items (webhook_id, kind, event_pk, account_id, event_occurred_at, body_bytes)
         SELECT $1, $2, e.id, e.account_id, ${ITEM_EVENT_COLUMNS}
           FROM unnest($3::bigint[]) WITH ORDINALITY AS t(pk, ord) JOIN events e ON e.id = t.pk
          ORDER BY t.ord
         RETURNING id
       )
       SELECT max(id)::text AS last FROM items`,
      [webhook.id, kind, eventPks],
    );
    if (released && kind === 'BATCH' && rows[0].last !== null) {
      await this.pool.query(
        `UPDATE lanes SET released_upto = greatest(released_upto, $2::bigint) WHERE webhook_id = $1 AND kind = 'BATCH'`,
        [webhook.id, rows[0].last],
      );
    }
  }

  /** The event primary keys waiting in a webhook's lane, in lane order. */
  async laneEventPks(webhookId: string, kind: 'REALTIME' | 'BATCH'): Promise<number[]> {
    const { rows } = await this.pool.query<{ event_pk: string }>(
      `SELECT event_pk FROM lane_waiting_items WHERE webhook_id = $1 AND kind = $2 ORDER BY id`,
      [webhookId, kind],
    );
    return rows.map((row) => Number(row.event_pk));
  }

  async deliveryCount(webhookId: string): Promise<number> {
    const { rows } = await this.pool.query<{ n: number }>(
      `SELECT count(*)::int AS n FROM deliveries WHERE webhook_id = $1`,
      [webhookId],
    );
    return rows[0].n;
  }

  /**
   * Wakes a webhook's lane as whoever adds work does: flips it busy under its row lock and queues the
   * one advance-lane job of that activation (only the flipper queues, so a repeat is a no-op).
   */
  async wakeLane(queue: Queue, webhookId: string, kind: 'REALTIME' | 'BATCH'): Promise<void> {
    const { rows } = await this.pool.query<{ activation: string; woken: boolean }>(
      `UPDATE lanes SET busy = true,
              activated_by = CASE WHEN busy THEN activated_by ELSE txid_current() END,
              activations = activations + CASE WHEN busy THEN 0 ELSE 1 END, updated_at = now()
        WHERE webhook_id = $1 AND kind = $2
       RETURNING activated_by::text AS activation, activated_by = txid_current() AS woken`,
      [webhookId, kind],
    );
    if (rows[0]?.woken)
      await enqueueLaneWakeUps(queue, [{ webhookId, kind, activation: rows[0].activation }]);
  }

  /** A webhook's audit trail as (actor, action) pairs, oldest first. */
  async auditActions(webhookId: string): Promise<Array<{ actor: string; action: string }>> {
    const { rows } = await this.pool.query(
      `SELECT actor, action FROM audit_log WHERE webhook_id = $1 ORDER BY at, id`,
      [webhookId],
    );
    return rows as Array<{ actor: string; action: string }>;
  }

  async deliveryRow(
    id: string,
  ): Promise<Record<string, unknown> & { status: string; attempt_count: number }> {
    const { rows } = await this.pool.query(`SELECT * FROM deliveries WHERE id = $1`, [id]);
    return rows[0] as Record<string, unknown> & { status: string; attempt_count: number };
  }

  async attempts(id: string): Promise<
    Array<{
      attempt_number: number;
      status_code: number | null;
      error: string | null;
      response_snippet: string | null;
    }>
  > {
    const { rows } = await this.pool.query(
      `SELECT * FROM delivery_attempts WHERE delivery_id = $1 ORDER BY attempt_number`,
      [id],
    );
    return rows as Array<{
      attempt_number: number;
      status_code: number | null;
      error: string | null;
      response_snippet: string | null;
    }>;
  }
}
