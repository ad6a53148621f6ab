import type { JobOptions } from 'bull';

/**
 * The one contract between whoever enqueues deliveries (ingestion, the outbox relay, the batch flusher,
 * the admin API's redeliver) and the dispatcher that works them. Postgres is the truth; a job is only a
 * wake-up call naming a delivery row.
 */
export const DELIVERY_QUEUE = 'deliveries';
export const DELIVER_JOB = 'deliver';
/** Moves one lane: turns its oldest events into the next request(s), or lets it go idle. */
export const ADVANCE_LANE_JOB = 'advance-lane';

export interface DeliverJobData {
  deliveryId: string;
  /**
   * Unexpected errors (not failed attempts) this job has met so far: kept in the job so the count
   * survives a restart or a stalled job moving to another replica. Absent = none.
   */
  unexpectedErrors?: number;
}

export interface AdvanceLaneJobData {
  webhookId: string;
  kind: 'REALTIME' | 'BATCH';
}

/** Bull backoff strategy name; the dispatcher registers it, and reads the delay off the thrown error. */
export const DELIVERY_BACKOFF_STRATEGY = 'delivery-schedule';

/**
 * Job id = delivery id, so a second enqueue of the same delivery (relay after a crash, redelivery
 * races) is a no-op while the first job exists. Retries are Bull retries of the same job with our own
 * schedule; the attempt budget is effectively unbounded because the dispatcher decides when a delivery
 * is DEAD (by age, from Postgres; or after DELIVERY_MAX_UNEXPECTED_ERRORS unexpected errors), not Bull.
 */
export function deliverJobOptions(deliveryId: string, delayMs = 0): JobOptions {
  return {
    jobId: deliveryId,
    delay: delayMs > 0 ? delayMs : undefined,
    attempts: 1_000_000,
    backoff: { type: DELIVERY_BACKOFF_STRATEGY },
    // Every planned retry and fair-share deferral is a Bull failure that appends a stack trace to the
    // job's hash, re-saved whole each time: keep only the latest.
    stackTraceLimit: 1,
    removeOnComplete: true,
    removeOnFail: true,
  };
}

export function deliverJob(
  deliveryId: string,
  delayMs = 0,
): { name: string; data: DeliverJobData; opts: JobOptions } {
  return { name: DELIVER_JOB, data: { deliveryId }, opts: deliverJobOptions(deliveryId, delayMs) };
}

/**
 * One job per lane activation: the id names the activation (the transaction that woke the lane), so
 * a repeated wake-up of the same activation is a no-op, and the next activation gets a job of its own
 * even while an earlier one is still running.
 */
export function advanceLaneJob(lane: AdvanceLaneJobData & { activation: string }): {
  name: string;
  data: AdvanceLaneJobData;
  opts: JobOptions;
} {
  return {
    name: ADVANCE_LANE_JOB,
    data: { webhookId: lane.webhookId, kind: lane.kind },
    opts: {
      jobId: `lane:${lane.webhookId}:${lane.kind}:${lane.activation}`,
      attempts: 5,
      backoff: { type: 'exponential', delay: 1000 },
      removeOnComplete: true,
      removeOnFail: true,
    },
  };
}
