import { Inject, Injectable, Logger, OnApplicationShutdown, Optional } from '@nestjs/common';
import type { DispatcherConfig } from '@lms/config';
import {
  buildWebhookRequest,
  DeliveryFailure,
  WebhookHttpSender,
  withTraceHeaders,
  type SendOutcome,
} from '@lms/http-delivery';
import { Metrics } from '@lms/observability';
import { DeliveryTrace, traceParentsOf } from '@lms/tracing';
import {
  isOpenDeliveryStatus,
  type ClaimedRequest,
  type DeliveryOutcome,
  type LaneKey,
} from '@lms/webhook-domain';
import { AccountFairShare } from './account-fair-share';
import { DeliveryLoader, type LoadedDelivery } from './delivery-loader';
import { DeliveryOutcomeWriter } from './delivery-outcome-writer';
import { DISPATCH_CLOCK, systemDispatchClock, type DispatchClock } from './dispatch-clock';
import { DISPATCHER_CONFIG } from './dispatch-tokens';
import { LaneAdvancer } from './lane-advancer';
import { RetryDeliveryError } from './retry-delivery-error';
import { RetryPolicy } from './retry-policy';
import { WebhookDisabler } from './webhook-disabler';
import { WebhookRateLimiter } from './webhook-rate-limiter';
import { WebhookTargetCache, type WebhookTarget } from './webhook-target-cache';

export type DeliverResult = 'succeeded' | 'dead' | 'skipped' | 'cancelled';

/** One request worked: how it ended, and its lane's next requests (claimed, committed, to be sent). */
export interface DeliveryRun {
  result: DeliverResult;
  next: ClaimedRequest[];
}

function laneOf(delivery: LoadedDelivery): LaneKey {
  return { webhookId: delivery.webhookId, kind: delivery.kind };
}

/**
 * One attempt at one delivery: the body of the `deliver` job. Resolves when the delivery is finished
 * for this job (sent, dead, skipped); throws RetryDeliveryError when Bull must retry it later.
 */
/** A request its lane's claim just created: the claim's span, and when its events began to wait. */
interface ClaimSpan {
  startedAt: Date;
  endedAt: Date;
  waitedFrom?: Date;
}

@Injectable()
export class DeliverDeliveryUseCase implements OnApplicationShutdown {
  private readonly logger = new Logger(DeliverDeliveryUseCase.name);

  constructor(
    @Inject(DISPATCHER_CONFIG) private readonly config: DispatcherConfig,
    private readonly loader: DeliveryLoader,
    private readonly targets: WebhookTargetCache,
    private readonly sender: WebhookHttpSender,
    private readonly writer: DeliveryOutcomeWriter,
    private readonly retryPolicy: RetryPolicy,
    private readonly rateLimiter: WebhookRateLimiter,
    private readonly disabler: WebhookDisabler,
    private readonly lanes: LaneAdvancer,
    private readonly fairShare: AccountFairShare,
    private readonly metrics: Metrics,
    @Optional() @Inject(DISPATCH_CLOCK) private readonly now: DispatchClock = systemDispatchClock,
  ) {}

  /** After the queue worker has drained (beforeApplicationShutdown), the connection pools can go. */
  async onApplicationShutdown(): Promise<void> {
    await this.sender.close();
  }

  /**
   * Works one request of a lane, from its deliver job. While it keeps failing, RetryDeliveryError goes
   * up to the queue and the lane stays blocked behind it (its open delivery fills the in-flight slot).
   * Once it is finished (sent, dead, cancelled, or found finished by a repeated job), its lane moves
   * on: the answer carries the lane's next requests, claimed and committed, for the caller to send
   * (LaneDriver).
   */
  async execute(deliveryId: string): Promise<DeliveryRun> {
    // Deferred before and its account still holds its whole share: again, without loading its events.
    const deferMs = this.fairShare.deferralOf(deliveryId);
    if (deferMs !== undefined) throw this.deferred(deferMs);
    const delivery = await this.loader.load(deliveryId);
    // Postgres is the truth: a job for a vanished delivery is a stale wake-up call.
    if (!delivery) {
      this.metrics.deliveryOutcomes.inc({ outcome: 'skipped' });
      return { result: 'skipped', next: [] };
    }
    const run = await this.attempt(delivery);
    // Only a repeated job finds its delivery finished: its first run may have died between creating
    // the lane's next request and sending it.
    if (run.result === 'skipped') await this.lanes.requeueOpenDeliveries(laneOf(delivery));
    return run;
  }

