import type { Client } from 'pg';

/** A pg Client or Pool: what these helpers need of it. */
type Sql = Pick<Client, 'query'>;

export interface LaneItemRows {
  webhookId: string;
  accountId: number;
  kind: 'REALTIME' | 'BATCH';
  /** In lane order. */
  eventPks: number[];
  /** Default: REALTIME items are released at once, BATCH ones wait for the release. */
  released?: boolean;
  redeliveryOf?: string | null;
  /** Default now. */
  createdAt?: string;
}

/**
 * Items waiting in a webhook's lane, as ingestion, redeliver and replay append them (the webhook's
 * lanes exist: a trigger creates them with the webhook). Marks the lane busy when anything is released,
 * as an appender would; no wake-up is queued. Returns the item ids in lane order.
 */
export async function insertLaneItemRows(sql: Sql, rows: LaneItemRows): Promise<number[]> {
  const released = rows.released ?? rows.kind === 'REALTIME';
  const result = await sql.query(
    `INSERT INTO lane_items (webhook_id, kind, event_pk, account_id, redelivery_of, created_at)
     SELECT $1, $2, t.event_pk, $3, $4, $5
       FROM unnest($6::bigint[]) WITH ORDINALITY AS t(event_pk, ord) ORDER BY t.ord
     RETURNING id`,
    [
      rows.webhookId,
      rows.kind,
      rows.accountId,
      rows.redeliveryOf ?? null,
      rows.createdAt ?? new Date().toISOString(),
      rows.eventPks,
    ],
  );
  const ids = result.rows.map((row: { id: string }) => Number(row.id)).sort((a, b) => a - b);
  if (released && ids.length > 0) {
    // A BATCH lane releases up to a mark (what waited before goes too, as the release does).
    await sql.query(
      `UPDATE lanes SET busy = true, released_upto = CASE WHEN kind = 'BATCH' THEN greatest(released_upto, $3) ELSE released_upto END
        WHERE webhook_id = $1 AND kind = $2`,
      [rows.webhookId, rows.kind, ids[ids.length - 1]],
    );
  }
  return ids;
}

export interface DeliveredItems {
  deliveryId: string;
  webhookId: string;
  accountId: number;
  kind: 'REALTIME' | 'BATCH';
  /** In request order. */
  eventPks: number[];
  /** The items' age in days (default: made now). */
  ageDays?: number;
}

/**
 * A delivery's events as the lane step leaves them (lane-protocol-v3.sql): items of its lane already
 * taken (the lane's cursor moves past them) and named by the delivery's range. Refuses a lane with
 * items waiting: moving its cursor past them would take them out of the lane.
 */
export async function insertDeliveredItems(sql: Sql, delivered: DeliveredItems): Promise<void> {
  if (delivered.eventPks.length === 0) return;
  const waiting = await sql.query(
    `SELECT count(*)::int AS n FROM lane_waiting_items WHERE webhook_id = $1 AND kind = $2`,
    [delivered.webhookId, delivered.kind],
  );
  if (waiting.rows[0].n > 0) {
    throw new Error('insertDeliveredItems: the lane has waiting items; insert the deliveries before them');
  }
  await sql.query(
    `WITH items AS (
       INSERT INTO lane_items (webhook_id, kind, event_pk, account_id, created_at)
       SELECT $1, $2, t.event_pk, $3, now() - make_interval(days => $6)
         FROM unnest($4::bigint[]) WITH ORDINALITY AS t(event_pk, ord) ORDER BY t.ord
       RETURNING id
     ),
     range AS (SELECT min(id) AS first, max(id) AS last FROM items),
     ranged AS (UPDATE deliveries SET first_item_id = r.first, last_item_id = r.last FROM range r WHERE id = $5)
     UPDATE lanes l SET claimed_upto = greatest(l.claimed_upto, r.last) FROM range r
      WHERE l.webhook_id = $1 AND l.kind = $2`,
    [
      delivered.webhookId,
      delivered.kind,
      delivered.accountId,
      delivered.eventPks,
      delivered.deliveryId,
      delivered.ageDays ?? 0,
    ],
  );
}

export interface LaneItemRow {
  kind: string;
  event_pk: number;
  released: boolean;
  redelivery_of: string | null;
}

/** A webhook's waiting lane items (past its lanes' cursors), in lane order. */
export async function laneItemRows(sql: Sql, webhookId: string): Promise<LaneItemRow[]> {
  const result = await sql.query(
    `SELECT kind, event_pk::int AS event_pk, released, redelivery_of FROM lane_waiting_items WHERE webhook_id = $1 ORDER BY id`,
    [webhookId],
  );
  return result.rows;
}
