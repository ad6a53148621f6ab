import type { Client } from 'pg';

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
export async function insertLaneItemRows(sql: Client, rows: LaneItemRows): Promise<number[]> {
  const released = rows.released ?? rows.kind === 'REALTIME';
  const result = await sql.query(
    `INSERT INTO lane_items (webhook_id, kind, event_pk, account_id, released, redelivery_of, created_at)
     SELECT $1, $2, t.event_pk, $3, $4, $5, $6
       FROM unnest($7::bigint[]) WITH ORDINALITY AS t(event_pk, ord) ORDER BY t.ord
     RETURNING id`,
    [
      rows.webhookId,
      rows.kind,
      rows.accountId,
      released,
      rows.redeliveryOf ?? null,
      rows.createdAt ?? new Date().toISOString(),
      rows.eventPks,
    ],
  );
  if (released && rows.eventPks.length > 0) {
    await sql.query(`UPDATE lanes SET busy = true WHERE webhook_id = $1 AND kind = $2`, [
      rows.webhookId,
      rows.kind,
    ]);
  }
  return result.rows.map((row: { id: string }) => Number(row.id)).sort((a, b) => a - b);
}

export interface LaneItemRow {
  kind: string;
  event_pk: number;
  released: boolean;
  redelivery_of: string | null;
}

/** A webhook's lane items, in lane order. */
export async function laneItemRows(sql: Client, webhookId: string): Promise<LaneItemRow[]> {
  const result = await sql.query(
    `SELECT kind, event_pk::int AS event_pk, released, redelivery_of FROM lane_items WHERE webhook_id = $1 ORDER BY id`,
    [webhookId],
  );
  return result.rows;
}
