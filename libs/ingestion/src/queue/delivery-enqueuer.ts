import { DELIVERY_QUEUE, deliverJob, type DeliverJobData } from '@lms/queue-contract';
import { InjectQueue } from '@nestjs/bull';
import { Injectable } from '@nestjs/common';
import type { Queue } from 'bull';

const MAX_JOBS_PER_CALL = 1000;

/**
 * Wakes the dispatcher for persisted deliveries. Job id = delivery id, so enqueuing a delivery that is
 * already queued (relay after a crash, two relays) is a no-op.
 */
@Injectable()
export class DeliveryEnqueuer {
  constructor(@InjectQueue(DELIVERY_QUEUE) private readonly queue: Queue<DeliverJobData>) {}

  async enqueue(deliveryIds: readonly string[]): Promise<void> {
    // Chunked so one huge relay run does not build one multi-megabyte Redis pipeline.
    for (let start = 0; start < deliveryIds.length; start += MAX_JOBS_PER_CALL) {
      const chunk = deliveryIds.slice(start, start + MAX_JOBS_PER_CALL);
      await this.queue.addBulk(chunk.map((id) => deliverJob(id)));
    }
  }
}
