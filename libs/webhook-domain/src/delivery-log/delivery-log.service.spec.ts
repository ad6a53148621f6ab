import type { EntityManager } from 'typeorm';
import { DomainError, DomainErrorCode } from '../errors/domain-error';
import type { LaneAppendRepository } from '../lanes/lane-append.repository';
import type { LaneKey, WokenLane } from '../lanes/lane-key';
import { RedeliverCommand, ReplayCommand } from './delivery-log-commands';
import { decodeDeliveryCursor, encodeDeliveryCursor, type DeliveryCursor } from './delivery-cursor';
import type { DeliveryAttemptView, DeliveryListFilter, DeliverySummaryView } from './delivery-log-views';
import type {
  DeliveryLogRepository,
  RecordedReplay,
  ReplayCandidate,
  StoredEnvelopeEvent,
} from './delivery-log.repository';
import { DeliveryLogService } from './delivery-log.service';

const ACCOUNT = 1010;
const OTHER_ACCOUNT = 2020;
const HOOK = '3f1c1d0e-0000-4000-8000-000000000001';
const DELIVERY = '3f1c1d0e-0000-4000-8000-0000000000d1';
const actor = { accountId: ACCOUNT, sub: 'alice' };

/**
 * What one transaction did, kept apart until it commits: a transaction that throws leaves nothing, as
 * Postgres would roll it back. Every call is also written to `calls`, to check the order of lock and count.
 */
interface FakeTransaction {
  appended: Array<{ lane: LaneKey; eventPks: number[]; releaseNow: boolean; redeliveryOf?: string }>;
  replays: Array<Record<string, unknown>>;
}

type StoredDelivery = DeliverySummaryView & { accountId: number; webhookStatus: string; eventPks: number[] };

/** The delivery log's tables, in memory, answering per account as the repository's SQL does. */
class FakeDeliveryLog {
  readonly calls: string[] = [];
  readonly committed: FakeTransaction = { appended: [], replays: [] };
  readonly webhooks = new Map<string, { accountId: number; status: string; events: string[] }>();
  readonly deliveries = new Map<string, StoredDelivery>();
  pendingEventCount = 0;
  candidates: ReplayCandidate[] = [];
  waiting: RecordedReplay | null = null;
  pageRows: Array<{ view: DeliverySummaryView; cursor: DeliveryCursor }> = [];
  readonly pageAsked: DeliveryListFilter[] = [];

  async transaction<T>(work: (manager: EntityManager) => Promise<T>): Promise<T> {
    const transaction: FakeTransaction = { appended: [], replays: [] };
    const result = await work(transaction as unknown as EntityManager);
    this.committed.appended.push(...transaction.appended);
    this.committed.replays.push(...transaction.replays);
    this.calls.push('commit');
    return result;
  }

  async webhookStatus(accountId: number, webhookId: string) {
    const webhook = this.webhooks.get(webhookId);
    return webhook && webhook.accountId === accountId
      ? { status: webhook.status, events: webhook.events }
      : null;
  }

  readonly cursorsAsked: Array<DeliveryCursor | undefined> = [];

  async page(
    accountId: number,
    webhookId: string,
    filter: DeliveryListFilter,
    cursor: DeliveryCursor | undefined,
  ) {
    this.pageAsked.push(filter);
    this.cursorsAsked.push(cursor);
    return this.pageRows.slice(0, filter.limit);
  }

  async findOne(accountId: number, deliveryId: string) {
    const found = this.deliveries.get(deliveryId);
    if (!found || found.accountId !== accountId) return null;
    const { accountId: _account, eventPks: _pks, ...view } = found;
    return view;
  }

  async envelopeEvents(): Promise<StoredEnvelopeEvent[]> {
    return [
      {
        eventPk: 7,
        eventId: 'e-7',
        eventName: 'COURSE_COMPLETED',
        timestamp: 1700,
        eventInfo: 'i',
        dataJson: '{"a":1}',
      },
    ];
  }

  async attempts(): Promise<DeliveryAttemptView[]> {
    return [
      {
        attemptNumber: 1,
        startedAt: new Date(0),
        durationMs: 5,
        statusCode: 500,
        error: 'HTTP 500',
        responseSnippet: '',
        traceId: null,
      },
    ];
  }

  async eventPksOf(manager: EntityManager, deliveryId: string): Promise<number[]> {
    return this.deliveries.get(deliveryId)?.eventPks ?? [];
  }

  async lockWebhookBacklog(manager: EntityManager, webhookId: string): Promise<void> {
    this.calls.push(`lock ${webhookId}`);
  }

  async pendingEvents(manager: EntityManager, webhookId: string, atMost: number): Promise<number> {
    this.calls.push(`count pending of ${webhookId} up to ${atMost}`);
    return Math.min(this.pendingEventCount, atMost);
  }

