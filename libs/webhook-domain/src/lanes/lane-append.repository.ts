import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import type { DataSource, EntityManager } from 'typeorm';
import type { DeliveryKind } from '../entities/delivery.entity';
import { returnedRows } from '../database/returned-rows';
import type { LaneKey, WokenLane } from './lane-key';

/** One event of an ingested batch, as the store statement takes it. */
export interface IngestedEvent {
  accountId: number;
  eventId: string;
  eventName: string;
  realtime: boolean;
  occurredAt: number;
  eventInfo: string;
  dataJson: string;
  sourcePartition: number;
  sourceOffset: string;
  /** The W3C traceparent the event was ingested under (tracing), when there is one. */
  traceParent?: string | null;
}

/** A webhook that receives an event if the event is new; `order` is the event's place in its partition. */
export interface LaneTarget {
  accountId: number;
  eventId: string;
  /** The event's timestamp: with the account and event id, what names one stored event. */
  occurredAt: number;
  webhookId: string;
  kind: DeliveryKind;
  order: number;
}

export interface IngestedBatch {
  /** Events this batch inserted (the others were already stored). */
  inserted: number;
  /** Lane items appended. */
  appended: number;
  woken: WokenLane[];
}

/** The Postgres channel on which a commit that woke lanes tells the dispatchers (payload: LaneWakeUp). */
export const LANE_WAKE_CHANNEL = 'lmsw_lane_wake';

// Adding to a lane: its row is locked (FOR NO KEY UPDATE, in (webhook_id, kind) order, the order
// advance_lanes locks in, so the two cannot deadlock) BEFORE its items get their ids, and held until
// the commit. That is what lets the lane step read through a cursor (lane-protocol-v3.sql): an item
// it cannot see yet belongs to an adder holding the lock it waits for. The lock is held for one
// statement (ingestion) or one short transaction (redeliver, replay, release); a step holds it for
// its own statement.
// Then idle lanes are flipped to busy, and every touched lane is announced on LANE_WAKE_CHANNEL,
// woken or not; Postgres delivers the notification when (and only if) the transaction commits. A
// driver whose claim ran before this commit and found the lane empty is told after it, and claims
// again (LaneDriver), and a lane that went idle meanwhile is claimed by its owner.
// `activated_by = txid_current()` names the activation of a woken lane.
const LOCK_LANES = (lanes: string) => `
  SELECT l.webhook_id, l.kind FROM lanes l
   WHERE (l.webhook_id, l.kind) IN (${lanes})
   ORDER BY l.webhook_id, l.kind
     FOR NO KEY UPDATE OF l`;

// Three CTEs for the top level of a statement (a data-modifying CTE cannot be nested), after the
// lanes are locked: `touched` is one row per touched lane, with `woken` true where this transaction
// flipped it.
const WAKE_LANES = (touchedLanes: string) => `
  touching AS (${touchedLanes}),
  flipped AS (
    UPDATE lanes l SET busy = true, activated_by = txid_current(), activations = l.activations + 1, updated_at = now()
      FROM touching t
     WHERE l.webhook_id = t.webhook_id AND l.kind = t.kind AND NOT l.busy
    RETURNING l.webhook_id, l.kind, l.activated_by::text AS activation
  ),
  touched AS (
    SELECT t.webhook_id, t.kind, f.activation, f.webhook_id IS NOT NULL AS woken,
           pg_notify('${LANE_WAKE_CHANNEL}',
                     t.webhook_id || ':' || t.kind || ':' || floor(extract(epoch FROM clock_timestamp()) * 1000)::bigint) AS announced
      FROM touching t LEFT JOIN flipped f ON f.webhook_id = t.webhook_id AND f.kind = t.kind
  )`;

