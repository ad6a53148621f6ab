import { InjectQueue } from '@nestjs/bull';
import { Injectable } from '@nestjs/common';
import type { Queue } from 'bull';
import { DELIVERY_QUEUE, enqueueLaneWakeUps } from '@lms/queue-contract';
import { DeliveryWakeUp, type WokenLane } from '@lms/webhook-domain';

/** Redis can be down while Postgres is up; an admin request must not hang on it (the relay covers it). */
const ENQUEUE_TIMEOUT_MS = 3000;

@Injectable()
export class BullDeliveryWakeUp extends DeliveryWakeUp {
  constructor(@InjectQueue(DELIVERY_QUEUE) private readonly queue: Queue) {
    super();
  }

  async wakeLanes(lanes: readonly WokenLane[]): Promise<void> {
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(
        () => reject(new Error(`queue did not answer within ${ENQUEUE_TIMEOUT_MS} ms`)),
        ENQUEUE_TIMEOUT_MS,
      );
    });
    try {
      await Promise.race([enqueueLaneWakeUps(this.queue, lanes), timeout]);
    } finally {
      clearTimeout(timer);
    }
  }
}
