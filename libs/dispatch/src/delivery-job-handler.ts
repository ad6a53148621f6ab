import type { Job } from 'bull';

/** A handler for one job name of the delivery queue. Provided under DELIVERY_JOB_HANDLERS. */
export interface DeliveryJobHandler {
  readonly jobName: string;
  handle(job: Job): Promise<unknown>;
}

export const DELIVERY_JOB_HANDLERS = Symbol('DELIVERY_JOB_HANDLERS');
