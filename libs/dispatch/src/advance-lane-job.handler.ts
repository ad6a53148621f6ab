import { Injectable } from '@nestjs/common';
import { Metrics } from '@lms/observability';
import { ADVANCE_LANE_JOB, type AdvanceLaneJobData } from '@lms/queue-contract';

import type { Job } from 'bull';
import { DeliveryJobHandler } from './delivery-job-handler';
import { LaneAdvancer } from './lane-advancer';
import { LaneDriver } from './lane-driver';

/**
 * Transport only: a lane's wake-up call in; its next requests claimed (with their events) and driven
 * from here (the first sent at once by this job, its followers after it: LaneDriver).
 */
@Injectable()
export class AdvanceLaneJobHandler implements DeliveryJobHandler {
  readonly jobName = ADVANCE_LANE_JOB;

  constructor(
    private readonly advancer: LaneAdvancer,
    private readonly driver: LaneDriver,
    private readonly metrics: Metrics,
  ) {}

  async handle(job: Job<AdvanceLaneJobData>): Promise<string[]> {
    const startedAt = Date.now();
    // The job is created right after ingestion's commit: its age is the wake-up's (first run only).
    if (job.attemptsMade === 0) {
      this.metrics.laneStage.observe(
        { stage: 'commit_to_wake' },
        Math.max(0, startedAt - job.timestamp) / 1000,
      );
    }
    const lane = { webhookId: job.data.webhookId, kind: job.data.kind };
    const claimed = await this.advancer.claim(lane);
    this.metrics.laneStage.observe({ stage: 'wake_to_claim' }, (Date.now() - startedAt) / 1000);
    // Nothing new while the lane is busy: this may be the re-run of a wake-up whose replica died after
    // creating the lane's request and before queueing it (one check per activation, not per request).
    if (claimed.length === 0) await this.advancer.requeueOpenDeliveries(lane);
    await this.driver.drive(claimed);
    return claimed.map((request) => request.deliveryId);
  }
}
