import { Inject, Injectable, Optional } from '@nestjs/common';
import type { EntityManager } from 'typeorm';
import { serializeEnvelope } from '@lms/http-delivery';
import { isOpenDeliveryStatus } from '../entities/delivery.entity';
import { DomainError } from '../errors/domain-error';
import { LaneAppendRepository } from '../lanes/lane-append.repository';
import type { RedeliverCommand, ReplayCommand } from './delivery-log-commands';
import { decodeDeliveryCursor, encodeDeliveryCursor } from './delivery-cursor';
import type {
  DeliveryDetailView,
  DeliveryListFilter,
  DeliveryPage,
  RedeliveryResult,
  ReplayResult,
} from './delivery-log-views';
import { DeliveryLogRepository } from './delivery-log.repository';

export const DELIVERY_LOG_OPTIONS = Symbol('DELIVERY_LOG_OPTIONS');

export interface DeliveryLogOptions {
  /** A replay touching more events than this is refused: split the range. */
  maxReplayEvents: number;
  /**
   * Replay and redeliver never take a webhook's waiting lane items past this (ingestion does: events
   * from the LMS are never refused). Bounds the rows one admin can pile up behind one webhook.
   */
  maxPendingEventsPerWebhook: number;
}

export const DEFAULT_MAX_REPLAY_EVENTS = 10_000;
export const DEFAULT_MAX_PENDING_EVENTS_PER_WEBHOOK = 50_000;

/** What an admin sees of deliveries and what they can re-send; the commit that adds work announces it. */
@Injectable()
export class DeliveryLogService {
  constructor(
    private readonly deliveries: DeliveryLogRepository,
    private readonly lanes: LaneAppendRepository,
    @Optional()
    @Inject(DELIVERY_LOG_OPTIONS)
    private readonly options: DeliveryLogOptions = {
      maxReplayEvents: DEFAULT_MAX_REPLAY_EVENTS,
      maxPendingEventsPerWebhook: DEFAULT_MAX_PENDING_EVENTS_PER_WEBHOOK,
    },
  ) {}

  async list(accountId: number, webhookId: string, filter: DeliveryListFilter): Promise<DeliveryPage> {
    if (!(await this.deliveries.webhookStatus(accountId, webhookId)))
      throw DomainError.webhookNotFound(webhookId);
    if (filter.from && filter.to && filter.from > filter.to)
      throw DomainError.invalidField('from', 'must not be after to');
    const cursor = filter.cursor === undefined ? undefined : decodeDeliveryCursor(filter.cursor);
    const rows = await this.deliveries.page(
      accountId,
      webhookId,
      { ...filter, limit: filter.limit + 1 },
      cursor,
    );
    const page = rows.slice(0, filter.limit);
    const last = page[page.length - 1];
    return {
      items: page.map((row) => row.view),
      nextCursor: rows.length > filter.limit && last ? encodeDeliveryCursor(last.cursor) : null,
    };
  }

  async get(accountId: number, deliveryId: string): Promise<DeliveryDetailView> {
    const found = await this.deliveries.findOne(accountId, deliveryId);
    if (!found) throw DomainError.deliveryNotFound(deliveryId);
    const { webhookStatus: _webhookStatus, ...delivery } = found;
    const [events, attempts] = await Promise.all([
      this.deliveries.envelopeEvents(deliveryId),
      this.deliveries.attempts(deliveryId),
    ]);
    // Rebuilt exactly as the dispatcher builds the body, so this is what the receiver got (or will get).
    const body = serializeEnvelope(accountId, events);
    return {
      ...delivery,
      payload: JSON.parse(body.toString('utf8')) as unknown,
      events: events.map((event) => ({
        eventId: event.eventId,
        eventName: event.eventName,
        timestamp: event.timestamp,
      })),
      attempts,
    };
  }

