import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource, EntityManager } from 'typeorm';
import { isOpenDeliveryStatus, type DeliveryKind, type DeliveryStatus } from '../entities/delivery.entity';
import type { DeliveryCursor } from './delivery-cursor';
import type { DeliveryAttemptView, DeliveryListFilter, DeliverySummaryView } from './delivery-log-views';

interface DeliveryRow {
  id: string;
  webhook_id: string;
  account_id: string;
  kind: DeliveryKind;
  status: DeliveryStatus;
  event_count: number;
  event_names: string[] | null;
  attempt_count: number;
  next_attempt_at: Date | null;
  last_attempt_at: Date | null;
  last_status_code: number | null;
  last_error: string | null;
  cancelled_by: string | null;
  redelivery_of: string | null;
  created_at: Date;
  created_at_text: string;
  updated_at: Date;
  delivered_at: Date | null;
  webhook_status: string;
}

export interface StoredEnvelopeEvent {
  eventPk: number;
  eventId: string;
  eventName: string;
  timestamp: number;
  eventInfo: string;
  dataJson: string;
}

export interface ReplayCandidate {
  eventPk: number;
  realtime: boolean;
}

/** A replay an admin made, as recorded. */
export interface RecordedReplay {
  replayId: string;
  createdAt: Date;
  eventCount: number;
}

/**
 * Two-key advisory lock namespace (beside ADVISORY_LOCK.ACCOUNT_WEBHOOKS, 7_310_100): admin actions that
 * add to one webhook's lanes (replay, redeliver) take it in turn, so their cap and repeat checks see each
 * other. Ingestion never takes it: it is not limited, and must not wait for an admin.
 */
const WEBHOOK_BACKLOG_LOCK = 7_310_101;

/** How long replay records are kept: long after their events have left the lanes (or been purged). */
const KEEP_REPLAYS_DAYS = 30;

const SUMMARY_COLUMNS = `
  d.id, d.webhook_id, d.account_id, d.kind, d.status, d.event_count, d.attempt_count, d.next_attempt_at,
  d.last_attempt_at, d.last_status_code, d.last_error, d.cancelled_by, d.redelivery_of, d.created_at,
  d.created_at::text AS created_at_text, d.updated_at, d.delivered_at, w.status AS webhook_status,
  (SELECT array_agg(DISTINCT e.event_name ORDER BY e.event_name)
     FROM delivery_events de JOIN events e ON e.id = de.event_pk AND e.occurred_at = de.event_occurred_at WHERE de.delivery_id = d.id) AS event_names`;

/**
 * Delivery-log queries. Every one joins the webhook and filters by account and `deleted_at IS NULL`,
 * so another account's or a deleted webhook's deliveries are simply not there.
 */
@Injectable()
export class DeliveryLogRepository {
  constructor(@InjectDataSource() readonly dataSource: DataSource) {}

  transaction<T>(work: (manager: EntityManager) => Promise<T>): Promise<T> {
    return this.dataSource.transaction(work);
  }

  async webhookStatus(
    accountId: number,
    webhookId: string,
  ): Promise<{ status: string; events: string[] } | null> {
    const rows: Array<{ status: string; events: string[] }> = await this.dataSource.query(
      `SELECT status, events FROM webhooks WHERE id = $1 AND account_id = $2 AND deleted_at IS NULL`,
      [webhookId, accountId],
    );
    return rows[0] ?? null;
  }

