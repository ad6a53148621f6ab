import { InjectQueue } from '@nestjs/bull';
import { Inject, Injectable, OnApplicationShutdown } from '@nestjs/common';
import type { DispatcherConfig } from '@lms/config';
import { Metrics } from '@lms/observability';
import { DELIVERY_QUEUE, deliverJob, enqueueDeliveries, enqueueMissingDeliveries } from '@lms/queue-contract';
import { LaneRepository, retryOnDeadlock, type LaneDelivery, type LaneKey } from '@lms/webhook-domain';
import type { Queue } from 'bull';
import { AccountFairShare } from './account-fair-share';
import { DISPATCHER_CONFIG } from './dispatch-tokens';
import { MicroBatcher } from './micro-batcher';

/**
 * Moves lanes forward: after a lane wakes up, and after each of its requests finishes (sent, dead or
 * cancelled), advance_lane creates its next request(s) from the oldest waiting events (at most
 * maxEventsPerRequest, and no more than fit in MAX_REQUEST_BODY_BYTES), or lets it go idle. Calls
 * from concurrent jobs are gathered group-commit style into one statement, and the new
 * deliveries are queued (job id = delivery id) only after that statement committed. Each request
 * goes through the queue on its own, so thousands of busy lanes take turns on the workers.
 */
@Injectable()
export class LaneAdvancer implements OnApplicationShutdown {
  private readonly batcher = new MicroBatcher<LaneKey, LaneDelivery[]>((lanes) => this.advanceMany(lanes), {
    maxSize: 200,
    maxInFlight: 2,
  });

  constructor(
    private readonly lanes: LaneRepository,
    @InjectQueue(DELIVERY_QUEUE) private readonly queue: Queue,
    @Inject(DISPATCHER_CONFIG) private readonly config: DispatcherConfig,
    private readonly fairShare: AccountFairShare,
    private readonly metrics: Metrics,
  ) {}

  /** Resolves once the lane's next deliveries (if any) are committed and queued. */
  advance(lane: LaneKey): Promise<LaneDelivery[]> {
    return this.batcher.submit(lane);
  }

  /**
   * For a repeated job (a stalled one run again after its replica died): that replica may have
   * committed the lane's next request and died before queueing it, and advance_lane creates nothing
   * while that request is open, so the lane would wait for the outbox relay's grace period. Queues
   * the open requests that have no job (job id = delivery id: the others are left as they are).
   */
  async requeueOpenDeliveries(lane: LaneKey): Promise<number> {
    return enqueueMissingDeliveries(this.queue, await this.lanes.openDeliveryIds(lane));
  }

  async onApplicationShutdown(): Promise<void> {
    await this.batcher.drain();
  }

  private async advanceMany(lanes: LaneKey[]): Promise<LaneDelivery[][]> {
    // advance_lanes locks lanes in one order, but a lane lock can still meet an ingestion's: try again.
    const created = await retryOnDeadlock(() =>
      this.lanes.advance(lanes, this.config.batchMaxEvents, this.config.maxRequestBodyBytes),
    );
    await this.enqueueWithinShares(created);
    for (const delivery of created) {
      this.metrics.deliveriesCreated.inc({ kind: delivery.kind });
      this.metrics.eventsPerRequest.observe({ kind: delivery.kind }, delivery.eventCount);
    }
    return lanes.map((lane) =>
      created.filter((delivery) => delivery.webhookId === lane.webhookId && delivery.kind === lane.kind),
    );
  }

  /**
   * New requests are queued at once as far as their account's free share of this dispatcher goes; the
   * rest are queued with the delay of a deferral (and remembered as deferred). A burst of one account
   * (3 webhooks × maxInFlight 50 is 150 requests in one statement) then waits outside the queue
   * instead of standing in front of every other account's next request.
   */
  private async enqueueWithinShares(created: readonly LaneDelivery[]): Promise<void> {
    const byAccount = new Map<number, string[]>();
    for (const delivery of created) {
      const ids = byAccount.get(delivery.accountId) ?? [];
      ids.push(delivery.deliveryId);
      byAccount.set(delivery.accountId, ids);
    }
    const now: string[] = [];
    const later: Array<ReturnType<typeof deliverJob>> = [];
    for (const [accountId, deliveryIds] of byAccount) {
      const delays = this.fairShare.queueingDelays(accountId, deliveryIds);
      deliveryIds.forEach((deliveryId, index) =>
        delays[index] === 0 ? now.push(deliveryId) : later.push(deliverJob(deliveryId, delays[index])),
      );
    }
    await enqueueDeliveries(this.queue, now);
    for (let start = 0; start < later.length; start += MAX_JOBS_PER_ADD) {
      await this.queue.addBulk(later.slice(start, start + MAX_JOBS_PER_ADD));
    }
    if (later.length > 0) this.metrics.accountShareDeferrals.inc(later.length);
  }
}

/** One Redis pipeline per thousand jobs, as enqueueDeliveries does. */
const MAX_JOBS_PER_ADD = 1000;
