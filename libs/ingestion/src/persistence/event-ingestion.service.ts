import { Metrics } from '@lms/observability';
import { Injectable, Logger } from '@nestjs/common';
import { randomUUID } from 'node:crypto';
import { DataSource } from 'typeorm';
import { DeliveryEnqueuer } from '../queue/delivery-enqueuer';
import { WebhookSubscriptionCache } from '../subscriptions/webhook-subscription-cache';
import {
  EventBatchRepository,
  eventKey,
  type BatchItemRow,
  type InsertedEvent,
  type RealtimeDeliveryRow,
} from './event-batch-repository';
import type { SourcedEvent } from './sourced-event';

export interface IngestionResult {
  /** Events stored by this call. */
  inserted: number;
  /** Events already stored (or repeated inside the batch): they created nothing. */
  duplicates: number;
  realtimeDeliveryIds: string[];
  batchItems: number;
}

/**
 * The one use case of ingestion: store a batch of validated events together with the work they cause
 * (a delivery per subscribed active webhook for real-time events, a batch item for the others) in one
 * transaction, then wake the dispatcher. When this resolves, every event is in Postgres; the caller
 * may commit the Kafka offsets.
 */
@Injectable()
export class EventIngestionService {
  private readonly logger = new Logger(EventIngestionService.name);

  constructor(
    private readonly dataSource: DataSource,
    private readonly repository: EventBatchRepository,
    private readonly subscriptions: WebhookSubscriptionCache,
    private readonly enqueuer: DeliveryEnqueuer,
    private readonly metrics: Metrics,
  ) {}

  async ingest(events: readonly SourcedEvent[]): Promise<IngestionResult> {
    if (events.length === 0) return { inserted: 0, duplicates: 0, realtimeDeliveryIds: [], batchItems: 0 };
    const unique = uniqueInKeyOrder(events);
    const subscriptionsByAccount = await this.subscriptions.subscriptionsOf(
      unique.map(({ event }) => event.accountId),
    );

    const stopTimer = this.metrics.ingestBatchDuration.startTimer();
    const runner = this.dataSource.createQueryRunner();
    await runner.connect();
    let inserted: InsertedEvent[];
    let realtimeDeliveryIds: string[];
    let batchItems: number;
    try {
      await runner.startTransaction();
      inserted = await this.repository.insertEvents(runner, unique);
      const { realtime, batch } = planDeliveries(inserted, subscriptionsByAccount);
      realtimeDeliveryIds = await this.repository.insertRealtimeDeliveries(runner, realtime);
      batchItems = await this.repository.insertBatchItems(runner, batch);
      await runner.commitTransaction();
    } catch (error) {
      if (runner.isTransactionActive) await runner.rollbackTransaction().catch(() => undefined);
      throw error;
    } finally {
      await runner.release();
      stopTimer();
    }

    const duplicates = events.length - inserted.length;
    this.metrics.eventsConsumed.inc({ result: 'valid' }, inserted.length);
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
    return { inserted: inserted.length, duplicates, realtimeDeliveryIds, batchItems };
  }
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

function planDeliveries(
  inserted: readonly InsertedEvent[],
  subscriptionsByAccount: ReadonlyMap<
    number,
    ReadonlyArray<{ webhookId: string; events: ReadonlySet<string> }>
  >,
): { realtime: RealtimeDeliveryRow[]; batch: BatchItemRow[] } {
  const realtime: RealtimeDeliveryRow[] = [];
  const batch: BatchItemRow[] = [];
  for (const { pk, source } of inserted) {
    const { accountId, eventName, realtime: isRealtime, timestamp } = source.event;
    for (const subscription of subscriptionsByAccount.get(accountId) ?? []) {
      if (!subscription.events.has(eventName)) continue;
      if (isRealtime)
        realtime.push({ id: randomUUID(), webhookId: subscription.webhookId, accountId, eventPk: pk });
      else batch.push({ webhookId: subscription.webhookId, accountId, eventPk: pk, occurredAt: timestamp });
    }
  }
  return { realtime, batch };
}
