import type { DispatcherConfig } from '@lms/config';
import {
  DeliveryFailure,
  type SendOutcome,
  type SendRequest,
  type WebhookHttpSender,
} from '@lms/http-delivery';
import { Metrics } from '@lms/observability';
import type { ClaimedRequest, DeliveryOutcome, LaneKey, WrittenOutcome } from '@lms/webhook-domain';
import { AccountFairShare } from './account-fair-share';
import { DeliverDeliveryUseCase } from './deliver-delivery.use-case';
import type { DeliveryLoader, LoadedDelivery } from './delivery-loader';
import type { DeliveryOutcomeWriter, RecordedAndClaimed } from './delivery-outcome-writer';
import type { LaneAdvancer } from './lane-advancer';
import { RetryDeliveryError } from './retry-delivery-error';
import { RetryPolicy } from './retry-policy';
import type { WebhookDisabler } from './webhook-disabler';
import type { WebhookRateLimiter } from './webhook-rate-limiter';
import type { WebhookTarget, WebhookTargetCache } from './webhook-target-cache';

const NOW = new Date('2026-03-01T10:00:00.000Z');
const ACCOUNT = 1010;
const HOOK = 'hook-1';
// 1 s, 10 s, then 10 s again; a delivery older than a minute at its next attempt is given up.
const RETRY = { scheduleMs: [1_000, 10_000], maxAgeMs: 60_000, jitterRatio: 0 };

function openDelivery(overrides: Partial<LoadedDelivery> = {}): LoadedDelivery {
  return {
    id: 'delivery-1',
    webhookId: HOOK,
    accountId: ACCOUNT,
    kind: 'REALTIME',
    status: 'PENDING',
    attemptCount: 0,
    createdAt: new Date(NOW.getTime() - 5_000),
    events: [{ eventId: 'e-1', eventName: 'COURSE_COMPLETED', timestamp: 1, eventInfo: '', dataJson: '{}' }],
    ...overrides,
  };
}

function activeTarget(overrides: Partial<WebhookTarget> = {}): WebhookTarget {
  return {
    id: HOOK,
    accountId: ACCOUNT,
    targetUrl: 'http://127.0.0.1:9/hook',
    status: 'ACTIVE',
    deleted: false,
    rateLimitPerSecond: null,
    traceContextHeaders: true,
    authType: 'NONE',
    basicUsername: null,
    basicPassword: null,
    secrets: [],
    ...overrides,
  };
}

function answered(statusCode: number, retryAfterMs: number | null = null): SendOutcome {
  const failure = statusCode >= 200 && statusCode < 300 ? null : DeliveryFailure.httpStatus(statusCode);
  return {
    statusCode,
    durationMs: 42,
    responseSnippet: `answer ${statusCode}`,
    failure,
    error: failure?.text ?? null,
    retryAfterMs,
  };
}

class FakeSender implements Pick<WebhookHttpSender, 'send' | 'userAgent' | 'close'> {
  readonly userAgent = 'lms-webhooks/spec';
  readonly sent: SendRequest[] = [];
  constructor(private readonly answer: SendOutcome) {}
  async send(request: SendRequest): Promise<SendOutcome> {
    this.sent.push(request);
    return this.answer;
  }
  async close(): Promise<void> {}
}

/** Writes what it is given, unless the row was cancelled meanwhile (then the row says CANCELLED). */
class FakeWriter implements Pick<DeliveryOutcomeWriter, 'record' | 'recordAndClaim'> {
  readonly recorded: DeliveryOutcome[] = [];
  /** Lanes whose next request an outcome write claimed (recordAndClaim). */
  readonly claimedFor: LaneKey[] = [];
  constructor(
    private readonly cancelledMeanwhile = false,
    private readonly next: ClaimedRequest[] = [],
  ) {}
  async record(outcome: DeliveryOutcome): Promise<WrittenOutcome> {
    this.recorded.push(outcome);
    return { status: this.cancelledMeanwhile ? 'CANCELLED' : outcome.status, attemptNumber: 3 };
  }
  async recordAndClaim(outcome: DeliveryOutcome, lane: LaneKey): Promise<RecordedAndClaimed> {
    const written = await this.record(outcome);
    this.claimedFor.push(lane);
    return { written, claimed: this.cancelledMeanwhile ? [] : this.next };
  }
}