// One statement stores a whole Kafka batch: the events, then, for the events that were new, one lane
// item per subscribed active webhook, in the order the events came off the partition (after locking
// those lanes: see LOCK_LANES), then the wake-up of the real-time lanes it touched (BATCH items wait
// for the release). Each item carries its event's size in a request body (lane_event_body_bytes),
// which the lane step sums to keep a request under the byte cap: measured here, while the text is at
// hand (measuring a stored 1 MiB value later means reading it back). Data-modifying CTEs run as one
// implicit transaction: all or nothing, one round trip, one commit. The join with webhooks re-checks
// each target against the row itself: a webhook deactivated a moment ago gets nothing.
const STORE_INGESTED_BATCH = `
  WITH new_events AS (
    INSERT INTO events (account_id, event_id, event_name, realtime, occurred_at, event_info, data, data_bytes, source_partition, source_offset, trace_parent)
    SELECT t.account_id, t.event_id, t.event_name, t.realtime, t.occurred_at, t.event_info, t.data::json, octet_length(t.data), t.source_partition, t.source_offset, t.trace_parent
      FROM unnest($1::bigint[], $2::text[], $3::text[], $4::boolean[], $5::bigint[], $6::text[], $7::text[], $8::int[], $9::bigint[], $15::text[])
        AS t(account_id, event_id, event_name, realtime, occurred_at, event_info, data, source_partition, source_offset, trace_parent)
    ON CONFLICT (account_id, event_id, occurred_at) DO NOTHING
    RETURNING id, account_id, event_id, occurred_at,
              lane_event_body_bytes(data_bytes, data, event_id, event_name, event_info) AS body_bytes
  ),
  targets AS (
    SELECT t.webhook_id, t.kind, e.id AS event_pk, e.occurred_at, e.account_id, e.body_bytes, t.ord
      FROM unnest($10::bigint[], $11::text[], $16::bigint[], $12::uuid[], $13::text[], $14::int[])
        AS t(account_id, event_id, occurred_at, webhook_id, kind, ord)
      JOIN new_events e ON e.account_id = t.account_id AND e.event_id = t.event_id AND e.occurred_at = t.occurred_at
      JOIN webhooks w ON w.id = t.webhook_id AND w.status = 'ACTIVE' AND w.deleted_at IS NULL
  ),
  locked AS (${LOCK_LANES(`SELECT webhook_id, kind FROM targets`)}),
  appended AS (
    INSERT INTO lane_items (webhook_id, kind, event_pk, event_occurred_at, account_id, body_bytes)
    SELECT t.webhook_id, t.kind, t.event_pk, t.occurred_at, t.account_id, t.body_bytes
      FROM targets t JOIN locked l ON l.webhook_id = t.webhook_id AND l.kind = t.kind
     ORDER BY t.ord
    RETURNING webhook_id, kind
  ),
  ${WAKE_LANES(`SELECT DISTINCT webhook_id, kind FROM appended WHERE kind = 'REALTIME'`)}
  SELECT (SELECT count(*) FROM new_events)::int AS inserted,
         (SELECT count(*) FROM appended)::int AS appended,
         (SELECT coalesce(json_agg(json_build_object('webhookId', webhook_id, 'kind', kind, 'activation', activation)), '[]')
            FROM touched WHERE woken) AS woken`;

/**
 * Adds work to lanes: ingestion's store, redeliver and replay, the batch release, and leaving service
 * (the cursor moves past what waits). Every adder locks the lane rows before its items get ids and
 * announces the lanes it touched (LOCK_LANES, WAKE_LANES): the rules are in ./README.md.
 */
@Injectable()
export class LaneAppendRepository {
  constructor(@InjectDataSource() private readonly dataSource: DataSource) {}

