import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import type { DataSource, EntityManager } from 'typeorm';
import { OPEN_DELIVERY_STATUSES, type DeliveryKind, type DeliveryStatus } from '../entities/delivery.entity';

/** One attempt of one request, as the dispatcher records it. */
export interface AttemptRecord {
  startedAt: Date;
  durationMs: number;
  statusCode: number | null;
  error: string | null;
  responseSnippet: string;
  /** The trace id of the attempt's span, when the dispatcher traces (delivery_attempts.trace_id). */
  traceId?: string | null;
}

export interface DeliveryOutcome {
  deliveryId: string;
  webhookId: string;
  status: Extract<DeliveryStatus, 'SUCCEEDED' | 'RETRYING' | 'DEAD'>;
  attempt: AttemptRecord;
  /** RETRYING only. */
  nextAttemptAt?: Date;
  /** DEAD only, when the reason is not the attempt's own error. */
  deadReason?: string;
}

export interface WrittenOutcome {
  /** The status now in the row: a delivery cancelled while it was being sent stays CANCELLED. */
  status: DeliveryStatus;
  attemptNumber: number;
}

/** First and latest attempts kept per delivery: a week-long outage must not grow the table without bound. */
export const KEEP_FIRST_ATTEMPTS = 5;
export const KEEP_LATEST_ATTEMPTS = 20;

/** A webhook's REALTIME or BATCH lane. */
export interface LaneKey {
  webhookId: string;
  kind: DeliveryKind;
}

/** A lane this transaction flipped from idle to busy: its owner must queue exactly this wake-up. */
export interface WokenLane extends LaneKey {
  /** The flipping transaction: a wake-up's job id is unique per activation, so repeats are no-ops. */
  activation: string;
}

/** One event of a claimed request, as the request body carries it (`dataJson` = the stored text). */
export interface ClaimedEvent {
  eventId: string;
  eventName: string;
  timestamp: number;
  eventInfo: string;
  dataJson: string;
  /** The W3C traceparent the event was ingested under (tracing), when there is one. */
  traceParent?: string;
}

/** A request a claim created (PENDING), with everything needed to send it. */
export interface ClaimedRequest extends LaneKey {
  deliveryId: string;
  accountId: number;
  attemptCount: number;
  createdAt: Date;
  /** In position order. */
  events: ClaimedEvent[];
}

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

/** A request of a lane that is still open (PENDING or RETRYING). */
export interface LaneRequestView {
  deliveryId: string;
  status: DeliveryStatus;
  eventCount: number;
  attemptCount: number;
  nextAttemptAt: Date;
}

/** A lane as admins see it: what waits in it, what is on its way, and whether its head keeps failing. */
export interface LaneView {
  kind: DeliveryKind;
  /** Released items not yet in a request: they leave as soon as the lane has a free slot. */
  pendingEvents: number;
  /** BATCH items waiting for the next release (BATCH_CRON); always 0 on a REALTIME lane. */
  heldEvents: number;
  /** How long the oldest pending item has been in the lane; null when none is pending. */
  oldestPendingAgeMs: number | null;
  /** Its open requests, oldest first (at most LANE_VIEW_MAX_IN_FLIGHT). */
  inFlight: LaneRequestView[];
  /** When the oldest open request that has failed first failed; null while none has. */
  blockedSince: Date | null;
}

/** webhooks.max_in_flight's ceiling: a lane never has more open requests, except rows from before lanes. */
export const LANE_VIEW_MAX_IN_FLIGHT = 50;