/** `advanced`: lanes claimed apart from an outcome write (cancelled, skipped, 410). */
class FakeLanes implements Pick<LaneAdvancer, 'claim' | 'requeueOpenDeliveries'> {
  readonly advanced: LaneKey[] = [];
  readonly requeued: LaneKey[] = [];
  async claim(lane: LaneKey): Promise<ClaimedRequest[]> {
    this.advanced.push(lane);
    return [];
  }
  async requeueOpenDeliveries(lane: LaneKey): Promise<number> {
    this.requeued.push(lane);
    return 0;
  }
}

class FakeDisabler implements Pick<WebhookDisabler, 'disableByReceiver' | 'cancelDeliveryOfInactiveWebhook'> {
  readonly disabled: Array<[string, string]> = [];
  readonly cancelled: string[] = [];
  async disableByReceiver(webhookId: string, deliveryId: string): Promise<boolean> {
    this.disabled.push([webhookId, deliveryId]);
    return true;
  }
  async cancelDeliveryOfInactiveWebhook(deliveryId: string): Promise<void> {
    this.cancelled.push(deliveryId);
  }
}

/** Answers the wait before the webhook's next request may go (0: now). */
class FakeRateLimiter implements Pick<WebhookRateLimiter, 'acquire'> {
  readonly asked: Array<[string, number]> = [];
  constructor(private readonly waitMs = 0) {}
  async acquire(webhookId: string, limitPerSecond: number): Promise<number> {
    this.asked.push([webhookId, limitPerSecond]);
    return this.waitMs;
  }
}

function useCaseWith(
  parts: {
    delivery?: LoadedDelivery | null;
    target?: WebhookTarget | null;
    answer?: SendOutcome;
    writer?: FakeWriter;
    rateLimiter?: FakeRateLimiter;
    fairShare?: AccountFairShare;
  } = {},
) {
  const delivery = parts.delivery === undefined ? openDelivery() : parts.delivery;
  const target = parts.target === undefined ? activeTarget() : parts.target;
  const loads: string[] = [];
  const loader: Pick<DeliveryLoader, 'load'> = {
    load: async (id) => {
      loads.push(id);
      return delivery;
    },
  };
  const targets: Pick<WebhookTargetCache, 'get'> = { get: async () => target };
  const sender = new FakeSender(parts.answer ?? answered(204));
  const writer = parts.writer ?? new FakeWriter();
  const lanes = new FakeLanes();
  const disabler = new FakeDisabler();
  const rateLimiter = parts.rateLimiter ?? new FakeRateLimiter();
  const fairShare =
    parts.fairShare ?? new AccountFairShare({ slotsPerAccount: 4, minDeferralMs: 50, maxDeferralMs: 1_000 });
  const metrics = new Metrics();
  const deliver = new DeliverDeliveryUseCase(
    {} as DispatcherConfig,
    loader as DeliveryLoader,
    targets as WebhookTargetCache,
    sender as unknown as WebhookHttpSender,
    writer as unknown as DeliveryOutcomeWriter,
    new RetryPolicy(RETRY),
    rateLimiter as unknown as WebhookRateLimiter,
    disabler as unknown as WebhookDisabler,
    lanes as unknown as LaneAdvancer,
    fairShare,
    metrics,
    () => new Date(NOW),
  );
  return { deliver, sender, writer, lanes, disabler, rateLimiter, metrics, loads };
}

async function outcomesCounted(metrics: Metrics): Promise<Record<string, number>> {
  const counted: Record<string, number> = {};
  for (const value of (await metrics.deliveryOutcomes.get()).values) {
    counted[String(value.labels.outcome)] = value.value;
  }
  return counted;
}

const LANE: LaneKey = { webhookId: HOOK, kind: 'REALTIME' };

