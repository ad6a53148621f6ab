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

  /**
   * Enqueues only the deliveries that have no job in Redis, and answers how many that was. The relay
   * uses it: during a long backlog every waiting delivery looks overdue, and re-adding thousands of
   * existing jobs each pass would cost CPU for nothing and make the relay metric meaningless.
   */
  async enqueueMissing(deliveryIds: readonly string[]): Promise<number> {
    if (deliveryIds.length === 0) return 0;
    const pipeline = this.queue.client.pipeline();
    for (const id of deliveryIds) pipeline.exists(this.queue.toKey(id));
    const results = (await pipeline.exec()) ?? [];
    const missing = deliveryIds.filter((_, index) => results[index]?.[1] === 0);
    await this.enqueue(missing);
    return missing.length;
  }
}