/** "Open" in SQL: a request still to be sent or retried (OPEN_DELIVERY_STATUSES). */
const OPEN_STATUSES_SQL = `(${OPEN_DELIVERY_STATUSES.map((status) => `'${status}'`).join(', ')})`;

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
    ON CONFLICT (account_id, event_id) DO NOTHING
    RETURNING id, account_id, event_id,
              lane_event_body_bytes(data_bytes, data, event_id, event_name, event_info) AS body_bytes
  ),
  targets AS (
    SELECT t.webhook_id, t.kind, e.id AS event_pk, e.account_id, e.body_bytes, t.ord
      FROM unnest($10::bigint[], $11::text[], $12::uuid[], $13::text[], $14::int[])
        AS t(account_id, event_id, webhook_id, kind, ord)
      JOIN new_events e ON e.account_id = t.account_id AND e.event_id = t.event_id
      JOIN webhooks w ON w.id = t.webhook_id AND w.status = 'ACTIVE' AND w.deleted_at IS NULL
  ),
  locked AS (${LOCK_LANES(`SELECT webhook_id, kind FROM targets`)}),
  appended AS (
    INSERT INTO lane_items (webhook_id, kind, event_pk, account_id, body_bytes)
    SELECT t.webhook_id, t.kind, t.event_pk, t.account_id, t.body_bytes
      FROM targets t JOIN locked l ON l.webhook_id = t.webhook_id AND l.kind = t.kind
     ORDER BY t.ord
    RETURNING webhook_id, kind
  ),
  ${WAKE_LANES(`SELECT DISTINCT webhook_id, kind FROM appended WHERE kind = 'REALTIME'`)}
  SELECT (SELECT count(*) FROM new_events)::int AS inserted,
         (SELECT count(*) FROM appended)::int AS appended,
         (SELECT coalesce(json_agg(json_build_object('webhookId', webhook_id, 'kind', kind, 'activation', activation)), '[]')
            FROM touched WHERE woken) AS woken`;

// An attempt failed unless the listener answered 2xx (a timeout or a refused connection has no status).
const FAILED_ATTEMPT = (alias: string) =>
  `(${alias}.status_code IS NULL OR ${alias}.status_code NOT BETWEEN 200 AND 299)`;

/**
 * The one owner of lane writes: lane items, lane state, and the deliveries (with their events) that
 * lanes turn into requests. Every path that adds work to a lane (ingestion, redeliver, replay, the
 * batch release) adds it here and learns which lanes it woke; every path that moves a lane calls
 * advance(). The protocol that makes stranding impossible is described on the DeliveryLanes migration.
 */
@Injectable()
export class LaneRepository {
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
    ]);
    return { inserted: row.inserted, appended: row.appended, woken: row.woken };
  }

  /**
   * Moves lanes: creates the next requests of each (up to its free in-flight slots, each up to the
   * lane's events-per-request, fewer when its body would pass `maxRequestBytes`, never none) or sets it
   * idle, and answers them with their events (data as stored), so the dispatcher sends them without
   * reading them again. One round trip (lane_claim) for any number of lanes, locked in one order.
   */
  async claim(
    lanes: readonly LaneKey[],
    batchMaxEvents: number,
    maxRequestBytes: number,
    driver: number | null = null,
  ): Promise<ClaimedRequest[]> {
    if (lanes.length === 0) return [];
    const rows = await this.dataSource.query<ClaimRow[]>(
      `SELECT * FROM lane_claim($1::uuid[], $2::text[], $3::int, $4::bigint, $5::int)`,
      [
        lanes.map((lane) => lane.webhookId),
        lanes.map((lane) => lane.kind),
        batchMaxEvents,
        maxRequestBytes,
        driver,
      ],
    );
    return claimedRequests(rows);
  }

  /**
   * One round trip per request: records the outcomes (as recordOutcomes) and, in the same transaction,
   * claims the next requests of every lane whose request is finished (succeeded, dead, or cancelled
   * meanwhile), with their events. A RETRYING request keeps its lane blocked: nothing is claimed for it.
   *
   * When Postgres refuses an outcome's content, the outcomes are written by recordOutcomes (which
   * isolates the refused one) and the finished lanes claimed after it: two round trips, only then.
   */
  async recordAndClaim(
    outcomes: readonly DeliveryOutcome[],
    batchMaxEvents: number,
    maxRequestBytes: number,
    driver: number | null = null,
  ): Promise<{ written: WrittenOutcome[]; claimed: ClaimedRequest[] }> {
    if (outcomes.length === 0) return { written: [], claimed: [] };
    let rows: Array<ClaimRow & { row_kind: 'outcome' | 'claim'; status: DeliveryStatus }>;
    try {
      rows = await this.dataSource.query(
        `SELECT * FROM lane_record_and_claim(${OUTCOME_PARAMS}, $15::int, $16::bigint, $17::int)`,
        [
          ...outcomeParameters(outcomes, failingSinceChanges(outcomes)),
          batchMaxEvents,
          maxRequestBytes,
          driver,
        ],
      );
    } catch (error) {
      if (!isContentRefusal(error)) throw error;
      const written = await this.recordOutcomes(outcomes);
      const finished = outcomes
        .filter(
          (_, index) =>
            !OPEN_DELIVERY_STATUSES.includes(written[index].status) && written[index].attemptNumber > 0,
        )
        .map((o) => o.deliveryId);
      const lanes = await this.lanesOf(finished);
      return { written, claimed: await this.claim(lanes, batchMaxEvents, maxRequestBytes, driver) };
    }
    const byId = new Map(
      rows.filter((row) => row.row_kind === 'outcome').map((row) => [row.delivery_id, row]),
    );
    const written = outcomes.map((o): WrittenOutcome => {
      const row = byId.get(o.deliveryId);
      return row
        ? { status: row.status, attemptNumber: row.attempt_count }
        : { status: 'CANCELLED', attemptNumber: 0 };
    });
    return { written, claimed: claimedRequests(rows.filter((row) => row.row_kind === 'claim')) };
  }

  private async lanesOf(deliveryIds: readonly string[]): Promise<LaneKey[]> {
    if (deliveryIds.length === 0) return [];
    const rows = await this.dataSource.query<Array<{ webhook_id: string; kind: DeliveryKind }>>(
      `SELECT DISTINCT webhook_id, kind FROM deliveries WHERE id = ANY($1::uuid[])`,
      [deliveryIds],
    );
    return rows.map((row) => ({ webhookId: row.webhook_id, kind: row.kind }));
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
    // The lane row first, then the items' ids (LOCK_LANES), both held until the caller commits.
    await manager.query(LOCK_LANES(`VALUES ($1::uuid, $2::text)`), [lane.webhookId, lane.kind]);
    const [added] = await manager.query<Array<{ appended: number; last: string | null }>>(
      `WITH added AS (
         INSERT INTO lane_items (webhook_id, kind, event_pk, account_id, redelivery_of, body_bytes)
         SELECT $1, $2, e.id, e.account_id, $4,
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
   * A lane's open requests (to be sent or retried) that nobody will send unless queued again: not
   * driven by a live dispatcher (lane_request_orphaned), oldest first.
   */
  async orphanedOpenDeliveryIds(lane: LaneKey): Promise<string[]> {
    const rows = await this.dataSource.query<Array<{ id: string }>>(
      `SELECT id FROM deliveries WHERE webhook_id = $1 AND kind = $2 AND status IN ${OPEN_STATUSES_SQL}
          AND lane_request_orphaned(driven_by, updated_at, ARRAY(SELECT lane_live_drivers()))
        ORDER BY created_at`,
      [lane.webhookId, lane.kind],
    );
    return rows.map((row) => row.id);
  }

  /** The driver numbers of the dispatchers alive now (their driver locks), ascending. */
  async liveDrivers(): Promise<number[]> {
    const rows = await this.dataSource.query<Array<{ driver: number }>>(
      `SELECT d AS driver FROM lane_live_drivers() d ORDER BY d`,
    );
    return rows.map((row) => row.driver);
  }

  /**
   * Requests whose driver died with them in memory (PENDING, claimed by a dispatcher whose driver lock
   * is gone): the dispatchers' sweep queues them at once, instead of after the relay's grace.
   */
  async pendingOfDeadDrivers(limit: number, except: number | null = null): Promise<string[]> {
    const rows = await this.dataSource.query<Array<{ id: string }>>(
      `SELECT id FROM deliveries
        WHERE status = 'PENDING' AND driven_by IS NOT NULL AND driven_by IS DISTINCT FROM $2
          AND driven_by <> ALL (ARRAY(SELECT lane_live_drivers()))
        ORDER BY next_attempt_at LIMIT $1`,
      [limit, except],
    );
    return rows.map((row) => row.id);
  }

  /**
   * Busy lanes with no open delivery that have not moved for `graceMs`: their wake-up was lost (a crash
   * between commit and enqueue, a flushed Redis). The relay queues their wake-up again.
   */
  async stuckLanes(graceMs: number, limit: number): Promise<WokenLane[]> {
    const rows = await this.dataSource.query<
      Array<{ webhook_id: string; kind: DeliveryKind; activation: string }>
    >(
      `SELECT l.webhook_id, l.kind, l.activated_by::text AS activation FROM lanes l
        WHERE l.busy AND l.updated_at < now() - make_interval(secs => $1::double precision / 1000)
          AND NOT EXISTS (SELECT 1 FROM deliveries d WHERE d.webhook_id = l.webhook_id AND d.kind = l.kind
                                                       AND d.status IN ('PENDING', 'RETRYING'))
        ORDER BY l.updated_at LIMIT $2`,
      [graceMs, limit],
    );
    return rows.map((row) => ({ webhookId: row.webhook_id, kind: row.kind, activation: row.activation }));
  }

  /**
   * The outcomes of many requests (one per delivery id) in one round trip: the status update, the
   * attempt row, the trim of old attempts and the webhook's failing_since flip are data-modifying CTEs
   * of a single statement (one implicit transaction): one network exchange and one commit, not five.
   *
   * Outcomes are data from listeners of many accounts: when Postgres refuses the content of one
   * (SQLSTATE class 22 or 54), the batch is split until the refused outcome is alone; every other one
   * is written, and the refused one is written in its storable form (see storableOutcome), so its
   * delivery still gets its true status and its lane moves on. Each part is a statement of its own,
   * which is safe: the outcomes of one call are of distinct deliveries, and each is written once.
   */
  async recordOutcomes(outcomes: readonly DeliveryOutcome[]): Promise<WrittenOutcome[]> {
    // The failing_since flips are decided on the whole batch, so a split does not change them.
    const flips = failingSinceChanges(outcomes);
    const rows = await this.writeOutcomesSplittingRefused(outcomes, flips);
    const byId = new Map(rows.map((row) => [row.id, row]));
    return outcomes.map((o): WrittenOutcome => {
      const row = byId.get(o.deliveryId);
      // No row: the delivery vanished (retention, webhook deleted with cascade): nothing to record.
      return row
        ? { status: row.status, attemptNumber: row.attempt_count }
        : { status: 'CANCELLED', attemptNumber: 0 };
    });
  }

  private async writeOutcomesSplittingRefused(
    outcomes: readonly DeliveryOutcome[],
    flips: FailingSinceChanges,
  ): Promise<WrittenOutcomeRow[]> {
    try {
      return await this.writeOutcomes(outcomes, flips);
    } catch (error) {
      if (!isContentRefusal(error)) throw error;
      if (outcomes.length === 1) return this.writeOutcomes([storableOutcome(outcomes[0], error)], flips);
      const half = Math.ceil(outcomes.length / 2);
      const first = await this.writeOutcomesSplittingRefused(outcomes.slice(0, half), flips);
      const second = await this.writeOutcomesSplittingRefused(outcomes.slice(half), flips);
      return [...first, ...second];
    }
  }

  private async writeOutcomes(
    outcomes: readonly DeliveryOutcome[],
    flips: FailingSinceChanges,
  ): Promise<WrittenOutcomeRow[]> {
    return this.dataSource.query(
      `SELECT id, status, attempt_count FROM lane_record_outcomes(${OUTCOME_PARAMS})`,
      outcomeParameters(outcomes, flips),
    );
  }

  /**
   * Makes an open delivery DEAD without an attempt (the dispatcher gave up on it after unexpected
   * errors, see DELIVERY_MAX_UNEXPECTED_ERRORS): `reason` becomes its last error. The webhook's
   * failing_since is left alone: the listener did not fail. Answers the delivery's lane (to move on)
   * and whether it was open, or null when it vanished.
   */
  async giveUp(deliveryId: string, reason: string): Promise<{ lane: LaneKey; gaveUp: boolean } | null> {
    const rows: Array<{ webhook_id: string; kind: DeliveryKind; was_open: boolean }> =
      await this.dataSource.query(
        `WITH dead AS (
         UPDATE deliveries SET status = 'DEAD', last_error = $2, updated_at = now()
          WHERE id = $1 AND status IN ${OPEN_STATUSES_SQL}
         RETURNING id
       )
       SELECT d.webhook_id, d.kind, EXISTS (SELECT 1 FROM dead) AS was_open FROM deliveries d WHERE d.id = $1`,
        [deliveryId, reason],
      );
    const [row] = rows;
    return row ? { lane: { webhookId: row.webhook_id, kind: row.kind }, gaveUp: row.was_open } : null;
  }

  /** Cancels the open requests of these webhooks (retire, delete, disable), in the caller's transaction. */
  async cancelOpenDeliveries(
    manager: EntityManager,
    webhookIds: readonly string[],
    cancelledBy: string,
  ): Promise<number> {
    if (webhookIds.length === 0) return 0;
    const rows = returnedRows(
      await manager.query(
        `UPDATE deliveries SET status = 'CANCELLED', cancelled_by = $2, updated_at = now()
          WHERE webhook_id = ANY($1::uuid[]) AND status IN ${OPEN_STATUSES_SQL}
         RETURNING id`,
        [webhookIds, cancelledBy],
      ),
    );
    return rows.length;
  }

  /** One request whose webhook is no longer active: cancelled, not sent. */
  async cancelDelivery(deliveryId: string, cancelledBy: string): Promise<void> {
    await this.dataSource.query(
      `UPDATE deliveries SET status = 'CANCELLED', cancelled_by = $2, updated_at = now()
        WHERE id = $1 AND status IN ${OPEN_STATUSES_SQL}`,
      [deliveryId, cancelledBy],
    );
  }

  /** For /metrics: events waiting in lanes (released or held for the batch release) and blocked lanes. */
  async gauges(): Promise<{ releasedEvents: number; heldEvents: number; blockedLanes: number }> {
    const [row] = await this.dataSource.query<
      Array<{ released_events: number; held_events: number; blocked_lanes: number }>
    >(
      `SELECT (SELECT count(*) FROM lane_waiting_items WHERE released)::int AS released_events,
              (SELECT count(*) FROM lane_waiting_items WHERE NOT released)::int AS held_events,
              (SELECT count(DISTINCT (webhook_id, kind)) FROM deliveries
                WHERE status = 'RETRYING')::int AS blocked_lanes`,
    );
    return {
      releasedEvents: row.released_events,
      heldEvents: row.held_events,
      blockedLanes: row.blocked_lanes,
    };
  }

  /**
   * Both lanes of each of the account's webhooks asked for, in one query: counts of waiting items (the
   * lane index covers them), the open requests (the open-delivery index), and since when the oldest
   * failing one blocks the lane. REALTIME before BATCH for each webhook.
   */
  async laneViews(accountId: number, webhookIds: readonly string[]): Promise<Map<string, LaneView[]>> {
    const views = new Map<string, LaneView[]>();
    if (webhookIds.length === 0) return views;
    const rows = await this.dataSource.query<
      Array<{
        webhook_id: string;
        kind: DeliveryKind;
        pending_events: number;
        held_events: number;
        oldest_pending_age_ms: string | null;
        in_flight: Array<{
          deliveryId: string;
          status: DeliveryStatus;
          eventCount: number;
          attemptCount: number;
          nextAttemptAt: string;
        }>;
        blocked_since: Date | null;
      }>
    >(
      `SELECT l.webhook_id, l.kind, items.pending_events, items.held_events,
              floor(extract(epoch FROM now() - items.oldest_pending_at) * 1000)::bigint AS oldest_pending_age_ms,
              coalesce(requests.in_flight, '[]') AS in_flight, blocked.since AS blocked_since
         FROM lanes l
         JOIN webhooks w ON w.id = l.webhook_id AND w.account_id = $1
         CROSS JOIN LATERAL (
           SELECT (count(*) FILTER (WHERE li.released))::int AS pending_events,
                  (count(*) FILTER (WHERE NOT li.released))::int AS held_events,
                  min(li.created_at) FILTER (WHERE li.released) AS oldest_pending_at
             FROM lane_waiting_items li WHERE li.webhook_id = l.webhook_id AND li.kind = l.kind
         ) items
         LEFT JOIN LATERAL (
           SELECT json_agg(json_build_object('deliveryId', d.id, 'status', d.status, 'eventCount', d.event_count,
                                             'attemptCount', d.attempt_count, 'nextAttemptAt', d.next_attempt_at)
                           ORDER BY d.created_at, d.id) AS in_flight
             FROM (SELECT * FROM deliveries d
                    WHERE d.webhook_id = l.webhook_id AND d.kind = l.kind AND d.status IN ('PENDING', 'RETRYING')
                    ORDER BY d.created_at, d.id LIMIT $3) d
         ) requests ON true
         LEFT JOIN LATERAL (
           SELECT min(a.started_at) AS since
             FROM delivery_attempts a
            WHERE a.delivery_id = (
                    SELECT d.id FROM deliveries d
                     WHERE d.webhook_id = l.webhook_id AND d.kind = l.kind AND d.status IN ('PENDING', 'RETRYING')
                       AND EXISTS (SELECT 1 FROM delivery_attempts f WHERE f.delivery_id = d.id AND ${FAILED_ATTEMPT('f')})
                     ORDER BY d.created_at, d.id LIMIT 1)
              AND ${FAILED_ATTEMPT('a')}
         ) blocked ON true
        WHERE l.webhook_id = ANY($2::uuid[])
        ORDER BY l.webhook_id, l.kind = 'BATCH'`,
      [accountId, webhookIds, LANE_VIEW_MAX_IN_FLIGHT],
    );
    for (const row of rows) {
      const lanes = views.get(row.webhook_id) ?? [];
      lanes.push({
        kind: row.kind,
        pendingEvents: row.pending_events,
        heldEvents: row.held_events,
        oldestPendingAgeMs:
          row.oldest_pending_age_ms === null ? null : Math.max(0, Number(row.oldest_pending_age_ms)),
        inFlight: row.in_flight.map((request) => ({
          ...request,
          nextAttemptAt: new Date(request.nextAttemptAt),
        })),
        blockedSince: row.blocked_since,
      });
      views.set(row.webhook_id, lanes);
    }
    return views;
  }

  private async wake(manager: EntityManager, lanes: readonly LaneKey[]): Promise<WokenLane[]> {
    if (lanes.length === 0) return [];
    const rows = returnedRows<{ webhook_id: string; kind: DeliveryKind; activation: string; woken: boolean }>(
      await manager.query(
        `WITH locked AS (${LOCK_LANES(`SELECT u.webhook_id, u.kind FROM unnest($1::uuid[], $2::text[]) AS u(webhook_id, kind)`)}),
         ${WAKE_LANES(`SELECT webhook_id, kind FROM locked`)} SELECT webhook_id, kind, activation, woken FROM touched`,
        [lanes.map((lane) => lane.webhookId), lanes.map((lane) => lane.kind)],
      ),
    );
    return rows
      .filter((row) => row.woken)
      .map((row) => ({ webhookId: row.webhook_id, kind: row.kind, activation: row.activation }));
  }
}