  /** Events plus their lane items, in one statement; answers which real-time lanes it woke. */
  async storeIngestedBatch(
    events: readonly IngestedEvent[],
    targets: readonly LaneTarget[],
  ): Promise<IngestedBatch> {
    if (events.length === 0) return { inserted: 0, appended: 0, woken: [] };
    const [row] = await this.dataSource.query<
      Array<{ inserted: number; appended: number; woken: WokenLane[] }>
    >(STORE_INGESTED_BATCH, [
      events.map((event) => String(event.accountId)),
      events.map((event) => event.eventId),
      events.map((event) => event.eventName),
      events.map((event) => event.realtime),
      events.map((event) => event.occurredAt),
      events.map((event) => event.eventInfo),
      events.map((event) => event.dataJson),
      events.map((event) => event.sourcePartition),
      events.map((event) => event.sourceOffset),
      targets.map((target) => String(target.accountId)),
      targets.map((target) => target.eventId),
      targets.map((target) => target.webhookId),
      targets.map((target) => target.kind),
      targets.map((target) => target.order),
      events.map((event) => event.traceParent ?? null),
      targets.map((target) => target.occurredAt),
    ]);
    return { inserted: row.inserted, appended: row.appended, woken: row.woken };
  }

  /**
   * BATCH_CRON: releases every waiting non-real-time item and wakes its lanes, in the caller's
   * transaction (which holds the release lock: one releaser across replicas).
   */
  async releaseBatchLanes(manager: EntityManager): Promise<{ released: number; woken: WokenLane[] }> {
    // The BATCH lanes with items past their release mark, locked in one order, released up to their
    // last item: a lane goes out in order, so the mark releases everything before it.
    const rows = returnedRows<{ webhook_id: string; released: number }>(
      await manager.query(
        `WITH waiting AS (
           SELECT l.webhook_id FROM lanes l
            WHERE l.kind = 'BATCH'
              AND EXISTS (SELECT 1 FROM lane_items li WHERE li.webhook_id = l.webhook_id AND li.kind = 'BATCH'
                                                        AND li.id > greatest(l.claimed_upto, l.released_upto))
         ),
         locked AS (${LOCK_LANES(`SELECT webhook_id, 'BATCH' FROM waiting`)}),
         marked AS (
           SELECT k.webhook_id, l.released_upto AS released_from, l.claimed_upto,
                  (SELECT max(li.id) FROM lane_items li WHERE li.webhook_id = k.webhook_id AND li.kind = 'BATCH') AS top
             FROM locked k JOIN lanes l ON l.webhook_id = k.webhook_id AND l.kind = 'BATCH'
         )
         UPDATE lanes l SET released_upto = m.top
           FROM marked m
          WHERE l.webhook_id = m.webhook_id AND l.kind = 'BATCH' AND m.top > l.released_upto
         RETURNING l.webhook_id,
                   (SELECT count(*)::int FROM lane_items li
                     WHERE li.webhook_id = m.webhook_id AND li.kind = 'BATCH'
                       AND li.id > greatest(m.claimed_upto, m.released_from) AND li.id <= m.top) AS released`,
      ),
    );
    const woken = await this.wake(
      manager,
      rows.map((row) => ({ webhookId: row.webhook_id, kind: 'BATCH' as const })),
    );
    return { released: rows.reduce((sum, row) => sum + row.released, 0), woken };
  }

