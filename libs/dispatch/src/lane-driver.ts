import { InjectQueue } from '@nestjs/bull';
import { BeforeApplicationShutdown, Injectable, Logger } from '@nestjs/common';
import { Metrics } from '@lms/observability';
import { DELIVERY_QUEUE, deliverJob, enqueueDeliveries } from '@lms/queue-contract';
import type { ClaimedRequest, LaneKey } from '@lms/webhook-domain';
import type { Queue } from 'bull';
import { AccountFairShare } from './account-fair-share';
import { DeliverDeliveryUseCase } from './deliver-delivery.use-case';
import { LaneAdvancer } from './lane-advancer';
import { LaneDriverIdentity } from './lane-driver-identity';
import { isInfrastructureError, RetryDeliveryError, unexpectedErrorRetryMs } from './retry-delivery-error';

/**
 * A lane's turn on this dispatcher ends after this many requests or this long, whichever comes first:
 * its next request then goes through the queue, behind the other lanes' work, so a lane with a
 * backlog cannot keep a worker slot for ever while others wait.
 */
export const LANE_TURN_MAX_REQUESTS = 100;
export const LANE_TURN_MAX_MS = 2_000;

/**
 * Drives a lane in the process that holds it: after a request's outcome, its next request (claimed by
 * the same statement that recorded the outcome, with its events) is sent at once from here, without a
 * queue job between the two. The lane's turn runs inside the job that started it (a wake-up or a
 * deliver job), so while it runs Bull holds that job's lock; if this process dies, the job comes back
 * and its re-run queues the lane's open request (LaneAdvancer.requeueOpenDeliveries).
 *
 * Whatever cannot go on here goes to the queue with its delay: a failed attempt (its retry, on the
 * delivery's schedule), a deferral over the account's fair share or the webhook's rate limit, an
 * unexpected error (counted as the deliver job counts them), the end of a turn, a shutdown, and any
 * request while this process does not hold its driver lock (LaneDriverIdentity: others may re-queue
 * its requests then, so it sends none from memory). Requests
 * beyond the first of a claim (maxInFlight > 1) are queued at once, within their account's share.
 */
@Injectable()
export class LaneDriver implements BeforeApplicationShutdown {
  private readonly logger = new Logger(LaneDriver.name);
  private stopping = false;
  /** Lanes this process is driving now, and whether more work was announced for them meanwhile. */
  private readonly driving = new Map<string, { drives: number; moreWork: boolean }>();

  constructor(
    private readonly deliver: DeliverDeliveryUseCase,
    private readonly advancer: LaneAdvancer,
    @InjectQueue(DELIVERY_QUEUE) private readonly queue: Queue,
    private readonly fairShare: AccountFairShare,
    private readonly identity: LaneDriverIdentity,
    private readonly metrics: Metrics,
  ) {}

  /**
   * An announcement for a lane (ingestion added events to it). Answers true when this process is
   * driving the lane now: it claims again once its current request finds nothing next (the events may
   * have been committed just after that request's claim looked), so the caller need not claim.
   */
  noteMoreWork(lane: LaneKey): boolean {
    const state = this.driving.get(laneKeyOf(lane));
    if (state === undefined) return false;
    state.moreWork = true;
    return true;
  }

  /** Sends the first request here and queues the others. Never throws: what fails here is queued. */
  async drive(claimed: readonly ClaimedRequest[]): Promise<void> {
    if (claimed.length === 0) return;
    const [first, ...others] = claimed;
    await this.enqueueWithinShares(others);
    const key = laneKeyOf(first);
    const state = this.driving.get(key) ?? { drives: 0, moreWork: false };
    state.drives += 1;
    this.driving.set(key, state);
    try {
      await this.driveLane(first, state);
    } finally {
      state.drives -= 1;
      if (state.drives === 0 && this.driving.get(key) === state) this.driving.delete(key);
    }
  }

  private async driveLane(first: ClaimedRequest, state: { moreWork: boolean }): Promise<void> {
    let next: ClaimedRequest | undefined = first;
    const turnStartedAt = Date.now();
    for (let sent = 0; next !== undefined; sent += 1) {
      // Without its driver lock this process may be taken for dead: the request goes to its job.
      const fenced = !this.identity.holdsLock;
      if (
        fenced ||
        this.stopping ||
        sent >= LANE_TURN_MAX_REQUESTS ||
        Date.now() - turnStartedAt >= LANE_TURN_MAX_MS
      ) {
        await this.handOver(next, 0);
        return;
      }
      const lane: LaneKey = { webhookId: next.webhookId, kind: next.kind };
      try {
        let following: ClaimedRequest[] = await this.deliver.sendClaimed(next);
        this.metrics.laneContinuations.inc();
        // Nothing next, but events were announced meanwhile: claim again (no await between the
        // check and the caller's clean-up, so an announcement after it goes to the listener).
        while (following.length === 0 && state.moreWork && !this.stopping) {
          state.moreWork = false;
          following = await this.claimAgain(lane);
        }
        const [after, ...alongside] = following;
        await this.enqueueWithinShares(alongside);
        next = after;
      } catch (error) {
        await this.afterError(next, error);
        return;
      }
    }
  }

