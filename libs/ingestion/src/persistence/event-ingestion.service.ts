import { Metrics } from '@lms/observability';
import { Injectable, Logger } from '@nestjs/common';
import {
  LaneAppendRepository,
  type IngestedBatch,
  type LaneTarget,
  type WokenLane,
} from '@lms/webhook-domain';
import { WebhookSubscriptionCache } from '../subscriptions/webhook-subscription-cache';
import type { SourcedEvent } from './sourced-event';

export interface IngestionResult {
  /** Events stored by this call. */
  inserted: number;
  /** Events already stored (or repeated inside the batch): they created nothing. */
  duplicates: number;
  /** (event, webhook) matches appended to lanes. */
  appended: number;
  /** Real-time lanes this batch woke: the commit announced each to the dispatchers (LANE_WAKE_CHANNEL). */
  wokenLanes: WokenLane[];
  /** Kafka records whose content Postgres refused: nothing of them is stored; the caller dead-letters them. */
  rejected: StoreRejection[];
}

export interface StoreRejection {
  partition: number;
  offset: string;
  reason: string;
}

// SQLSTATE classes that say "this row's content": 22 data exception (e.g. an invalid text
// representation), 54 program limit exceeded (e.g. a value too large to index). Anything else (a lost
// connection, a deadlock, a full disk) is about the database, not the record: the batch is retried.
const RECORD_CONTENT_ERROR_CLASSES: ReadonlySet<string> = new Set(['22', '54']);

/**
 * The one use case of ingestion: store a batch of validated events together with the work they cause
 * (an item in the lane of every subscribed active webhook: its REALTIME lane or its BATCH lane, in the
 * order the events came off the partition) in one statement (one transaction). The statement wakes
 * the lanes it flipped from idle to busy itself: its commit announces them to the dispatchers
 * (NOTIFY on LANE_WAKE_CHANNEL), one announcement per lane activation, never per event, and nothing
 * on Redis. A lost announcement (no dispatcher listening) is found by the dispatchers' sweep and the
 * outbox relay. When this resolves, every event is in Postgres; the caller may commit the offsets.
 */
@Injectable()
export class EventIngestionService {
  private readonly logger = new Logger(EventIngestionService.name);

  constructor(
    private readonly lanes: LaneAppendRepository,
    private readonly subscriptions: WebhookSubscriptionCache,
    private readonly metrics: Metrics,
  ) {}

  async ingest(events: readonly SourcedEvent[]): Promise<IngestionResult> {
    const result: IngestionResult = {
      inserted: 0,
      duplicates: 0,
      appended: 0,
      wokenLanes: [],
      rejected: [],
    };
    if (events.length === 0) return result;
    await this.storeSplittingOutBadRecords(events, result);
    const { inserted, duplicates, wokenLanes } = result;
    this.metrics.eventsConsumed.inc({ result: 'valid' }, inserted);
    if (duplicates > 0) this.metrics.eventsConsumed.inc({ result: 'duplicate' }, duplicates);
    if (wokenLanes.length > 0) this.metrics.laneWakeUps.inc({ source: 'ingestion' }, wokenLanes.length);
    return result;
  }

  /**
   * Stores the batch in one statement. When Postgres refuses the content of a row, the batch is split
   * by Kafka record and each half stored on its own, down to the single record(s) at fault, which are
   * returned as rejected instead of failing the whole batch for ever. The halves are separate
   * transactions, which is safe: every insert is idempotent, and the offsets are committed only after
   * all of them.
   */
  private async storeSplittingOutBadRecords(
    events: readonly SourcedEvent[],
    into: IngestionResult,
  ): Promise<void> {
    try {
      const stored = await this.storeOnce(events);
      into.inserted += stored.inserted;
      into.duplicates += events.length - stored.inserted;
      into.appended += stored.appended;
      into.wokenLanes.push(...stored.woken);
    } catch (error) {
      if (!isRecordContentError(error)) throw error;
      const records = byRecord(events);
      if (records.length === 1) {
        const [{ partition, offset }] = records[0];
        into.rejected.push({
          partition,
          offset,
          reason: `Postgres refused the record: ${(error as Error).message}`,
        });
        return;
      }
      const half = Math.ceil(records.length / 2);
      await this.storeSplittingOutBadRecords(records.slice(0, half).flat(), into);
      await this.storeSplittingOutBadRecords(records.slice(half).flat(), into);
    }
  }