  /**
   * Appends events to a lane (redeliver, replay) in the caller's transaction and wakes it. Real-time
   * items are released at once; BATCH items wait for the next release unless `releaseNow`.
   */
  async append(
    manager: EntityManager,
    lane: LaneKey,
    eventPks: readonly number[],
    options: { releaseNow: boolean; redeliveryOf?: string },
  ): Promise<{ appended: number; woken: WokenLane[] }> {
    if (eventPks.length === 0) return { appended: 0, woken: [] };
    // The lane row first, then the items' ids (LOCK_LANES), both held until the caller commits. The
    // events are found by id alone, which probes each day's partition of events: admin requests only.
    await manager.query(LOCK_LANES(`VALUES ($1::uuid, $2::text)`), [lane.webhookId, lane.kind]);
    const [added] = await manager.query<Array<{ appended: number; last: string | null }>>(
      `WITH added AS (
         INSERT INTO lane_items (webhook_id, kind, event_pk, event_occurred_at, account_id, redelivery_of, body_bytes)
         SELECT $1, $2, e.id, e.occurred_at, e.account_id, $4,
                lane_event_body_bytes(e.data_bytes, e.data, e.event_id, e.event_name, e.event_info)
           FROM unnest($3::bigint[]) WITH ORDINALITY AS t(event_pk, ord)
           JOIN events e ON e.id = t.event_pk
          ORDER BY t.ord
         RETURNING id
       )
       SELECT count(*)::int AS appended, max(id)::text AS last FROM added`,
      [lane.webhookId, lane.kind, eventPks, options.redeliveryOf ?? null],
    );
    const releaseNow = options.releaseNow || lane.kind === 'REALTIME';
    if (releaseNow && lane.kind === 'BATCH' && added.last !== null) {
      // Released up to its last item: a lane goes out in order, so what waited before it goes with it.
      await manager.query(
        `UPDATE lanes SET released_upto = greatest(released_upto, $3::bigint) WHERE webhook_id = $1 AND kind = $2`,
        [lane.webhookId, lane.kind, added.last],
      );
    }
    const woken = releaseNow ? await this.wake(manager, [lane]) : [];
    return { appended: added.appended, woken };
  }

  /**
   * Retire, delete, 410, auto-disable: the lanes' waiting events go and the lanes go idle, in the
   * caller's transaction, after it cancelled the open deliveries (so a re-activated webhook's first
   * event wakes its lane at once).
   */
  async dropPending(manager: EntityManager, webhookIds: readonly string[]): Promise<number> {
    if (webhookIds.length === 0) return 0;
    // The cursor moves past the last item (nothing is deleted: the log is append-only).
    const rows = returnedRows<{ dropped: number }>(
      await manager.query(
        `WITH locked AS (${LOCK_LANES(`SELECT id, kind FROM webhooks CROSS JOIN (VALUES ('REALTIME'), ('BATCH')) k(kind)
                                        WHERE id = ANY($1::uuid[])`)}),
         last AS (
           SELECT k.webhook_id, k.kind, l.claimed_upto,
                  (SELECT max(li.id) FROM lane_items li WHERE li.webhook_id = k.webhook_id AND li.kind = k.kind) AS top
             FROM locked k JOIN lanes l ON l.webhook_id = k.webhook_id AND l.kind = k.kind
         )
         UPDATE lanes l SET busy = false, updated_at = now(), claimed_upto = greatest(l.claimed_upto, coalesce(t.top, 0))
           FROM last t
          WHERE l.webhook_id = t.webhook_id AND l.kind = t.kind
         RETURNING (SELECT count(*)::int FROM lane_items li
                     WHERE li.webhook_id = t.webhook_id AND li.kind = t.kind
                       AND li.id > t.claimed_upto AND li.id <= t.top) AS dropped`,
        [webhookIds],
      ),
    );
    return rows.reduce((sum, row) => sum + row.dropped, 0);
  }

  /**
   * Flips the idle ones of `lanes` to busy and announces them all. The caller's transaction already
   * holds their rows' locks (LOCK_LANES, taken before it added their items), so they are not locked again.
   */
  private async wake(manager: EntityManager, lanes: readonly LaneKey[]): Promise<WokenLane[]> {
    if (lanes.length === 0) return [];
    const rows = returnedRows<{ webhook_id: string; kind: DeliveryKind; activation: string; woken: boolean }>(
      await manager.query(
        `WITH ${WAKE_LANES(
          `SELECT DISTINCT u.webhook_id, u.kind FROM unnest($1::uuid[], $2::text[]) AS u(webhook_id, kind)`,
        )} SELECT webhook_id, kind, activation, woken FROM touched`,
        [lanes.map((lane) => lane.webhookId), lanes.map((lane) => lane.kind)],
      ),
    );
    return rows
      .filter((row) => row.woken)
      .map((row) => ({ webhookId: row.webhook_id, kind: row.kind, activation: row.activation }));
  }
}