/** TypeORM's `query` answers UPDATE/DELETE ... RETURNING with `[rows, count]`, and other statements with rows. */
function returnedRows<Row = unknown>(result: unknown): Row[] {
  const isPair =
    Array.isArray(result) && result.length === 2 && Array.isArray(result[0]) && typeof result[1] === 'number';
  return (isPair ? result[0] : result) as Row[];
}

interface WrittenOutcomeRow {
  id: string;
  status: DeliveryStatus;
  attempt_count: number;
}

interface FailingSinceChanges {
  succeededWebhooks: string[];
  failingWebhooks: string[];
}

// SQLSTATE classes that say "this row's content" (as ingestion's batch split): 22 data exception
// (U+0000 in text, a number out of range), 54 program limit exceeded. Anything else is about the
// database (a lost connection, a deadlock), not the outcome: the caller retries the whole write.
const CONTENT_REFUSAL_CLASSES: ReadonlySet<string> = new Set(['22', '54']);

function isContentRefusal(error: unknown): boolean {
  const code = (error as { code?: unknown }).code;
  return typeof code === 'string' && code.length === 5 && CONTENT_REFUSAL_CLASSES.has(code.slice(0, 2));
}

const INT4_MAX = 2_147_483_647;

/**
 * An outcome Postgres refused, in a form it cannot refuse: the status and timings stay (the delivery's
 * true state), the listener-derived text (snippet, error, dead reason) is replaced by a note naming
 * the refusal, and numbers outside an integer column's range are dropped.
 */
