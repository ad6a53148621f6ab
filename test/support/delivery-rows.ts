import type { Client } from 'pg';
import { insertDeliveredItems } from './lane-rows';

/** Event time used by default: 2025-11-28T03:20:00Z. */
export const DEFAULT_EVENT_TIME_MS = 1_764_300_000_000;

export interface EventRow {
  accountId: number;
  eventName?: string;
  realtime?: boolean;
  occurredAt?: number;
  data?: string;
}

/** An event row as ingestion stores it; returns its primary key. */
export async function insertEventRow(sql: Client, row: EventRow): Promise<number> {
  const result = await sql.query(
    `INSERT INTO events (account_id, event_id, event_name, realtime, occurred_at, event_info, data)
     VALUES ($1, gen_random_uuid()::text, $2, $3, $4, '1764300000000-047210-84242-0', $5::json) RETURNING id`,
    [
      row.accountId,
      row.eventName ?? 'COURSE_ENROLLMENT',
      row.realtime ?? true,
      row.occurredAt ?? DEFAULT_EVENT_TIME_MS,
      row.data ?? '{"userId": 4279332, "loId":"course:7374992", "extra": [1, 2.50]}',
    ],
  );
  return Number(result.rows[0].id);
}

export interface DeliveryRow {
  /** Chosen by the caller when a job must name the delivery before its row exists. */
  id?: string;
  webhookId: string;
  accountId: number;
  eventPks: number[];
  status?: string;
  createdAt?: string;
  lastError?: string | null;
  cancelledBy?: string | null;
}

/** A delivery row carrying the given events (in order), as the dispatcher's tables hold it; returns its id. */
export async function insertDeliveryRow(sql: Client, row: DeliveryRow): Promise<string> {
  const result = await sql.query(
    `INSERT INTO deliveries (id, webhook_id, account_id, kind, status, event_count, created_at, last_error, cancelled_by)
     VALUES (coalesce($9::uuid, gen_random_uuid()), $1, $2, $3, $4, $5, $6, $7, $8) RETURNING id`,
    [
      row.webhookId,
      row.accountId,
      row.eventPks.length > 1 ? 'BATCH' : 'REALTIME',
      row.status ?? 'SUCCEEDED',
      row.eventPks.length,
      row.createdAt ?? new Date().toISOString(),
      row.lastError ?? null,
      row.cancelledBy ?? null,
      row.id ?? null,
    ],
  );
  const id: string = result.rows[0].id;
  await insertDeliveredItems(sql, {
    deliveryId: id,
    webhookId: row.webhookId,
    accountId: row.accountId,
    kind: row.eventPks.length > 1 ? 'BATCH' : 'REALTIME',
    eventPks: row.eventPks,
  });
  return id;
}

export interface AttemptRow {
  deliveryId: string;
  attemptNumber: number;
  durationMs?: number;
  statusCode?: number | null;
  error?: string | null;
  responseSnippet?: string | null;
}

/** One attempt of a delivery, started now. */
export async function insertAttemptRow(sql: Client, row: AttemptRow): Promise<void> {
  await sql.query(
    `INSERT INTO delivery_attempts (delivery_id, attempt_number, started_at, duration_ms, status_code, error, response_snippet)
     VALUES ($1, $2, now(), $3, $4, $5, $6)`,
    [
      row.deliveryId,
      row.attemptNumber,
      row.durationMs ?? 12,
      row.statusCode ?? null,
      row.error ?? null,
      row.responseSnippet ?? null,
    ],
  );
}
