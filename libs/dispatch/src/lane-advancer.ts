import { InjectQueue } from '@nestjs/bull';
import { Inject, Injectable, OnApplicationShutdown } from '@nestjs/common';
import type { DispatcherConfig } from '@lms/config';
import { Metrics } from '@lms/observability';
import { DELIVERY_QUEUE, enqueueMissingDeliveries } from '@lms/queue-contract';
import { LaneRepository, retryOnDeadlock, type ClaimedRequest, type LaneKey } from '@lms/webhook-domain';
import type { Queue } from 'bull';
import { DISPATCHER_CONFIG } from './dispatch-tokens';
import { LaneDriverIdentity } from './lane-driver-identity';
import { MicroBatcher } from './micro-batcher';

/**
 * Claims lanes' next requests where no outcome is being written: a woken lane, a lane whose request
 * was cancelled, skipped or given up. lane_claim creates the next request(s) from the oldest waiting
 * events (at most maxEventsPerRequest, and no more than fit in MAX_REQUEST_BODY_BYTES) and returns
 * them with their events, or lets the lane go idle. Calls from concurrent jobs are gathered
 * group-commit style into one statement. (After a sent request, the outcome write claims the next
 * one itself: DeliveryOutcomeWriter.recordAndClaim.)
 */
@Injectable()
export class LaneAdvancer implements OnApplicationShutdown {
  private readonly batcher = new MicroBatcher<LaneKey, ClaimedRequest[]>((lanes) => this.claimMany(lanes), {
    maxSize: 200,
    maxInFlight: 2,
  });

  constructor(
    private readonly lanes: LaneRepository,
    @InjectQueue(DELIVERY_QUEUE) private readonly queue: Queue,
    @Inject(DISPATCHER_CONFIG) private readonly config: DispatcherConfig,
    private readonly identity: LaneDriverIdentity,
    private readonly metrics: Metrics,
  ) {}

  /** Resolves with the lane's new requests (committed, with their events): the caller sends them. */
  claim(lane: LaneKey): Promise<ClaimedRequest[]> {
    return this.batcher.submit(lane);
  }

  /**
   * For a wake-up or a repeated job that finds its lane busy: the lane's open request may belong to a
   * dispatcher that died (it was claimed and never sent, or its job was lost), and lane_claim creates
   * nothing while that request is open, so the lane would wait for the outbox relay's grace period.
   * Queues the open requests nobody drives (no live driver: LaneDriverIdentity) that have no job
   * (job id = delivery id: the others are left as they are).
   */
  async requeueOpenDeliveries(lane: LaneKey): Promise<number> {
    return enqueueMissingDeliveries(this.queue, await this.lanes.orphanedOpenDeliveryIds(lane));
  }

  async onApplicationShutdown(): Promise<void> {
    await this.batcher.drain();
  }

  private async claimMany(lanes: LaneKey[]): Promise<ClaimedRequest[][]> {
    // lane_claim locks lanes in one order, but a lane lock can still meet an ingestion's: try again.
    const claimed = await retryOnDeadlock(() =>
      this.lanes.claim(
        lanes,
        this.config.batchMaxEvents,
        this.config.maxRequestBodyBytes,
        this.identity.driver,
      ),
    );
    countCreated(this.metrics, claimed);
    // A lane asked for twice in one batch (an announcement and a queued wake-up at once) gets its
    // requests once: the first caller drives them, the other finds nothing (else both would send them).
    const given = new Set<string>();
    return lanes.map((lane) => {
      const key = `${lane.webhookId}:${lane.kind}`;
      if (given.has(key)) return [];
      given.add(key);
      return claimed.filter((request) => request.webhookId === lane.webhookId && request.kind === lane.kind);
    });
  }
}

/** deliveries_created and events_per_request, wherever requests are claimed. */
export function countCreated(metrics: Metrics, claimed: readonly ClaimedRequest[]): void {
  for (const request of claimed) {
    metrics.deliveriesCreated.inc({ kind: request.kind });
    metrics.eventsPerRequest.observe({ kind: request.kind }, request.events.length);
  }
}