  private async storeOnce(events: readonly SourcedEvent[]): Promise<IngestedBatch> {
    const subscriptionsByAccount = await this.subscriptions.subscriptionsOf(
      events.map(({ event }) => event.accountId),
    );
    // Targets keep the partition's order (lane order); the events are inserted in key order.
    const targets = laneTargets(events, subscriptionsByAccount);
    const unique = uniqueInKeyOrder(events);
    const stopTimer = this.metrics.ingestBatchDuration.startTimer();
    try {
      const stored = await this.lanes.storeIngestedBatch(
        unique.map(({ event, partition, offset, traceParent }) => ({
          accountId: event.accountId,
          eventId: event.eventId,
          eventName: event.eventName,
          realtime: event.realtime,
          occurredAt: event.timestamp,
          eventInfo: event.eventInfo,
          dataJson: event.dataJson,
          sourcePartition: partition,
          sourceOffset: offset,
          traceParent,
        })),
        targets,
      );
      const committedAt = Date.now();
      for (const { kafkaTimestampMs } of unique) {
        if (!Number.isFinite(kafkaTimestampMs)) continue;
        const seconds = Math.max(0, committedAt - kafkaTimestampMs) / 1000;
        this.metrics.laneStage.observe({ stage: 'kafka_to_commit' }, seconds);
      }
      return stored;
    } finally {
      stopTimer();
    }
  }
}

function isRecordContentError(error: unknown): boolean {
  const code = (error as { code?: unknown }).code;
  return typeof code === 'string' && code.length === 5 && RECORD_CONTENT_ERROR_CLASSES.has(code.slice(0, 2));
}

/** The events grouped by the Kafka record they came from, in record order (an envelope is one record). */
function byRecord(events: readonly SourcedEvent[]): SourcedEvent[][] {
  const records = new Map<string, SourcedEvent[]>();
  for (const source of events) {
    const key = `${source.partition}:${source.offset}`;
    const record = records.get(key);
    if (record === undefined) records.set(key, [source]);
    else record.push(source);
  }
  return [...records.values()];
}

/**
 * Drops repeats inside the batch (the first copy wins, as ON CONFLICT would keep the stored one) and
 * sorts by key, so concurrent transactions on other partitions take unique-index locks in the same
 * order and cannot deadlock on events produced with inconsistent keys.
 */
function uniqueInKeyOrder(events: readonly SourcedEvent[]): SourcedEvent[] {
  const byKey = new Map<string, SourcedEvent>();
  for (const source of events) {
    const key = eventKey(source.event);
    if (!byKey.has(key)) byKey.set(key, source);
  }
  return [...byKey.entries()].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)).map(([, source]) => source);
}

/**
 * Every (event, subscribed webhook) pair, numbered in the order the events came off the partition;
 * the statement keeps those whose event is new and webhook still active. An event repeated inside the
 * batch appears once (the statement would drop the repeat anyway: it is not new).
 */
function laneTargets(
  events: readonly SourcedEvent[],
  subscriptionsByAccount: ReadonlyMap<
    number,
    ReadonlyArray<{ webhookId: string; events: ReadonlySet<string> }>
  >,
): LaneTarget[] {
  const targets: LaneTarget[] = [];
  const seen = new Set<string>();
  for (const { event } of events) {
    const key = eventKey(event);
    if (seen.has(key)) continue;
    seen.add(key);
    for (const subscription of subscriptionsByAccount.get(event.accountId) ?? []) {
      if (!subscription.events.has(event.eventName)) continue;
      targets.push({
        accountId: event.accountId,
        eventId: event.eventId,
        occurredAt: event.timestamp,
        webhookId: subscription.webhookId,
        kind: event.realtime ? 'REALTIME' : 'BATCH',
        order: targets.length,
      });
    }
  }
  return targets;
}

/**
 * What names one stored event: its account, id and timestamp (the dedupe key of `events`, which is
 * partitioned by the timestamp). A record read again carries all three unchanged.
 */
function eventKey(event: { accountId: number; eventId: string; timestamp: number }): string {
  return `${event.accountId}\u0000${event.eventId}\u0000${event.timestamp}`;
}
