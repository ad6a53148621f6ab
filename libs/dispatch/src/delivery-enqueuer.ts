import { DELIVERY_QUEUE, enqueueMissingDeliveries, enqueueMissingLaneWakeUps } from '@lms/queue-contract';
import type { WokenLane } from '@lms/webhook-domain';
import { InjectQueue } from '@nestjs/bull';
import { Injectable } from '@nestjs/common';
import type { Queue } from 'bull';

/** The outbox relay's handle on the delivery queue: it queues only what has no job in Redis. */
@Injectable()
export class DeliveryEnqueuer {
  constructor(@InjectQueue(DELIVERY_QUEUE) private readonly queue: Queue) {}

  /** Only lanes whose wake-up job is not in Redis any more; answers how many. */
  wakeLanesMissingTheirJob(lanes: readonly WokenLane[]): Promise<number> {
    return enqueueMissingLaneWakeUps(this.queue, lanes);
  }

  /** Only deliveries that have no live job; answers how many. */
  enqueueMissing(deliveryIds: readonly string[]): Promise<number> {
    return enqueueMissingDeliveries(this.queue, deliveryIds);
  }
}