  /**
   * Sends a request its lane's claim just created (it comes with its events: nothing is read again).
   * Answers the lane's next requests, as execute does; throws RetryDeliveryError as execute does.
   */
  async sendClaimed(request: ClaimedRequest): Promise<ClaimedRequest[]> {
    // Tracing: the claim ran from its transaction's start (the request's created_at) to here; its
    // events waited in the lane from their store on.
    const claim = { startedAt: request.createdAt, endedAt: this.now(), waitedFrom: request.firstStoredAt };
    const run = await this.attempt(
      {
        id: request.deliveryId,
        webhookId: request.webhookId,
        accountId: request.accountId,
        kind: request.kind,
        status: 'PENDING',
        attemptCount: request.attemptCount,
        createdAt: request.createdAt,
        events: request.events,
      },
      claim,
    );
    return run.next;
  }

  /** A finished request's lane moves on where no outcome write claimed for it (cancelled, skipped, 410). */
  private async claimNext(delivery: LoadedDelivery): Promise<ClaimedRequest[]> {
    const stopAdvance = this.metrics.laneStage.startTimer({ stage: 'advance' });
    try {
      return await this.lanes.claim(laneOf(delivery));
    } finally {
      stopAdvance();
    }
  }

  private async attempt(delivery: LoadedDelivery, claim?: ClaimSpan): Promise<DeliveryRun> {
    const deliveryId = delivery.id;
    // A job for a finished delivery (a repeat after a crash): nothing to send, but its lane may move.
    if (!isOpenDeliveryStatus(delivery.status)) {
      this.metrics.deliveryOutcomes.inc({ outcome: 'skipped' });
      return { result: 'skipped', next: await this.claimNext(delivery) };
    }
    const target = await this.targets.get(delivery.webhookId);
    if (!target || target.status !== 'ACTIVE' || target.deleted) {
      await this.disabler.cancelDeliveryOfInactiveWebhook(deliveryId);
      this.metrics.deliveryOutcomes.inc({ outcome: 'cancelled' });
      return { result: 'cancelled', next: await this.claimNext(delivery) };
    }
    const { startedAt, sent, traced } = await this.sendWithinShare(delivery, target, claim);
    try {
      const run = await traced.run(() => this.recordOutcome(delivery, target, startedAt, sent, traced));
      traced.end();
      return run;
    } catch (error) {
      // A retry is the outcome written, not a failure of the attempt's span.
      traced.end(error instanceof RetryDeliveryError ? undefined : error);
      throw error;
    }
  }

  private async recordOutcome(
    delivery: LoadedDelivery,
    target: WebhookTarget,
    startedAt: Date,
    sent: SendOutcome,
    traced: DeliveryTrace,
  ): Promise<DeliveryRun> {
    const deliveryId = delivery.id;
    const attempt = {
      startedAt,
      durationMs: sent.durationMs,
      statusCode: sent.statusCode,
      error: sent.error,
      responseSnippet: sent.responseSnippet,
      traceId: traced.traceId,
    };
    const base = { deliveryId, webhookId: target.id, attempt };

    let outcome: DeliveryOutcome;
    let retryInMs = 0;
    if (sent.error === null) {
      outcome = { ...base, status: 'SUCCEEDED' };
    } else if (sent.statusCode === 410) {
      outcome = { ...base, status: 'DEAD', deadReason: DeliveryFailure.receiverGone().text };
    } else {
      const decision = this.retryPolicy.decide({
        attemptNumber: delivery.attemptCount + 1,
        ageMs: startedAt.getTime() - delivery.createdAt.getTime(),
        retryAfterMs: sent.retryAfterMs,
      });
      if (decision.kind === 'dead') {
        outcome = { ...base, status: 'DEAD', deadReason: `${sent.error} (${decision.reason})` };
      } else {
        retryInMs = decision.delayMs;
        outcome = { ...base, status: 'RETRYING', nextAttemptAt: new Date(this.now().getTime() + retryInMs) };
      }
    }

    // A finished request (not a 410: its webhook is disabled first) claims its lane's next request in
    // the same round trip as its outcome; a retry keeps the lane blocked.
    const gone = sent.statusCode === 410;
    const stopOutcomeCommit = this.metrics.laneStage.startTimer({ stage: 'outcome_commit' });
    const { written, claimed } = await traced.outcome(outcome.status, async () =>
      outcome.status !== 'RETRYING' && !gone
        ? this.writer.recordAndClaim(outcome, laneOf(delivery))
        : { written: await this.writer.record(outcome), claimed: [] },
    );
    stopOutcomeCommit();
    const label =
      outcome.status === 'SUCCEEDED' ? 'succeeded' : outcome.status === 'DEAD' ? 'dead' : 'retrying';
    this.metrics.deliveryOutcomes.inc({ outcome: label });
    this.metrics.attemptDuration.observe({ outcome: label }, sent.durationMs / 1000);

    if (gone) await this.disabler.disableByReceiver(target.id, deliveryId);
    if (written.status === 'RETRYING') {
      throw new RetryDeliveryError(`attempt ${written.attemptNumber} failed: ${sent.error}`, retryInMs, true);
    }
    if (written.status === 'DEAD') {
      this.logger.warn({
        msg: `delivery is dead: ${sent.error}`,
        failureCode: sent.failure?.code,
        deliveryId,
        webhookId: target.id,
        accountId: delivery.accountId,
        attempts: written.attemptNumber,
      });
    }
    const result: DeliverResult =
      written.status === 'SUCCEEDED' ? 'succeeded' : written.status === 'DEAD' ? 'dead' : 'cancelled';
    // Written by record (a 410), or cancelled meanwhile and so claimed nothing: claim here.
    const next =
      gone || (claimed.length === 0 && written.status === 'CANCELLED')
        ? await this.claimNext(delivery)
        : claimed;
    return { result, next };
  }

