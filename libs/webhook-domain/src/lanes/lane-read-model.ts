import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import type { DataSource } from 'typeorm';
import {
  OPEN_DELIVERY_STATUSES_SQL,
  type DeliveryKind,
  type DeliveryStatus,
} from '../entities/delivery.entity';

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

// An attempt failed unless the listener answered 2xx (a timeout or a refused connection has no status).
const FAILED_ATTEMPT = (alias: string) =>
  `(${alias}.status_code IS NULL OR ${alias}.status_code NOT BETWEEN 200 AND 299)`;

/** What the lanes hold, as /metrics and admins see it (reads only; `lane_waiting_items` defines "waiting"). */
@Injectable()
export class LaneReadModel {
  constructor(@InjectDataSource() private readonly dataSource: DataSource) {}

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
                    WHERE d.webhook_id = l.webhook_id AND d.kind = l.kind AND d.status IN ${OPEN_DELIVERY_STATUSES_SQL}
                    ORDER BY d.created_at, d.id LIMIT $3) d
         ) requests ON true
         LEFT JOIN LATERAL (
           SELECT min(a.started_at) AS since
             FROM delivery_attempts a
            WHERE a.delivery_id = (
                    SELECT d.id FROM deliveries d
                     WHERE d.webhook_id = l.webhook_id AND d.kind = l.kind AND d.status IN ${OPEN_DELIVERY_STATUSES_SQL}
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
}
