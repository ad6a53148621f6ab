import { Injectable } from '@nestjs/common';
import { ADVANCE_LANE_JOB, type AdvanceLaneJobData } from '@lms/queue-contract';
import type { LaneDelivery } from '@lms/webhook-domain';
import type { Job } from 'bull';
import { DeliveryJobHandler } from './delivery-job-handler';
import { LaneAdvancer } from './lane-advancer';

/** Transport only: a lane's wake-up call in, its next requests created and queued. */
@Injectable()
export class AdvanceLaneJobHandler implements DeliveryJobHandler {
  readonly jobName = ADVANCE_LANE_JOB;

  constructor(private readonly advancer: LaneAdvancer) {}

  handle(job: Job<AdvanceLaneJobData>): Promise<LaneDelivery[]> {
    return this.advancer.advance({ webhookId: job.data.webhookId, kind: job.data.kind });
  }
}