describe('DeliverDeliveryUseCase', () => {
  it('sends a 2xx-answered request once, records it SUCCEEDED at the clock’s time, and moves its lane on', async () => {
    const { deliver, sender, writer, lanes, metrics } = useCaseWith();

    await expect(deliver.execute('delivery-1')).resolves.toMatchObject({ result: 'succeeded' });

    expect(sender.sent).toHaveLength(1);
    expect(sender.sent[0].url).toBe('http://127.0.0.1:9/hook');
    expect(sender.sent[0].headers['webhook-id']).toBe('delivery-1');
    expect(sender.sent[0].headers['webhook-timestamp']).toBe(String(NOW.getTime() / 1000));
    expect(writer.recorded).toEqual([
      {
        deliveryId: 'delivery-1',
        webhookId: HOOK,
        status: 'SUCCEEDED',
        attempt: {
          startedAt: NOW,
          durationMs: 42,
          statusCode: 204,
          error: null,
          responseSnippet: 'answer 204',
          traceId: null, // tracing is off here
        },
      },
    ]);
    // The outcome write claims the lane's next request itself: no second lane step.
    expect(writer.claimedFor).toEqual([LANE]);
    expect(lanes.advanced).toEqual([]);
    expect(lanes.requeued).toEqual([]);
    expect(await outcomesCounted(metrics)).toEqual({ succeeded: 1 });
  });

  it('observes the lane stages of a first attempt: created → POST by the clock, the POST, the outcome write (which claims the next step)', async () => {
    const { deliver, metrics } = useCaseWith();

    await deliver.execute('delivery-1');

    const values = (await metrics.laneStage.get()).values;
    const counts = Object.fromEntries(
      values
        .filter((v) => v.metricName === 'lmsw_lane_stage_seconds_count')
        .map((v) => [String(v.labels.stage), v.value]),
    );
    expect(counts).toEqual({ claim_to_post: 1, post: 1, outcome_commit: 1 });
    // Created 5 s before the clock's POST start.
    const claimToPostSum = values.find(
      (v) => v.metricName === 'lmsw_lane_stage_seconds_sum' && v.labels.stage === 'claim_to_post',
    )?.value;
    expect(claimToPostSum).toBe(5);
  });

  it('observes no claim_to_post for a retried attempt (its created_at is its first attempt’s)', async () => {
    const { deliver, metrics } = useCaseWith({ delivery: openDelivery({ attemptCount: 1 }) });

    await deliver.execute('delivery-1');

    const counts = (await metrics.laneStage.get()).values
      .filter((v) => v.metricName === 'lmsw_lane_stage_seconds_count')
      .map((v) => v.labels.stage);
    expect(counts).not.toContain('claim_to_post');
    expect(counts).toContain('post');
  });

  it('records a failed attempt RETRYING with the next attempt one schedule step after the clock, and throws for the queue', async () => {
    const { deliver, writer, lanes } = useCaseWith({
      delivery: openDelivery({ attemptCount: 1 }),
      answer: answered(500),
    });

    const thrown = await deliver.execute('delivery-1').catch((error: unknown) => error);

    expect(thrown).toBeInstanceOf(RetryDeliveryError);
    expect(thrown).toMatchObject({ retryInMs: 10_000, afterRecordedAttempt: true });
    expect((thrown as Error).message).toBe(`attempt 3 failed: ${DeliveryFailure.httpStatus(500).text}`);
    expect(writer.recorded).toEqual([
      expect.objectContaining({ status: 'RETRYING', nextAttemptAt: new Date(NOW.getTime() + 10_000) }),
    ]);
    // The lane stays blocked behind its failing request: no next request is made.
    expect(writer.claimedFor).toEqual([]);
    expect(lanes.advanced).toEqual([]);
  });

  it('waits as long as a Retry-After asks when it is longer than the schedule step', async () => {
    const { deliver, writer } = useCaseWith({ answer: answered(429, 7_000) });

    await expect(deliver.execute('delivery-1')).rejects.toMatchObject({ retryInMs: 7_000 });
    expect(writer.recorded[0].nextAttemptAt).toEqual(new Date(NOW.getTime() + 7_000));
  });

  it('gives a delivery up as DEAD when its next attempt would fall past the retry window, measured by the clock', async () => {
    // Created 55 s before the clock: the next step (10 s) would end past the 60 s window.
    const { deliver, writer, metrics } = useCaseWith({
      delivery: openDelivery({ attemptCount: 1, createdAt: new Date(NOW.getTime() - 55_000) }),
      answer: answered(503),
    });

    await expect(deliver.execute('delivery-1')).resolves.toMatchObject({ result: 'dead' });

    expect(writer.recorded).toEqual([
      expect.objectContaining({
        status: 'DEAD',
        deadReason: `${DeliveryFailure.httpStatus(503).text} (gave up after 2 attempts: older than the retry window)`,
      }),
    ]);
    expect(writer.claimedFor).toEqual([LANE]);
    expect(await outcomesCounted(metrics)).toEqual({ dead: 1 });
  });

  it('makes a 410 DEAD at once and disables the webhook by its receiver before its lane moves', async () => {
    const { deliver, writer, disabler, lanes } = useCaseWith({ answer: answered(410) });

    await expect(deliver.execute('delivery-1')).resolves.toMatchObject({ result: 'dead' });

    expect(writer.recorded).toEqual([
      expect.objectContaining({ status: 'DEAD', deadReason: DeliveryFailure.receiverGone().text }),
    ]);
    expect(disabler.disabled).toEqual([[HOOK, 'delivery-1']]);
    expect(writer.claimedFor).toEqual([]);
    expect(lanes.advanced).toEqual([LANE]);
  });

  it('answers the lane’s next requests its outcome write claimed, and sends a claimed request without reading it again', async () => {
    const next: ClaimedRequest = {
      deliveryId: 'delivery-2',
      webhookId: HOOK,
      kind: 'REALTIME',
      accountId: ACCOUNT,
      attemptCount: 0,
      createdAt: new Date(NOW.getTime() - 1_000),
      events: [
        {
          eventId: 'e-2',
          eventName: 'COURSE_COMPLETED',
          timestamp: 2,
          eventInfo: 'i',
          dataJson: '{"x": 1.0}',
        },
      ],
    };
    const { deliver, sender, loads } = useCaseWith({ writer: new FakeWriter(false, [next]) });

    const run = await deliver.execute('delivery-1');
    expect(run).toEqual({ result: 'succeeded', next: [next] });

    const following = await deliver.sendClaimed(next);
    expect(following).toEqual([next]);
    expect(loads).toEqual(['delivery-1']);
    expect(sender.sent.map((request) => request.headers['webhook-id'])).toEqual(['delivery-1', 'delivery-2']);
    expect(sender.sent[1].body.toString('utf8')).toContain('"data":{"x": 1.0}');
  });

  it('answers cancelled, without a retry, when the delivery was cancelled while it was being sent', async () => {
    const { deliver, writer, lanes } = useCaseWith({ answer: answered(500), writer: new FakeWriter(true) });

    await expect(deliver.execute('delivery-1')).resolves.toMatchObject({ result: 'cancelled' });

    expect(writer.recorded).toHaveLength(1);
    expect(lanes.advanced).toEqual([LANE]);
  });

  it.each([
    ['disabled', activeTarget({ status: 'DISABLED' })],
    ['deleted', activeTarget({ deleted: true })],
    ['gone', null],
  ])('cancels, unsent, a delivery whose webhook is %s, and moves its lane on', async (_, target) => {
    const { deliver, sender, writer, disabler, lanes, metrics } = useCaseWith({ target });

    await expect(deliver.execute('delivery-1')).resolves.toMatchObject({ result: 'cancelled' });

    expect(sender.sent).toEqual([]);
    expect(writer.recorded).toEqual([]);
    expect(disabler.cancelled).toEqual(['delivery-1']);
    expect(lanes.advanced).toEqual([LANE]);
    expect(await outcomesCounted(metrics)).toEqual({ cancelled: 1 });
  });

  it('skips a job whose delivery vanished: nothing sent, no lane touched', async () => {
    const { deliver, sender, lanes, metrics } = useCaseWith({ delivery: null });

    await expect(deliver.execute('delivery-1')).resolves.toMatchObject({ result: 'skipped' });

    expect(sender.sent).toEqual([]);
    expect(lanes.advanced).toEqual([]);
    expect(await outcomesCounted(metrics)).toEqual({ skipped: 1 });
  });

  it('skips a repeated job whose delivery is finished, and re-queues its lane’s open requests', async () => {
    const { deliver, sender, writer, lanes } = useCaseWith({
      delivery: openDelivery({ status: 'SUCCEEDED' }),
    });

    await expect(deliver.execute('delivery-1')).resolves.toMatchObject({ result: 'skipped' });

    expect(sender.sent).toEqual([]);
    expect(writer.recorded).toEqual([]);
    expect(lanes.advanced).toEqual([LANE]);
    expect(lanes.requeued).toEqual([LANE]);
  });

  it('puts the job back unsent, with no attempt recorded, when the webhook’s rate limit is reached, and frees the account’s slot', async () => {
    const fairShare = new AccountFairShare({ slotsPerAccount: 1, minDeferralMs: 50, maxDeferralMs: 1_000 });
    const { deliver, sender, writer, rateLimiter, metrics } = useCaseWith({
      target: activeTarget({ rateLimitPerSecond: 5 }),
      rateLimiter: new FakeRateLimiter(200),
      fairShare,
    });

    const thrown = await deliver.execute('delivery-1').catch((error: unknown) => error);

    expect(thrown).toBeInstanceOf(RetryDeliveryError);
    expect(thrown).toMatchObject({ retryInMs: 200, afterRecordedAttempt: false });
    expect(rateLimiter.asked).toEqual([[HOOK, 5]]);
    expect(sender.sent).toEqual([]);
    expect(writer.recorded).toEqual([]);
    expect(await outcomesCounted(metrics)).toEqual({ rate_limited: 1 });
    // The account's only slot was given back: its next request is admitted.
    expect(fairShare.tryAcquire(ACCOUNT, 'delivery-2')).not.toBeNull();
  });
});
