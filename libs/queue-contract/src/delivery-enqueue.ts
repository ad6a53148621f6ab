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
 * Enqueues only the deliveries that have no live job in Redis, and answers how many that was. For the
 * outbox relay: during a long backlog every waiting delivery looks overdue, and re-adding thousands of
 * existing jobs each pass would cost CPU for nothing.
 */
export async function enqueueMissingDeliveries(
  queue: Queue,
  deliveryIds: readonly string[],
): Promise<number> {
  const missing = await withoutLiveJob(queue, deliveryIds);
  await enqueueDeliveries(queue, missing);
  return missing.length;
}

/**
 * The job ids that have no job Bull will ever run: no job hash, or (after Redis lost its data under a
 * running worker) a hash in none of Bull's lists, which `add` would take for a live job and skip.
 * Such a stranded hash is removed so the id can be queued again.
 */
async function withoutLiveJob(queue: Queue, jobIds: readonly string[]): Promise<string[]> {
  if (jobIds.length === 0) return [];
  const pipeline = queue.client.pipeline();
  for (const id of jobIds) pipeline.exists(queue.toKey(id));
  const results = (await pipeline.exec()) ?? [];
  const missing: string[] = [];
  for (const [index, id] of jobIds.entries()) {
    if (results[index]?.[1] === 0) {
      missing.push(id);
      continue;
    }
    const job = await queue.getJob(id);
    if (job === null) {
      missing.push(id);
    } else if ((await job.getState()) === 'stuck') {
      // A job in flight between two lists can look stuck for a moment: remove() refuses a locked
      // (running) job, and re-queueing a waiting one only moves it back in the queue.
      const removed = await job.remove().then(
        () => true,
        () => false,
      );
      if (removed) missing.push(id);
    }
  }
  return missing;
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
  const byJobId = new Map(lanes.map((lane) => [String(advanceLaneJob(lane).opts.jobId), lane]));
  const missing = await withoutLiveJob(queue, [...byJobId.keys()]);
  await enqueueLaneWakeUps(
    queue,
    missing.map((jobId) => byJobId.get(jobId) as AdvanceLaneJobData & { activation: string }),
  );
  return missing.length;
}