  async waitingReplay(): Promise<RecordedReplay | null> {
    this.calls.push('find waiting replay');
    return this.waiting;
  }

  async recordReplay(manager: EntityManager, replay: Record<string, unknown>): Promise<void> {
    (manager as unknown as FakeTransaction).replays.push(replay);
  }

  async replayCandidates(
    accountId: number,
    eventNames: readonly string[],
    fromMs: number,
    toMs: number,
    limit: number,
  ): Promise<ReplayCandidate[]> {
    this.calls.push(`candidates of ${accountId} [${eventNames.join(',')}] ${fromMs}-${toMs} up to ${limit}`);
    return this.candidates.slice(0, limit);
  }
}

/** Appends into the caller's transaction; every append into an idle lane wakes it. */
class FakeLanes implements Pick<LaneAppendRepository, 'append'> {
  async append(
    manager: EntityManager,
    lane: LaneKey,
    eventPks: readonly number[],
    options: { releaseNow: boolean; redeliveryOf?: string },
  ): Promise<{ appended: number; woken: WokenLane[] }> {
    if (eventPks.length === 0) return { appended: 0, woken: [] };
    (manager as unknown as FakeTransaction).appended.push({ lane, eventPks: [...eventPks], ...options });
    return { appended: eventPks.length, woken: [{ ...lane, activation: `tx-${lane.kind}` }] };
  }
}

function serviceWith(options: { maxReplayEvents?: number; maxPendingEventsPerWebhook?: number } = {}) {
  const log = new FakeDeliveryLog();
  log.webhooks.set(HOOK, {
    accountId: ACCOUNT,
    status: 'ACTIVE',
    events: ['COURSE_COMPLETED', 'GRADE_POSTED'],
  });
  const service = new DeliveryLogService(
    log as unknown as DeliveryLogRepository,
    new FakeLanes() as unknown as LaneAppendRepository,
    {
      maxReplayEvents: options.maxReplayEvents ?? 100,
      maxPendingEventsPerWebhook: options.maxPendingEventsPerWebhook ?? 10,
    },
  );
  return { service, log };
}

function finishedDelivery(overrides: Partial<StoredDelivery> = {}): StoredDelivery {
  return {
    id: DELIVERY,
    accountId: ACCOUNT,
    webhookId: HOOK,
    webhookStatus: 'ACTIVE',
    kind: 'REALTIME',
    status: 'DEAD',
    eventCount: 2,
    eventNames: ['COURSE_COMPLETED'],
    attemptCount: 3,
    nextAttemptAt: null,
    lastAttemptAt: null,
    lastStatusCode: 500,
    lastError: 'HTTP 500',
    cancelledBy: null,
    redeliveryOf: null,
    createdAt: new Date(0),
    updatedAt: new Date(0),
    deliveredAt: null,
    eventPks: [11, 12],
    ...overrides,
  };
}

async function refusal(promise: Promise<unknown>): Promise<DomainError> {
  const error = await promise.then(
    () => undefined,
    (thrown: unknown) => thrown,
  );
  expect(error).toBeInstanceOf(DomainError);
  return error as DomainError;
}

function summary(id: string): { view: DeliverySummaryView; cursor: DeliveryCursor } {
  return {
    view: { ...finishedDelivery(), id },
    cursor: { createdAt: '2026-03-01 10:00:00.123456+00', id },
  };
}

describe('DeliveryLogService.list', () => {
  it('answers a page and a cursor to the next one when there is more', async () => {
    const { service, log } = serviceWith();
    const ids = [
      '3f1c1d0e-0000-4000-8000-00000000000a',
      '3f1c1d0e-0000-4000-8000-00000000000b',
      '3f1c1d0e-0000-4000-8000-00000000000c',
    ];
    log.pageRows = ids.map(summary);

    const page = await service.list(ACCOUNT, HOOK, { limit: 2 });

    expect(log.pageAsked).toEqual([{ limit: 3 }]); // one more than asked: is there a next page?
    expect(page.items.map((item) => item.id)).toEqual(ids.slice(0, 2));
    expect(page.nextCursor).not.toBeNull();
    expect(decodeDeliveryCursor(page.nextCursor ?? '')).toEqual(summary(ids[1]).cursor);
  });

  it('answers no cursor on the last page', async () => {
    const { service, log } = serviceWith();
    log.pageRows = [summary('3f1c1d0e-0000-4000-8000-00000000000a')];

    expect((await service.list(ACCOUNT, HOOK, { limit: 2 })).nextCursor).toBeNull();
  });

  it('refuses another account’s webhook as not found, and a range that ends before it starts', async () => {
    const { service, log } = serviceWith();

    expect((await refusal(service.list(OTHER_ACCOUNT, HOOK, { limit: 2 }))).code).toBe(
      DomainErrorCode.WEBHOOK_NOT_FOUND,
    );
    const backwards = await refusal(
      service.list(ACCOUNT, HOOK, { limit: 2, from: new Date(2), to: new Date(1) }),
    );
    expect(backwards.code).toBe(DomainErrorCode.VALIDATION_FAILED);
    expect(backwards.message).toBe('from must not be after to');
    expect(log.pageAsked).toEqual([]);
  });

  it('passes a client’s cursor on decoded', async () => {
    const { service, log } = serviceWith();
    const cursor = summary('3f1c1d0e-0000-4000-8000-00000000000a').cursor;

    await service.list(ACCOUNT, HOOK, { limit: 2, cursor: encodeDeliveryCursor(cursor) });

    expect(log.cursorsAsked).toEqual([cursor]);
  });
});