  /**
   * The request goes out only within its account's fair share of this dispatcher's slots, whatever its
   * webhooks' maxInFlight: over it, the job is put back (RetryDeliveryError, no attempt recorded) and
   * frees its worker slot for other accounts. The share is taken before the webhook's rate limit, so a
   * deferred request does not use up the webhook's window.
   */
  private async sendWithinShare(
    delivery: LoadedDelivery,
    target: WebhookTarget,
    claim: ClaimSpan | undefined,
  ): Promise<{ startedAt: Date; sent: SendOutcome; traced: DeliveryTrace }> {
    const slot = this.fairShare.tryAcquire(delivery.accountId, delivery.id);
    if (slot === null) throw this.deferred(this.fairShare.deferralDelayMs(delivery.accountId));
    try {
      if (target.rateLimitPerSecond !== null) {
        const waitMs = await this.rateLimiter.acquire(target.id, target.rateLimitPerSecond);
        if (waitMs > 0) {
          this.metrics.deliveryOutcomes.inc({ outcome: 'rate_limited' });
          throw new RetryDeliveryError(`rate limit of ${target.rateLimitPerSecond}/s reached`, waitMs);
        }
      }
      const startedAt = this.now();
      if (delivery.attemptCount === 0) {
        const sinceCreated = Math.max(0, startedAt.getTime() - delivery.createdAt.getTime());
        this.metrics.laneStage.observe({ stage: 'claim_to_post' }, sinceCreated / 1000);
      }
      const stopPost = this.metrics.laneStage.startTimer({ stage: 'post' });
      // Tracing: the attempt's spans in its first event's trace, linked to each (off: none, no header).
      const traced = DeliveryTrace.start({
        eventContexts: traceParentsOf(delivery.events),
        attributes: {
          'webhook.id': target.id,
          'webhook.delivery.id': delivery.id,
          'webhook.attempt': delivery.attemptCount + 1,
        },
        claim,
        committedAt: claim?.waitedFrom,
      });
      const sent = await traced.run(() => {
        const request = traced.sign(() =>
          buildWebhookRequest({
            messageId: delivery.id,
            url: target.targetUrl,
            accountId: delivery.accountId,
            events: delivery.events,
            credentials: target,
            now: startedAt,
            userAgent: this.sender.userAgent,
          }),
        );
        return traced.post(target.traceContextHeaders, (traceHeaders) =>
          this.sender.send(withTraceHeaders(request, traceHeaders), { timed: traced.traceId !== null }),
        );
      });
      stopPost();
      return { startedAt, sent, traced };
    } finally {
      slot.release();
    }
  }

  private deferred(deferMs: number): RetryDeliveryError {
    this.metrics.accountShareDeferrals.inc();
    return new RetryDeliveryError(`account holds its share of this dispatcher's requests`, deferMs);
  }
}