function storableOutcome(outcome: DeliveryOutcome, refusal: unknown): DeliveryOutcome {
  const code = (refusal as { code?: unknown }).code;
  const note = `not stored: the database refused this attempt's text (SQLSTATE ${String(code)})`;
  const inRange = (value: number | null) =>
    value !== null && Number.isInteger(value) && Math.abs(value) <= INT4_MAX ? value : null;
  return {
    ...outcome,
    attempt: {
      ...outcome.attempt,
      statusCode: inRange(outcome.attempt.statusCode),
      durationMs: inRange(outcome.attempt.durationMs) ?? 0,
      error: outcome.attempt.error === null ? null : note,
      responseSnippet: '',
    },
    deadReason: outcome.deadReason === undefined ? undefined : note,
  };
}

/**
 * failing_since marks when a webhook started failing (the auto-disable clock); any success clears it.
 * The WHERE clauses make both updates no-ops almost always, so a webhook row (and its change trigger)
 * is only touched when the state flips.
 */
function failingSinceChanges(outcomes: readonly DeliveryOutcome[]): FailingSinceChanges {
  const succeeded = new Set(outcomes.filter((o) => o.status === 'SUCCEEDED').map((o) => o.webhookId));
  const failing = new Set(
    outcomes.filter((o) => o.status !== 'SUCCEEDED' && !succeeded.has(o.webhookId)).map((o) => o.webhookId),
  );
  return { succeededWebhooks: [...succeeded], failingWebhooks: [...failing] };
}

