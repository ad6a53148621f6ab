import {
  DELIVERY_QUEUE,
  enqueueDeliveries,
  enqueueMissingDeliveries,
  type DeliverJobData,
} from '@lms/queue-contract';
import { InjectQueue } from '@nestjs/bull';
import { Injectable } from '@nestjs/common';
import type { Queue } from 'bull';

/** The ingestion's handle on the delivery queue (the freshly stored deliveries, and the relay's). */
@Injectable()
export class DeliveryEnqueuer {
  constructor(@InjectQueue(DELIVERY_QUEUE) private readonly queue: Queue<DeliverJobData>) {}

  enqueue(deliveryIds: readonly string[]): Promise<void> {
    return enqueueDeliveries(this.queue, deliveryIds);
  }

  enqueueMissing(deliveryIds: readonly string[]): Promise<number> {
    return enqueueMissingDeliveries(this.queue, deliveryIds);
  }
}
