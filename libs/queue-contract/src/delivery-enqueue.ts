import type { Queue } from 'bull';
import { advanceLaneJob, deliverJob, type AdvanceLaneJobData } from './delivery-queue.contract';

// One huge relay pass or replay must not build a multi-megabyte Redis pipeline.
const MAX_JOBS_PER_CALL = 1000;

/**
 * Wakes the dispatcher for persisted deliveries, whoever persisted them. Job id = delivery id, so a
 * delivery that already has its job is left as it is: a repeat is a no-op, never a second send.
 */
export async function enqueueDeliveries(queue: Queue, deliveryIds: readonly string[]): Promise<void> {
  for (let start = 0; start < deliveryIds.length; start += MAX_JOBS_PER_CALL) {
    const chunk = deliveryIds.slice(start, start + MAX_JOBS_PER_CALL);
    await queue.addBulk(chunk.map((id) => deliverJob(id)));
  }
}

/**
 * Enqueues only the deliveries that have no job in Redis, and answers how many that was. For the outbox
 * relay: during a long backlog every waiting delivery looks overdue, and re-adding thousands of existing
 * jobs each pass would cost CPU for nothing.
 */
export async function enqueueMissingDeliveries(
  queue: Queue,
  deliveryIds: readonly string[],
): Promise<number> {
  if (deliveryIds.length === 0) return 0;
  const pipeline = queue.client.pipeline();
  for (const id of deliveryIds) pipeline.exists(queue.toKey(id));
  const results = (await pipeline.exec()) ?? [];
  const missing = deliveryIds.filter((_, index) => results[index]?.[1] === 0);
  await enqueueDeliveries(queue, missing);
  return missing.length;
}

/** Queues the wake-up of lanes a transaction woke (or the relay found stuck). */
export async function enqueueLaneWakeUps(
  queue: Queue,
  lanes: ReadonlyArray<AdvanceLaneJobData & { activation: string }>,
): Promise<void> {
  for (let start = 0; start < lanes.length; start += MAX_JOBS_PER_CALL) {
    await queue.addBulk(lanes.slice(start, start + MAX_JOBS_PER_CALL).map((lane) => advanceLaneJob(lane)));
  }
}

/**
 * Queues the wake-up of stuck lanes whose activation has no job in Redis, and answers how many that
 * was: the relay runs every few seconds, and a lane whose wake-up is merely waiting behind a backlog
 * must not be re-added (or counted) each pass.
 */
export async function enqueueMissingLaneWakeUps(
  queue: Queue,
  lanes: ReadonlyArray<AdvanceLaneJobData & { activation: string }>,
): Promise<number> {
  if (lanes.length === 0) return 0;
  const jobs = lanes.map((lane) => advanceLaneJob(lane));
  const pipeline = queue.client.pipeline();
  for (const job of jobs) pipeline.exists(queue.toKey(String(job.opts.jobId)));
  const results = (await pipeline.exec()) ?? [];
  const missing = lanes.filter((_, index) => results[index]?.[1] === 0);
  await enqueueLaneWakeUps(queue, missing);
  return missing.length;
}