/** `lane_record_outcomes`' parameters, in order ($1..$14). */
const OUTCOME_PARAMS =
  '$1::uuid[], $2::text[], $3::timestamptz[], $4::int[], $5::text[], $6::text[], $7::timestamptz[], ' +
  '$8::int[], $9::text[], $10::int, $11::int, $12::uuid[], $13::uuid[], $14::text[]';

function outcomeParameters(outcomes: readonly DeliveryOutcome[], flips: FailingSinceChanges): unknown[] {
  // Only the webhooks of these outcomes: another part of a split batch flips its own.
  const webhookIds = new Set(outcomes.map((o) => o.webhookId));
  return [
    outcomes.map((o) => o.deliveryId),
    outcomes.map((o) => o.status),
    outcomes.map((o) => o.attempt.startedAt.toISOString()),
    outcomes.map((o) => o.attempt.statusCode),
    outcomes.map((o) => o.attempt.error),
    outcomes.map((o) => o.deadReason ?? null),
    outcomes.map((o) => o.nextAttemptAt?.toISOString() ?? null),
    outcomes.map((o) => o.attempt.durationMs),
    outcomes.map((o) => o.attempt.responseSnippet),
    KEEP_FIRST_ATTEMPTS,
    KEEP_LATEST_ATTEMPTS,
    flips.succeededWebhooks.filter((id) => webhookIds.has(id)),
    flips.failingWebhooks.filter((id) => webhookIds.has(id)),
    outcomes.map((o) => o.attempt.traceId ?? null),
  ];
}