  beforeApplicationShutdown(): void {
    this.stopping = true;
  }

  /**
   * A claim after an announcement. Its failure is not the sent request's (that one is recorded): the
   * lane stays busy with its events, and the sweep claims it.
   */
  private async claimAgain(lane: LaneKey): Promise<ClaimedRequest[]> {
    try {
      return await this.advancer.claim(lane);
    } catch (error) {
      this.logger.warn({
        msg: `claim after an announcement failed (the sweep claims the lane): ${(error as Error).message}`,
        webhookId: lane.webhookId,
      });
      return [];
    }
  }

  private async afterError(request: ClaimedRequest, error: unknown): Promise<void> {
    if (error instanceof RetryDeliveryError) {
      await this.handOver(request, error.retryInMs);
      return;
    }
    // As DeliverJobHandler counts them: the first unexpected error of this delivery (the database or
    // Redis away does not count); the deliver job goes on counting from the job data.
    const counted = isInfrastructureError(error) ? 0 : 1;
    this.metrics.deliveryUnexpectedErrors.inc({ error: errorClassOf(error) });
    this.logger.error({
      msg: `unexpected error on a lane's next request; it goes to the queue: ${(error as Error).message}`,
      deliveryId: request.deliveryId,
      stack: error instanceof Error ? error.stack : undefined,
    });
    await this.handOver(request, unexpectedErrorRetryMs(1), counted);
  }

  /** The request leaves this turn: its deliver job (job id = delivery id) runs it after `delayMs`. */
  private async handOver(request: ClaimedRequest, delayMs: number, unexpectedErrors = 0): Promise<void> {
    const job = deliverJob(request.deliveryId, delayMs);
    if (unexpectedErrors > 0) job.data.unexpectedErrors = unexpectedErrors;
    await this.queue
      .add(job.name, job.data, job.opts)
      .catch((error: Error) => this.enqueueFailed([request], error));
  }

  /**
   * Requests are queued at once as far as their account's free share of this dispatcher goes; the
   * rest with the delay of a deferral. A burst of one account (3 webhooks × maxInFlight 50 is 150
   * requests in one statement) then waits outside the queue instead of in front of other accounts.
   */
  private async enqueueWithinShares(requests: readonly ClaimedRequest[]): Promise<void> {
    if (requests.length === 0) return;
    const byAccount = new Map<number, string[]>();
    for (const request of requests) {
      byAccount.set(request.accountId, [...(byAccount.get(request.accountId) ?? []), request.deliveryId]);
    }
    const now: string[] = [];
    const later: Array<ReturnType<typeof deliverJob>> = [];
    for (const [accountId, deliveryIds] of byAccount) {
      const delays = this.fairShare.queueingDelays(accountId, deliveryIds);
      deliveryIds.forEach((deliveryId, index) =>
        delays[index] === 0 ? now.push(deliveryId) : later.push(deliverJob(deliveryId, delays[index])),
      );
    }
    try {
      await enqueueDeliveries(this.queue, now);
      if (later.length > 0) await this.queue.addBulk(later);
      if (later.length > 0) this.metrics.accountShareDeferrals.inc(later.length);
    } catch (error) {
      this.enqueueFailed(requests, error as Error);
    }
  }

  /** Committed requests whose job could not be queued: the outbox relay queues them after its grace. */
  private enqueueFailed(requests: readonly ClaimedRequest[], error: Error): void {
    this.metrics.enqueueFailures.inc({ source: 'dispatcher' }, requests.length);
    this.logger.error({
      msg: `could not queue ${requests.length} requests (the outbox relay will): ${error.message}`,
      deliveryIds: requests.slice(0, 20).map((request) => request.deliveryId),
    });
  }
}

/** A bounded label: the error's class name, never its message. */
export function errorClassOf(error: unknown): string {
  const name = error instanceof Error ? error.constructor.name : typeof error;
  return /^[A-Za-z][A-Za-z0-9_]{0,59}$/.test(name) ? name : 'Error';
}

function laneKeyOf(lane: LaneKey): string {
  return `${lane.webhookId}:${lane.kind}`;
}