describe('DeliveryLogService.get', () => {
  it('answers the delivery with the body the receiver got, its events and attempts, and not its webhook’s status', async () => {
    const { service, log } = serviceWith();
    log.deliveries.set(DELIVERY, finishedDelivery());

    const detail = await service.get(ACCOUNT, DELIVERY);

    expect(detail.payload).toEqual({
      accountId: ACCOUNT,
      events: [
        { eventId: 'e-7', eventName: 'COURSE_COMPLETED', timestamp: 1700, eventInfo: 'i', data: { a: 1 } },
      ],
    });
    expect(detail.events).toEqual([{ eventId: 'e-7', eventName: 'COURSE_COMPLETED', timestamp: 1700 }]);
    expect(detail.attempts).toHaveLength(1);
    expect(detail).not.toHaveProperty('webhookStatus');
  });

  it('answers not found for another account’s delivery', async () => {
    const { service, log } = serviceWith();
    log.deliveries.set(DELIVERY, finishedDelivery());

    expect((await refusal(service.get(OTHER_ACCOUNT, DELIVERY))).code).toBe(
      DomainErrorCode.DELIVERY_NOT_FOUND,
    );
  });
});

describe('DeliveryLogService.redeliver', () => {
  const redeliver = () => RedeliverCommand.create({ actor, deliveryId: DELIVERY });

  it('appends the delivery’s events to the end of its lane as a redelivery, in one transaction (which announces the lane)', async () => {
    const { service, log } = serviceWith();
    log.deliveries.set(DELIVERY, finishedDelivery());

    await expect(service.redeliver(redeliver())).resolves.toEqual({
      redeliveryOf: DELIVERY,
      status: 'QUEUED',
      eventCount: 2,
    });

    expect(log.committed.appended).toEqual([
      {
        lane: { webhookId: HOOK, kind: 'REALTIME' },
        eventPks: [11, 12],
        releaseNow: true,
        redeliveryOf: DELIVERY,
      },
    ]);
    // The cap is counted under the webhook's backlog lock; nothing after the commit: the append's own
    // statement announced the lane (test/admin-api/delivery-log.e2e-spec.ts hears it).
    expect(log.calls).toEqual([`lock ${HOOK}`, `count pending of ${HOOK} up to 11`, 'commit']);
  });

  it.each([
    [
      'still open',
      finishedDelivery({ status: 'RETRYING' }),
      `Delivery ${DELIVERY} is still RETRYING; it is being delivered already`,
    ],
    [
      'of a disabled webhook',
      finishedDelivery({ webhookStatus: 'DISABLED' }),
      `The webhook of delivery ${DELIVERY} is DISABLED; activate it first`,
    ],
    [
      'whose events are purged',
      finishedDelivery({ eventPks: [] }),
      `The events of delivery ${DELIVERY} are no longer retained`,
    ],
  ])('refuses a delivery %s and adds nothing', async (_, delivery, message) => {
    const { service, log } = serviceWith();
    log.deliveries.set(DELIVERY, delivery);

    const refused = await refusal(service.redeliver(redeliver()));

    expect(refused.code).toBe(DomainErrorCode.DELIVERY_NOT_REDELIVERABLE);
    expect(refused.message).toBe(message);
    expect(log.committed.appended).toEqual([]);
  });

  it('refuses, adding nothing, when the events would take the webhook’s waiting events past the cap', async () => {
    const { service, log } = serviceWith({ maxPendingEventsPerWebhook: 10 });
    log.deliveries.set(DELIVERY, finishedDelivery());
    log.pendingEventCount = 9; // 9 + 2 > 10

    const refused = await refusal(service.redeliver(redeliver()));

    expect(refused.code).toBe(DomainErrorCode.PENDING_EVENTS_LIMIT_REACHED);
    expect(log.committed.appended).toEqual([]);
  });

  it('accepts events that fill the cap exactly', async () => {
    const { service, log } = serviceWith({ maxPendingEventsPerWebhook: 10 });
    log.deliveries.set(DELIVERY, finishedDelivery());
    log.pendingEventCount = 8;

    await expect(service.redeliver(redeliver())).resolves.toMatchObject({ eventCount: 2 });
  });

  it('answers not found for another account’s delivery', async () => {
    const { service, log } = serviceWith();
    log.deliveries.set(DELIVERY, finishedDelivery({ accountId: OTHER_ACCOUNT }));

    expect((await refusal(service.redeliver(redeliver()))).code).toBe(DomainErrorCode.DELIVERY_NOT_FOUND);
  });
});