/** One row per event of a claimed request (lane_claim), the request's columns repeated. */
interface ClaimRow {
  delivery_id: string;
  webhook_id: string;
  kind: DeliveryKind;
  account_id: string;
  attempt_count: number;
  created_at: Date;
  event_count: number;
  event_position: number;
  event_id: string;
  event_name: string;
  occurred_at: string;
  event_info: string;
  data: string;
  trace_parent: string | null;
}

/** Rows in claim order (request, then position) to requests with their events. */
function claimedRequests(rows: readonly ClaimRow[]): ClaimedRequest[] {
  const requests: ClaimedRequest[] = [];
  let current: ClaimedRequest | undefined;
  for (const row of rows) {
    if (current?.deliveryId !== row.delivery_id) {
      current = {
        deliveryId: row.delivery_id,
        webhookId: row.webhook_id,
        kind: row.kind,
        accountId: Number(row.account_id),
        attemptCount: row.attempt_count,
        createdAt: row.created_at,
        events: [],
      };
      requests.push(current);
    }
    current.events.push({
      eventId: row.event_id,
      eventName: row.event_name,
      timestamp: Number(row.occurred_at),
      eventInfo: row.event_info,
      dataJson: row.data,
      ...(row.trace_parent ? { traceParent: row.trace_parent } : {}),
    });
  }
  return requests;
}