  /**
   * Sends a finished delivery's events again: they are appended to the end of the webhook's lane (as
   * one request, `redeliveryOf` the original; the original keeps its history), so they wait their turn
   * behind what the lane already holds. The commit itself announces the lane to the dispatchers
   * (LaneAppendRepository.append); if none hears it, their lane sweep claims it. Refused when it would take
   * the webhook's waiting events past the cap.
   */
  async redeliver(command: RedeliverCommand): Promise<RedeliveryResult> {
    const { actor, deliveryId } = command;
    const eventCount = await this.deliveries.transaction(async (manager) => {
      const original = await this.deliveries.findOne(actor.accountId, deliveryId, manager);
      if (!original) throw DomainError.deliveryNotFound(deliveryId);
      if (isOpenDeliveryStatus(original.status)) {
        throw DomainError.notRedeliverable(
          `Delivery ${deliveryId} is still ${original.status}; it is being delivered already`,
        );
      }
      if (original.webhookStatus !== 'ACTIVE') {
        throw DomainError.notRedeliverable(
          `The webhook of delivery ${deliveryId} is ${original.webhookStatus}; activate it first`,
        );
      }
      const eventPks = await this.deliveries.eventPksOf(manager, deliveryId);
      if (eventPks.length === 0)
        throw DomainError.notRedeliverable(`The events of delivery ${deliveryId} are no longer retained`);
      await this.deliveries.lockWebhookBacklog(manager, original.webhookId);
      await this.assertRoomFor(manager, original.webhookId, eventPks.length);
      const appended = await this.lanes.append(
        manager,
        { webhookId: original.webhookId, kind: original.kind },
        eventPks,
        { releaseNow: true, redeliveryOf: deliveryId },
      );
      return appended.appended;
    });
    return { redeliveryOf: deliveryId, status: 'QUEUED', eventCount };
  }

  /**
   * Re-sends the account's subscribed events of [from, to] (event time) to this webhook: appended to its
   * lanes in event order, real-time ones at once, non-real-time ones at the next batch release.
   * Refused when the same replay (webhook and range) made earlier still has events waiting, and when
   * it would take the webhook's waiting events past the cap.
   */
  async replay(command: ReplayCommand): Promise<ReplayResult> {
    const { actor, webhookId, fromMs, toMs } = command;
    const webhook = await this.deliveries.webhookStatus(actor.accountId, webhookId);
    if (!webhook) throw DomainError.webhookNotFound(webhookId);
    if (webhook.status !== 'ACTIVE')
      throw DomainError.notRedeliverable(
        `Webhook ${webhookId} is ${webhook.status}; activate it before replaying`,
      );

    const max = this.options.maxReplayEvents;
    const candidates = await this.deliveries.replayCandidates(
      actor.accountId,
      webhook.events,
      fromMs,
      toMs,
      max + 1,
    );
    if (candidates.length > max) {
      throw DomainError.replayRangeTooLarge(max);
    }
    const realtime = candidates.filter((event) => event.realtime).map((event) => event.eventPk);
    const batched = candidates.filter((event) => !event.realtime).map((event) => event.eventPk);
    await this.deliveries.transaction(async (manager) => {
      // In turn with the webhook's other replays and redeliveries, so each sees what the last one added.
      await this.deliveries.lockWebhookBacklog(manager, webhookId);
      const earlier = await this.deliveries.waitingReplay(manager, actor.accountId, webhookId, fromMs, toMs);
      if (earlier) throw DomainError.replayAlreadyQueued(earlier);
      await this.assertRoomFor(manager, webhookId, candidates.length);
      await this.lanes.append(manager, { webhookId, kind: 'REALTIME' }, realtime, { releaseNow: true });
      await this.lanes.append(manager, { webhookId, kind: 'BATCH' }, batched, { releaseNow: false });
      if (candidates.length > 0) {
        await this.deliveries.recordReplay(manager, {
          accountId: actor.accountId,
          webhookId,
          fromMs,
          toMs,
          eventCount: candidates.length,
          sub: actor.sub,
        });
      }
    });
    return {
      count: realtime.length + batched.length,
      realtimeEvents: realtime.length,
      batchedEvents: batched.length,
    };
  }

  /** Under the webhook's backlog lock: adding `requested` events must leave at most the cap waiting. */
  private async assertRoomFor(manager: EntityManager, webhookId: string, requested: number): Promise<void> {
    const cap = this.options.maxPendingEventsPerWebhook;
    const pending = await this.deliveries.pendingEvents(manager, webhookId, cap + 1);
    if (pending + requested > cap) {
      throw DomainError.pendingEventsLimitReached({ webhookId, pending, requested, cap });
    }
  }
}
