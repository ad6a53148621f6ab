import { Metrics } from '@lms/observability';
import { Injectable, Logger } from '@nestjs/common';
import { randomUUID } from 'node:crypto';
import { DeliveryEnqueuer } from '../queue/delivery-enqueuer';
import { WebhookSubscriptionCache } from '../subscriptions/webhook-subscription-cache';
import { EventBatchRepository, eventKey, type DeliveryTarget } from './event-batch-repository';
import type { SourcedEvent } from './sourced-event';

export interface IngestionResult {
  /** Events stored by this call. */
  inserted: number;
  /** Events already stored (or repeated inside the batch): they created nothing. */
  duplicates: number;
  realtimeDeliveryIds: string[];
  batchItems: number;
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
 * (a delivery per subscribed active webhook for real-time events, a batch item for the others) in one
 * statement (one transaction), then wake the dispatcher. When this resolves, every event is in Postgres; the caller
 * may commit the Kafka offsets.
 */
@Injectable()
export class EventIngestionService {
  private readonly logger = new Logger(EventIngestionService.name);

  constructor(
    private readonly repository: EventBatchRepository,
    private readonly subscriptions: WebhookSubscriptionCache,
    private readonly enqueuer: DeliveryEnqueuer,
    private readonly metrics: Metrics,
  ) {}

  async ingest(events: readonly SourcedEvent[]): Promise<IngestionResult> {
    const result: IngestionResult = {
      inserted: 0,
      duplicates: 0,
      realtimeDeliveryIds: [],
      batchItems: 0,
      rejected: [],
    };
    if (events.length === 0) return result;
    await this.storeSplittingOutBadRecords(events, result);
    const { inserted, duplicates, realtimeDeliveryIds } = result;
    this.metrics.eventsConsumed.inc({ result: 'valid' }, inserted);
    if (duplicates > 0) this.metrics.eventsConsumed.inc({ result: 'duplicate' }, duplicates);
    if (realtimeDeliveryIds.length > 0)
      this.metrics.deliveriesCreated.inc({ kind: 'REALTIME' }, realtimeDeliveryIds.length);

    try {
      await this.enqueuer.enqueue(realtimeDeliveryIds);
    } catch (error) {
      // The rows are committed: the outbox relay will queue them after its grace period. Failing here
      // would only make Kafka redeliver events that are already stored.
      this.metrics.enqueueFailures.inc({ source: 'ingestion' }, realtimeDeliveryIds.length);
      this.logger.error({
        msg: `could not queue ${realtimeDeliveryIds.length} deliveries (the outbox relay will): ${(error as Error).message}`,
        deliveryIds: realtimeDeliveryIds.slice(0, 20),
      });
    }
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
      into.realtimeDeliveryIds.push(...stored.realtimeDeliveryIds);
      into.batchItems += stored.batchItems;
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

  private async storeOnce(events: readonly SourcedEvent[]) {
    const unique = uniqueInKeyOrder(events);
    const subscriptionsByAccount = await this.subscriptions.subscriptionsOf(
      unique.map(({ event }) => event.accountId),
    );
    const stopTimer = this.metrics.ingestBatchDuration.startTimer();
    try {
      return await this.repository.storeBatch(unique, deliveryTargets(unique, subscriptionsByAccount));
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
    const key = eventKey(source.event.accountId, source.event.eventId);
    if (!byKey.has(key)) byKey.set(key, source);
  }
  return [...byKey.entries()].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)).map(([, source]) => source);
}

/** Every (event, subscribed webhook) pair; the statement keeps those whose event is new and webhook still active. */
function deliveryTargets(
  events: readonly SourcedEvent[],
  subscriptionsByAccount: ReadonlyMap<
    number,
    ReadonlyArray<{ webhookId: string; events: ReadonlySet<string> }>
  >,
): DeliveryTarget[] {
  const targets: DeliveryTarget[] = [];
  for (const { event } of events) {
    for (const subscription of subscriptionsByAccount.get(event.accountId) ?? []) {
      if (!subscription.events.has(event.eventName)) continue;
      targets.push({
        accountId: event.accountId,
        eventId: event.eventId,
        webhookId: subscription.webhookId,
        deliveryId: randomUUID(),
        realtime: event.realtime,
      });
    }
  }
  return targets;
}
