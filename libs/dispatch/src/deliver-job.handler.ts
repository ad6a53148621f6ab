import { Injectable } from '@nestjs/common';
import { DELIVER_JOB, DeliverJobData } from '@lms/queue-contract';
import type { Job } from 'bull';
import { DeliverDeliveryUseCase, DeliverResult } from './deliver-delivery.use-case';
import { DeliveryJobHandler } from './delivery-job-handler';

/** Transport only: job payload in, use case out. */
@Injectable()
export class DeliverJobHandler implements DeliveryJobHandler {
  readonly jobName = DELIVER_JOB;

  constructor(private readonly deliver: DeliverDeliveryUseCase) {}

  handle(job: Job<DeliverJobData>): Promise<DeliverResult> {
    return this.deliver.execute(job.data.deliveryId);
  }
}