describe('DeliveryLogService.replay', () => {
  const replay = (fromMs = 1_000, toMs = 2_000) =>
    ReplayCommand.create({ actor, webhookId: HOOK, fromMs, toMs });

  it('appends real-time events released and the others for the batch release, records the replay, in one transaction', async () => {
    const { service, log } = serviceWith();
    log.candidates = [
      { eventPk: 1, realtime: true },
      { eventPk: 2, realtime: false },
      { eventPk: 3, realtime: true },
    ];

    await expect(service.replay(replay())).resolves.toEqual({
      count: 3,
      realtimeEvents: 2,
      batchedEvents: 1,
    });

    expect(log.calls[0]).toBe(`candidates of ${ACCOUNT} [COURSE_COMPLETED,GRADE_POSTED] 1000-2000 up to 101`);
    expect(log.committed.appended).toEqual([
      { lane: { webhookId: HOOK, kind: 'REALTIME' }, eventPks: [1, 3], releaseNow: true },
      { lane: { webhookId: HOOK, kind: 'BATCH' }, eventPks: [2], releaseNow: false },
    ]);
    expect(log.committed.replays).toEqual([
      { accountId: ACCOUNT, webhookId: HOOK, fromMs: 1_000, toMs: 2_000, eventCount: 3, sub: 'alice' },
    ]);
    expect(log.calls.slice(1)).toEqual([
      `lock ${HOOK}`,
      'find waiting replay',
      `count pending of ${HOOK} up to 11`,
      'commit',
    ]);
  });

  it('refuses a range holding more than maxReplayEvents events, before locking anything', async () => {
    const { service, log } = serviceWith({ maxReplayEvents: 2 });
    log.candidates = [1, 2, 3].map((eventPk) => ({ eventPk, realtime: true }));

    const refused = await refusal(service.replay(replay()));

    expect(refused.code).toBe(DomainErrorCode.REPLAY_RANGE_TOO_LARGE);
    expect(log.calls).toEqual([`candidates of ${ACCOUNT} [COURSE_COMPLETED,GRADE_POSTED] 1000-2000 up to 3`]);
  });

  it('refuses the same replay while its events still wait, adding and recording nothing', async () => {
    const { service, log } = serviceWith();
    log.candidates = [{ eventPk: 1, realtime: true }];
    log.waiting = { replayId: 'r-1', createdAt: new Date('2026-03-01T09:00:00Z'), eventCount: 1 };

    const refused = await refusal(service.replay(replay()));

    expect(refused.code).toBe(DomainErrorCode.REPLAY_ALREADY_QUEUED);
    expect(log.committed).toEqual({ appended: [], replays: [] });
  });

  it('refuses, adding nothing, a replay that would take the webhook’s waiting events past the cap', async () => {
    const { service, log } = serviceWith({ maxPendingEventsPerWebhook: 10 });
    log.candidates = [1, 2, 3].map((eventPk) => ({ eventPk, realtime: true }));
    log.pendingEventCount = 8;

    const refused = await refusal(service.replay(replay()));

    expect(refused.code).toBe(DomainErrorCode.PENDING_EVENTS_LIMIT_REACHED);
    expect(refused.message).toContain('has 8 events waiting; 3 more would pass the cap of 10');
    expect(log.committed).toEqual({ appended: [], replays: [] });
  });

  it('answers 0 for an empty range and records no replay', async () => {
    const { service, log } = serviceWith();

    await expect(service.replay(replay())).resolves.toEqual({
      count: 0,
      realtimeEvents: 0,
      batchedEvents: 0,
    });
    expect(log.committed).toEqual({ appended: [], replays: [] });
  });

  it.each([
    ['another account’s', OTHER_ACCOUNT, 'ACTIVE', DomainErrorCode.WEBHOOK_NOT_FOUND],
    ['a disabled', ACCOUNT, 'DISABLED', DomainErrorCode.DELIVERY_NOT_REDELIVERABLE],
  ])('refuses %s webhook before reading any event', async (_, owner, status, code) => {
    const { service, log } = serviceWith();
    log.webhooks.set(HOOK, { accountId: owner, status, events: ['COURSE_COMPLETED'] });

    expect((await refusal(service.replay(replay()))).code).toBe(code);
    expect(log.calls).toEqual([]);
  });
});