  /** Newest first, keyset-paginated on (created_at, id): stable while new deliveries keep arriving. */
  async page(
    accountId: number,
    webhookId: string,
    filter: DeliveryListFilter,
    cursor: DeliveryCursor | undefined,
  ): Promise<Array<{ view: DeliverySummaryView; cursor: DeliveryCursor }>> {
    const params: unknown[] = [webhookId, accountId];
    const where = ['d.webhook_id = $1', 'd.account_id = $2'];
    const add = (sql: (placeholder: string) => string, value: unknown): void => {
      params.push(value);
      where.push(sql(`$${params.length}`));
    };
    if (filter.status) add((p) => `d.status = ${p}`, filter.status);
    if (filter.eventName) {
      add(
        (
          p,
        ) => `EXISTS (SELECT 1 FROM delivery_events de JOIN events e ON e.id = de.event_pk AND e.occurred_at = de.event_occurred_at
                         WHERE de.delivery_id = d.id AND e.event_name = ${p})`,
        filter.eventName,
      );
    }
    if (filter.from) add((p) => `d.created_at >= ${p}`, filter.from);
    if (filter.to) add((p) => `d.created_at <= ${p}`, filter.to);
    if (cursor) {
      params.push(cursor.createdAt, cursor.id);
      where.push(`(d.created_at, d.id) < ($${params.length - 1}::timestamptz, $${params.length}::uuid)`);
    }
    params.push(filter.limit);
    const rows: DeliveryRow[] = await this.dataSource.query(
      `SELECT ${SUMMARY_COLUMNS}
         FROM deliveries d JOIN webhooks w ON w.id = d.webhook_id AND w.deleted_at IS NULL
        WHERE ${where.join(' AND ')}
        ORDER BY d.created_at DESC, d.id DESC
        LIMIT $${params.length}`,
      params,
    );
    return rows.map((row) => ({
      view: toSummary(row),
      cursor: { createdAt: row.created_at_text, id: row.id },
    }));
  }

  async findOne(
    accountId: number,
    deliveryId: string,
    manager: EntityManager = this.dataSource.manager,
  ): Promise<(DeliverySummaryView & { webhookStatus: string }) | null> {
    const rows: DeliveryRow[] = await manager.query(
      `SELECT ${SUMMARY_COLUMNS}
         FROM deliveries d JOIN webhooks w ON w.id = d.webhook_id AND w.deleted_at IS NULL
        WHERE d.id = $1 AND d.account_id = $2`,
      [deliveryId, accountId],
    );
    const row = rows[0];
    return row ? { ...toSummary(row), webhookStatus: row.webhook_status } : null;
  }

  async envelopeEvents(deliveryId: string): Promise<StoredEnvelopeEvent[]> {
    const rows: Array<{
      event_pk: string;
      event_id: string;
      event_name: string;
      occurred_at: string;
      event_info: string;
      data_json: string;
    }> = await this.dataSource.query(
      `SELECT e.id AS event_pk, e.event_id, e.event_name, e.occurred_at, e.event_info, e.data::text AS data_json
           FROM delivery_events de JOIN events e ON e.id = de.event_pk AND e.occurred_at = de.event_occurred_at
          WHERE de.delivery_id = $1 ORDER BY de.position`,
      [deliveryId],
    );
    return rows.map((row) => ({
      eventPk: Number(row.event_pk),
      eventId: row.event_id,
      eventName: row.event_name,
      timestamp: Number(row.occurred_at),
      eventInfo: row.event_info,
      dataJson: row.data_json,
    }));
  }

  async attempts(deliveryId: string): Promise<DeliveryAttemptView[]> {
    const rows: Array<{
      attempt_number: number;
      started_at: Date;
      duration_ms: number;
      status_code: number | null;
      error: string | null;
      response_snippet: string | null;
      trace_id: string | null;
    }> = await this.dataSource.query(
      `SELECT attempt_number, started_at, duration_ms, status_code, error, response_snippet, trace_id
         FROM delivery_attempts WHERE delivery_id = $1 ORDER BY attempt_number`,
      [deliveryId],
    );
    return rows.map((row) => ({
      attemptNumber: row.attempt_number,
      startedAt: row.started_at,
      durationMs: row.duration_ms,
      statusCode: row.status_code,
      error: row.error,
      responseSnippet: row.response_snippet,
      traceId: row.trace_id,
    }));
  }

  /** The events of a delivery, in its order (empty when retention removed them). */
  async eventPksOf(manager: EntityManager, deliveryId: string): Promise<number[]> {
    const rows = await manager.query<Array<{ event_pk: string }>>(
      `SELECT event_pk FROM delivery_events WHERE delivery_id = $1 ORDER BY position`,
      [deliveryId],
    );
    return rows.map((row) => Number(row.event_pk));
  }

  /** Serialises the admin appends to one webhook's lanes until the transaction ends. */
  async lockWebhookBacklog(manager: EntityManager, webhookId: string): Promise<void> {
    await manager.query(`SELECT pg_advisory_xact_lock($1::int4, hashtext($2::text))`, [
      WEBHOOK_BACKLOG_LOCK,
      webhookId,
    ]);
  }

