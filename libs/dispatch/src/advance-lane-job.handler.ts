import { Injectable } from '@nestjs/common';
import { Metrics } from '@lms/observability';
import { ADVANCE_LANE_JOB, type AdvanceLaneJobData } from '@lms/queue-contract';
import type { LaneDelivery } from '@lms/webhook-domain';
import type { Job } from 'bull';
import { DeliveryJobHandler } from './delivery-job-handler';
import { LaneAdvancer } from './lane-advancer';

/** Transport only: a lane's wake-up call in, its next requests created and queued. */
@Injectable()
export class AdvanceLaneJobHandler implements DeliveryJobHandler {
  readonly jobName = ADVANCE_LANE_JOB;

  constructor(
    private readonly advancer: LaneAdvancer,
    private readonly metrics: Metrics,
  ) {}

  async handle(job: Job<AdvanceLaneJobData>): Promise<LaneDelivery[]> {
    const startedAt = Date.now();
    // The job is created right after ingestion's commit: its age is the wake-up's (first run only).
    if (job.attemptsMade === 0) {
      this.metrics.laneStage.observe(
        { stage: 'commit_to_wake' },
        Math.max(0, startedAt - job.timestamp) / 1000,
      );
    }
    const lane = { webhookId: job.data.webhookId, kind: job.data.kind };
    const created = await this.advancer.advance(lane);
    this.metrics.laneStage.observe({ stage: 'wake_to_claim' }, (Date.now() - startedAt) / 1000);
    // Nothing new while the lane is busy: this may be the re-run of a wake-up whose replica died after
    // creating the lane's request and before queueing it (one check per activation, not per request).
    if (created.length === 0) await this.advancer.requeueOpenDeliveries(lane);
    return created;
  }
}
