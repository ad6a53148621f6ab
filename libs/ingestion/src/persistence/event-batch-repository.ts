import { Injectable } from '@nestjs/common';
import type { QueryRunner } from 'typeorm';
import type { SourcedEvent } from './sourced-event';

/** An event row that this batch inserted (not a duplicate of one already stored). */
export interface InsertedEvent {
  pk: string;
  source: SourcedEvent;
}

export interface RealtimeDeliveryRow {
  id: string;
  webhookId: string;
  accountId: number;
  eventPk: string;
}

export interface BatchItemRow {
  webhookId: string;
  accountId: number;
  eventPk: string;
  occurredAt: number;
}

// Every statement takes whole columns as array parameters and unnests them: one statement per table
// per Kafka batch, whatever its size, with no limit on bind parameters and one cached plan shape.
const INSERT_EVENTS = `
  INSERT INTO events (account_id, event_id, event_name, realtime, occurred_at, event_info, data, source_partition, source_offset)
  SELECT t.account_id, t.event_id, t.event_name, t.realtime, t.occurred_at, t.event_info, t.data::json, t.source_partition, t.source_offset
    FROM unnest($1::bigint[], $2::text[], $3::text[], $4::boolean[], $5::bigint[], $6::text[], $7::text[], $8::int[], $9::bigint[])
      AS t(account_id, event_id, event_name, realtime, occurred_at, event_info, data, source_partition, source_offset)
  ON CONFLICT (account_id, event_id) DO NOTHING
  RETURNING id, account_id, event_id`;

// The join re-checks each webhook against the row itself, inside the transaction: a webhook
// deactivated a moment ago (notification still in flight to the cache) gets nothing.
const INSERT_REALTIME_DELIVERIES = `
  WITH created AS (
    INSERT INTO deliveries (id, webhook_id, account_id, kind, status, event_count)
    SELECT t.id, t.webhook_id, t.account_id, 'REALTIME', 'PENDING', 1
      FROM unnest($1::uuid[], $2::uuid[], $3::bigint[]) AS t(id, webhook_id, account_id)
      JOIN webhooks w ON w.id = t.webhook_id AND w.status = 'ACTIVE' AND w.deleted_at IS NULL
    RETURNING id
  )
  INSERT INTO delivery_events (delivery_id, position, event_pk)
  SELECT t.id, 0, t.event_pk
    FROM unnest($1::uuid[], $4::bigint[]) AS t(id, event_pk)
    JOIN created c ON c.id = t.id
  RETURNING delivery_id`;

const INSERT_BATCH_ITEMS = `
  INSERT INTO batch_items (webhook_id, event_pk, account_id, occurred_at)
  SELECT t.webhook_id, t.event_pk, t.account_id, t.occurred_at
    FROM unnest($1::uuid[], $2::bigint[], $3::bigint[], $4::bigint[]) AS t(webhook_id, event_pk, account_id, occurred_at)
    JOIN webhooks w ON w.id = t.webhook_id AND w.status = 'ACTIVE' AND w.deleted_at IS NULL
  ON CONFLICT (webhook_id, event_pk) DO NOTHING
  RETURNING webhook_id`;

/** The set-based statements that store one Kafka batch. Callers own the transaction. */
@Injectable()
export class EventBatchRepository {
  /** Inserts the events; those already stored (same accountId + eventId) are left out of the answer. */
  async insertEvents(runner: QueryRunner, events: readonly SourcedEvent[]): Promise<InsertedEvent[]> {
    if (events.length === 0) return [];
    const rows = (await runner.query(INSERT_EVENTS, [
      events.map(({ event }) => String(event.accountId)),
      events.map(({ event }) => event.eventId),
      events.map(({ event }) => event.eventName),
      events.map(({ event }) => event.realtime),
      events.map(({ event }) => event.timestamp),
      events.map(({ event }) => event.eventInfo),
      events.map(({ event }) => JSON.stringify(event.data)),
      events.map(({ partition }) => partition),
      events.map(({ offset }) => offset),
    ])) as Array<{ id: string; account_id: string; event_id: string }>;
    const byKey = new Map(
      events.map((source) => [eventKey(source.event.accountId, source.event.eventId), source]),
    );
    return rows.map((row) => ({
      pk: String(row.id),
      source: byKey.get(eventKey(Number(row.account_id), row.event_id))!,
    }));
  }

  /** Inserts real-time deliveries with their one delivery_events row; answers the ids created. */
  async insertRealtimeDeliveries(
    runner: QueryRunner,
    deliveries: readonly RealtimeDeliveryRow[],
  ): Promise<string[]> {
    if (deliveries.length === 0) return [];
    const rows = (await runner.query(INSERT_REALTIME_DELIVERIES, [
      deliveries.map((delivery) => delivery.id),
      deliveries.map((delivery) => delivery.webhookId),
      deliveries.map((delivery) => String(delivery.accountId)),
      deliveries.map((delivery) => delivery.eventPk),
    ])) as Array<{ delivery_id: string }>;
    return rows.map((row) => row.delivery_id);
  }

  /** Queues non-real-time events for their webhooks' next batch flush; answers how many were added. */
  async insertBatchItems(runner: QueryRunner, items: readonly BatchItemRow[]): Promise<number> {
    if (items.length === 0) return 0;
    const rows = (await runner.query(INSERT_BATCH_ITEMS, [
      items.map((item) => item.webhookId),
      items.map((item) => item.eventPk),
      items.map((item) => String(item.accountId)),
      items.map((item) => item.occurredAt),
    ])) as unknown[];
    return rows.length;
  }
}

export function eventKey(accountId: number, eventId: string): string {
  return `${accountId}\u0000${eventId}`;
}