  /**
   * Items waiting in the webhook's lanes (both kinds, released or not), counted up to `atMost`: past
   * the cap the exact number does not matter, and a long backlog is not worth counting row by row.
   */
  async pendingEvents(manager: EntityManager, webhookId: string, atMost: number): Promise<number> {
    const [row] = await manager.query<Array<{ pending: number }>>(
      `SELECT count(*)::int AS pending FROM (SELECT 1 FROM lane_waiting_items WHERE webhook_id = $1 LIMIT $2) waiting`,
      [webhookId, atMost],
    );
    return row.pending;
  }

  /**
   * The latest replay of exactly this webhook and range whose events still wait in the lanes: a lane
   * item with the replay's created_at (the transaction's now()) is one it appended.
   */
  async waitingReplay(
    manager: EntityManager,
    accountId: number,
    webhookId: string,
    fromMs: number,
    toMs: number,
  ): Promise<RecordedReplay | null> {
    const rows = await manager.query<Array<{ id: string; created_at: Date; event_count: number }>>(
      `SELECT r.id, r.created_at, r.event_count FROM webhook_replays r
        WHERE r.webhook_id = $1 AND r.account_id = $2 AND r.from_ms = $3 AND r.to_ms = $4
          AND EXISTS (SELECT 1 FROM lane_waiting_items li WHERE li.webhook_id = r.webhook_id AND li.created_at = r.created_at)
        ORDER BY r.created_at DESC LIMIT 1`,
      [webhookId, accountId, fromMs, toMs],
    );
    const row = rows[0];
    return row ? { replayId: row.id, createdAt: row.created_at, eventCount: row.event_count } : null;
  }

  /** Records a replay in the transaction that appended its items; drops the webhook's old records. */
  async recordReplay(
    manager: EntityManager,
    replay: {
      accountId: number;
      webhookId: string;
      fromMs: number;
      toMs: number;
      eventCount: number;
      sub: string;
    },
  ): Promise<void> {
    await manager.query(
      `DELETE FROM webhook_replays WHERE webhook_id = $1 AND created_at < now() - make_interval(days => $2)`,
      [replay.webhookId, KEEP_REPLAYS_DAYS],
    );
    await manager.query(
      `INSERT INTO webhook_replays (webhook_id, account_id, from_ms, to_ms, event_count, requested_by)
       VALUES ($1, $2, $3, $4, $5, $6)`,
      [replay.webhookId, replay.accountId, replay.fromMs, replay.toMs, replay.eventCount, replay.sub],
    );
  }

  /** The account's events in [from, to] (event time) that the webhook subscribes to, oldest first. */
  async replayCandidates(
    accountId: number,
    eventNames: readonly string[],
    fromMs: number,
    toMs: number,
    limit: number,
  ): Promise<ReplayCandidate[]> {
    const rows: Array<{ id: string; realtime: boolean }> = await this.dataSource.query(
      `SELECT id, realtime FROM events
        WHERE account_id = $1 AND event_name = ANY($2::text[]) AND occurred_at BETWEEN $3 AND $4
        ORDER BY occurred_at, id LIMIT $5`,
      [accountId, eventNames, fromMs, toMs, limit],
    );
    return rows.map((row) => ({ eventPk: Number(row.id), realtime: row.realtime }));
  }
}

function toSummary(row: DeliveryRow): DeliverySummaryView {
  const open = isOpenDeliveryStatus(row.status);
  return {
    id: row.id,
    webhookId: row.webhook_id,
    kind: row.kind,
    status: row.status,
    eventCount: row.event_count,
    eventNames: row.event_names ?? [],
    attemptCount: row.attempt_count,
    nextAttemptAt: open ? row.next_attempt_at : null,
    lastAttemptAt: row.last_attempt_at,
    lastStatusCode: row.last_status_code,
    lastError: row.last_error,
    cancelledBy: row.cancelled_by,
    redeliveryOf: row.redelivery_of,
    createdAt: row.created_at,
    updatedAt: row.updated_at,
    deliveredAt: row.delivered_at,
  };
}
