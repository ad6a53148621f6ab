import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import type { DataSource, EntityManager } from 'typeorm';
import type { LaneKey, WokenLane } from './lane-key';
import { returnedRows } from '../database/returned-rows';
import {
  OPEN_DELIVERY_STATUSES,
  OPEN_DELIVERY_STATUSES_SQL,
  type DeliveryKind,
  type DeliveryStatus,
} from '../entities/delivery.entity';

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
  /** When its earliest event was stored (ingestion's transaction): its wait in the lane began then. */
  firstStoredAt?: Date;
}

/**
 * Claims and outcomes: the one owner of the requests' writes. It claims lanes' next requests with
 * their events (lane_claim), records outcomes and claims what follows in one round trip
 * (lane_record_and_claim), gives up and cancels, and answers recovery's questions (orphaned requests,
 * live drivers, stuck lanes). Adding work is LaneAppendRepository's; reading lanes is LaneReadModel's.
 * The rules are in ./README.md.
 */
@Injectable()
export class LaneRepository {
  constructor(@InjectDataSource() private readonly dataSource: DataSource) {}

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
   * A lane's open requests (to be sent or retried) that nobody will send unless queued again: not
   * driven by a live dispatcher (lane_request_orphaned), oldest first.
   */
  async orphanedOpenDeliveryIds(lane: LaneKey): Promise<string[]> {
    const rows = await this.dataSource.query<Array<{ id: string }>>(
      `SELECT id FROM deliveries WHERE webhook_id = $1 AND kind = $2 AND status IN ${OPEN_DELIVERY_STATUSES_SQL}
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
                                                       AND d.status IN ${OPEN_DELIVERY_STATUSES_SQL})
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
          WHERE id = $1 AND status IN ${OPEN_DELIVERY_STATUSES_SQL}
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
          WHERE webhook_id = ANY($1::uuid[]) AND status IN ${OPEN_DELIVERY_STATUSES_SQL}
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
        WHERE id = $1 AND status IN ${OPEN_DELIVERY_STATUSES_SQL}`,
      [deliveryId, cancelledBy],
    );
  }
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
  /** The event's store time (events.received_at). */
  received_at?: Date | null;
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
    if (row.received_at && (!current.firstStoredAt || row.received_at < current.firstStoredAt)) {
      current.firstStoredAt = row.received_at;
    }
  }
  return requests;
}
