import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import type { DataSource } from 'typeorm';
import type { SourcedEvent } from './sourced-event';

/**
 * A webhook that would receive an event if the event is new: the delivery id is drawn up front, and is
 * simply not used when the event turns out to be a duplicate.
 */
export interface DeliveryTarget {
  accountId: number;
  eventId: string;
  webhookId: string;
  deliveryId: string;
  realtime: boolean;
}

export interface StoredBatch {
  /** Events this batch inserted (the others were already stored). */
  inserted: number;
  realtimeDeliveryIds: string[];
  batchItems: number;
}

// One statement stores a whole Kafka batch: the events, then, for the events that were new, a delivery
// per target (real-time) or a batch item (the others). Data-modifying CTEs run as one implicit
// transaction: all or nothing, one round trip and one commit. Columns travel as arrays and are
// unnested, so the statement has one plan shape and no bind-parameter limit whatever the batch size.
// The join with webhooks re-checks each target against the row itself: a webhook deactivated a moment
// ago (its notification still on the way to the subscription cache) gets nothing.
const STORE_BATCH = `
  WITH new_events AS (
    INSERT INTO events (account_id, event_id, event_name, realtime, occurred_at, event_info, data, source_partition, source_offset)
    SELECT t.account_id, t.event_id, t.event_name, t.realtime, t.occurred_at, t.event_info, t.data::json, t.source_partition, t.source_offset
      FROM unnest($1::bigint[], $2::text[], $3::text[], $4::boolean[], $5::bigint[], $6::text[], $7::text[], $8::int[], $9::bigint[])
        AS t(account_id, event_id, event_name, realtime, occurred_at, event_info, data, source_partition, source_offset)
    ON CONFLICT (account_id, event_id) DO NOTHING
    RETURNING id, account_id, event_id, occurred_at
  ),
  live_targets AS (
    SELECT t.delivery_id, t.webhook_id, t.realtime, e.id AS event_pk, e.account_id, e.occurred_at
      FROM unnest($10::bigint[], $11::text[], $12::uuid[], $13::uuid[], $14::boolean[])
        AS t(account_id, event_id, webhook_id, delivery_id, realtime)
      JOIN new_events e ON e.account_id = t.account_id AND e.event_id = t.event_id
      JOIN webhooks w ON w.id = t.webhook_id AND w.status = 'ACTIVE' AND w.deleted_at IS NULL
  ),
  created AS (
    INSERT INTO deliveries (id, webhook_id, account_id, kind, status, event_count)
    SELECT delivery_id, webhook_id, account_id, 'REALTIME', 'PENDING', 1 FROM live_targets WHERE realtime
    RETURNING id
  ),
  linked AS (
    INSERT INTO delivery_events (delivery_id, position, event_pk)
    SELECT l.delivery_id, 0, l.event_pk FROM live_targets l JOIN created c ON c.id = l.delivery_id
  ),
  queued AS (
    INSERT INTO batch_items (webhook_id, event_pk, account_id, occurred_at)
    SELECT webhook_id, event_pk, account_id, occurred_at FROM live_targets WHERE NOT realtime
    ON CONFLICT (webhook_id, event_pk) DO NOTHING
    RETURNING webhook_id
  )
  SELECT (SELECT count(*) FROM new_events)::int AS inserted,
         (SELECT coalesce(array_agg(id), '{}') FROM created) AS delivery_ids,
         (SELECT count(*) FROM queued)::int AS batch_items`;

/** The set-based statement that stores one Kafka batch. */
@Injectable()
export class EventBatchRepository {
  constructor(@InjectDataSource() private readonly dataSource: DataSource) {}

  async storeBatch(
    events: readonly SourcedEvent[],
    targets: readonly DeliveryTarget[],
  ): Promise<StoredBatch> {
    if (events.length === 0) return { inserted: 0, realtimeDeliveryIds: [], batchItems: 0 };
    const [row] = await this.dataSource.query<
      Array<{ inserted: number; delivery_ids: string[]; batch_items: number }>
    >(STORE_BATCH, [
      events.map(({ event }) => String(event.accountId)),
      events.map(({ event }) => event.eventId),
      events.map(({ event }) => event.eventName),
      events.map(({ event }) => event.realtime),
      events.map(({ event }) => event.timestamp),
      events.map(({ event }) => event.eventInfo),
      events.map(({ event }) => event.dataJson),
      events.map(({ partition }) => partition),
      events.map(({ offset }) => offset),
      targets.map((target) => String(target.accountId)),
      targets.map((target) => target.eventId),
      targets.map((target) => target.webhookId),
      targets.map((target) => target.deliveryId),
      targets.map((target) => target.realtime),
    ]);
    return { inserted: row.inserted, realtimeDeliveryIds: row.delivery_ids, batchItems: row.batch_items };
  }
}

export function eventKey(accountId: number, eventId: string): string {
  return `${accountId}\u0000${eventId}`;
}
