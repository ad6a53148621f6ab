import type { Client } from 'pg';

/** A pg Client or Pool: what these helpers need of it. */
type Sql = Pick<Client, 'query'>;

/**
 * What an item copies from its event when added (lane-append.repository.ts): the event's timestamp,
 * which with its id names it in the partitioned events table, and its size in a request body. Read
 * from an events row aliased `e`.
 */
export const ITEM_EVENT_COLUMNS = `e.occurred_at, lane_event_body_bytes(e.data_bytes, e.data, e.event_id, e.event_name, e.event_info)`;

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
    `INSERT INTO lane_items (webhook_id, kind, event_pk, account_id, redelivery_of, created_at, event_occurred_at, body_bytes)
     SELECT $1, $2, t.event_pk, $3, $4, $5, ${ITEM_EVENT_COLUMNS}
       FROM unnest($6::bigint[]) WITH ORDINALITY AS t(event_pk, ord) JOIN events e ON e.id = t.event_pk
      ORDER BY t.ord
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
 * taken (the lane's cursor moves past them) and named by the delivery's range. Items waiting in the
 * lane stay waiting: they are appended again after the delivered ones, in their order.
 */
export async function insertDeliveredItems(sql: Sql, delivered: DeliveredItems): Promise<void> {
  if (delivered.eventPks.length === 0) return;
  const lane = [delivered.webhookId, delivered.kind];
  const waiting = await sql.query(
    `DELETE FROM lane_items li USING lanes l
      WHERE l.webhook_id = $1 AND l.kind = $2 AND li.webhook_id = l.webhook_id AND li.kind = l.kind
        AND li.id > l.claimed_upto
     RETURNING li.id, li.event_pk, li.event_occurred_at, li.account_id, li.redelivery_of, li.body_bytes, li.created_at`,
    lane,
  );
  const items = await sql.query(
    `INSERT INTO lane_items (webhook_id, kind, event_pk, account_id, created_at, event_occurred_at, body_bytes)
     SELECT $1, $2, t.event_pk, $3, now() - make_interval(days => $5), ${ITEM_EVENT_COLUMNS}
       FROM unnest($4::bigint[]) WITH ORDINALITY AS t(event_pk, ord) JOIN events e ON e.id = t.event_pk
      ORDER BY t.ord
     RETURNING id`,
    [...lane, delivered.accountId, delivered.eventPks, delivered.ageDays ?? 0],
  );
  const ids = items.rows.map((row: { id: string }) => Number(row.id));
  const [first, last] = [Math.min(...ids), Math.max(...ids)];
  await sql.query(`UPDATE deliveries SET first_item_id = $2, last_item_id = $3 WHERE id = $1`, [
    delivered.deliveryId,
    first,
    last,
  ]);
  await sql.query(
    `UPDATE lanes SET claimed_upto = greatest(claimed_upto, $3) WHERE webhook_id = $1 AND kind = $2`,
    [...lane, last],
  );
  const again = [...waiting.rows].sort((a, b) => Number(a.id) - Number(b.id));
  await sql.query(
    `INSERT INTO lane_items (webhook_id, kind, event_pk, event_occurred_at, account_id, redelivery_of, body_bytes, created_at)
     SELECT $1, $2, t.event_pk, t.event_occurred_at, t.account_id, t.redelivery_of, t.body_bytes, t.created_at
       FROM unnest($3::bigint[], $8::bigint[], $4::bigint[], $5::uuid[], $6::int[], $7::timestamptz[])
            WITH ORDINALITY AS t(event_pk, event_occurred_at, account_id, redelivery_of, body_bytes, created_at, ord)
      ORDER BY t.ord`,
    [
      ...lane,
      again.map((row) => row.event_pk),
      again.map((row) => row.account_id),
      again.map((row) => row.redelivery_of),
      again.map((row) => row.body_bytes),
      again.map((row) => row.created_at),
      again.map((row) => row.event_occurred_at),
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
