import { randomBytes } from 'node:crypto';
import type { DispatcherConfig } from '@lms/config';
import { Metrics } from '@lms/observability';
import {
  ADVANCE_LANE_JOB,
  DELIVER_JOB,
  DELIVERY_BACKOFF_STRATEGY,
  DELIVERY_QUEUE,
  deliverJob,
} from '@lms/queue-contract';
import type { LaneReadModel } from '@lms/webhook-domain';
import Bull, { type Job, type Queue } from 'bull';
import type { DeliveryJobHandler } from './delivery-job-handler';
import type { DeliveryOutcomeWriter } from './delivery-outcome-writer';
import { DeliveryQueueWorker } from './delivery-queue-worker';

const CONCURRENCY = 3;

/** The worker on a real Redis: what one replica takes from the delivery queue, and what a job keeps. */
describe('DeliveryQueueWorker (real Redis)', () => {
  let queue: Queue;
  let worker: DeliveryQueueWorker;
  // What every handler does with a job: each test sets it.
  let handleJob: (job: Job) => Promise<void> = async () => undefined;

  beforeAll(() => {
    queue = new Bull(DELIVERY_QUEUE, {
      redis: process.env.REDIS_URL ?? 'redis://127.0.0.1:6379',
      prefix: `lmsw-worker-spec-${randomBytes(4).toString('hex')}`,
      settings: { backoffStrategies: { [DELIVERY_BACKOFF_STRATEGY]: () => 10 } },
    });
    const handler = (jobName: string): DeliveryJobHandler => ({ jobName, handle: (job) => handleJob(job) });
    worker = new DeliveryQueueWorker(
      queue,
      [handler(DELIVER_JOB), handler(ADVANCE_LANE_JOB)],
      { concurrency: CONCURRENCY, shutdownGraceMs: 5_000 } as DispatcherConfig,
      { onApplicationShutdown: async () => undefined } as unknown as DeliveryOutcomeWriter,
      {} as LaneReadModel,
      new Metrics(),
    );
    worker.onApplicationBootstrap();
  });

  afterAll(async () => {
    await worker.beforeApplicationShutdown();
    await queue.obliterate({ force: true }).catch(() => undefined);
    await queue.close();
  });

  // Bull adds up the concurrency of named processors: one processor per job name ran twice
  // DISPATCH_CONCURRENCY, and the per-account fair share (a fraction of it) was counted against half the truth.
  it('never runs more than DISPATCH_CONCURRENCY jobs at once across job names', async () => {
    const jobsPerName = 6;
    let running = 0;
    let mostAtOnce = 0;
    let finished = 0;
    let allFinished!: () => void;
    const done = new Promise<void>((resolve) => (allFinished = resolve));
    handleJob = async () => {
      running += 1;
      mostAtOnce = Math.max(mostAtOnce, running);
      // Long enough for every free loop of either name to pick up a job meanwhile.
      await new Promise((resolve) => setTimeout(resolve, 150));
      running -= 1;
      finished += 1;
      if (finished === 2 * jobsPerName) allFinished();
    };

    await queue.addBulk(
      [DELIVER_JOB, ADVANCE_LANE_JOB].flatMap((name) =>
        Array.from({ length: jobsPerName }, () => ({ name, data: {} })),
      ),
    );
    await done;

    expect(finished).toBe(2 * jobsPerName);
    expect(mostAtOnce).toBe(CONCURRENCY);
  });

  it('keeps one stack trace in a deliver job however often it is retried', async () => {
    const retries = 5;
    let tries = 0;
    let lastTry!: () => void;
    const retriedEnough = new Promise<void>((resolve) => (lastTry = resolve));
    handleJob = async () => {
      tries += 1;
      if (tries <= retries) throw new Error(`planned retry ${tries}`);
      lastTry();
    };

    const { name, data, opts } = deliverJob('7b7c3f36-2d67-4a1e-9f0e-0f4a5f1f0b11');
    const job = await queue.add(name, data, { ...opts, removeOnComplete: false });
    await retriedEnough;
    const stored = await queue.getJob(job.id);

    expect(stored?.attemptsMade).toBe(retries);
    expect(stored?.stacktrace).toHaveLength(1);
    expect(stored?.stacktrace[0]).toContain(`planned retry ${retries}`);
  });
});
