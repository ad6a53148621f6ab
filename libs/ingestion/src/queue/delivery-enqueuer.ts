import {
  DELIVERY_QUEUE,
  enqueueDeliveries,
  enqueueLaneWakeUps,
  enqueueMissingDeliveries,
  enqueueMissingLaneWakeUps,
} from '@lms/queue-contract';
import type { WokenLane } from '@lms/webhook-domain';
import { InjectQueue } from '@nestjs/bull';
import { Injectable } from '@nestjs/common';
import type { Queue } from 'bull';

/** The ingestion's handle on the delivery queue (the lanes it woke, and the relay's re-queues). */
@Injectable()
export class DeliveryEnqueuer {
  constructor(@InjectQueue(DELIVERY_QUEUE) private readonly queue: Queue) {}

  wakeLanes(lanes: readonly WokenLane[]): Promise<void> {
    return enqueueLaneWakeUps(this.queue, lanes);
  }

  /** The relay's: only lanes whose wake-up job is not in Redis any more; answers how many. */
  wakeLanesMissingTheirJob(lanes: readonly WokenLane[]): Promise<number> {
    return enqueueMissingLaneWakeUps(this.queue, lanes);
  }

  enqueue(deliveryIds: readonly string[]): Promise<void> {
    return enqueueDeliveries(this.queue, deliveryIds);
  }

  enqueueMissing(deliveryIds: readonly string[]): Promise<number> {
    return enqueueMissingDeliveries(this.queue, deliveryIds);
  }
}
