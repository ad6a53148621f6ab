import { randomBytes } from 'node:crypto';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { INestApplication } from '@nestjs/common';
import { getQueueToken } from '@nestjs/bull';
import { DispatcherConfig, loadDispatcherConfig } from '@lms/config';
import { DELIVERY_QUEUE, deliverJob } from '@lms/queue-contract';
import type { Queue } from 'bull';
import { bootstrapDispatcher } from '../../../apps/dispatcher/src/main';

/** Environment every dispatcher test starts from: short schedules, loopback allowed, quiet logs. */
export function dispatcherTestEnv(
  databaseUrl: string,
  overrides: Record<string, string> = {},
): Record<string, string> {
  return {
    NODE_ENV: 'test',
    LOG_LEVEL: 'warn',
    DISPATCHER_PORT: '0',
    DATABASE_URL: databaseUrl,
    DATABASE_POOL_SIZE: '10',
    QUEUE_PREFIX: `lmsw-test-${randomBytes(4).toString('hex')}`,
    ALLOW_PRIVATE_TARGETS: 'true',
    ALLOW_HTTP_TARGETS: 'true',
    RETRY_SCHEDULE: '100ms,200ms',
    RETRY_MAX_AGE: '1h',
    DISPATCH_CONCURRENCY: '20',
    BATCH_CRON: '0 0 1 1 *',
    BATCH_MAX_EVENTS: '100',
    DELIVERY_TIMEOUT_MS: '2000',
    SHUTDOWN_GRACE_MS: '3000',
    ...overrides,
  };
}

export interface RunningDispatcher {
  app: INestApplication;
  config: DispatcherConfig;
  queue: Queue;
  /** Where /health and /metrics answer. */
  port: number;
  enqueue(...deliveryIds: string[]): Promise<void>;
  close(): Promise<void>;
}

/** A dispatcher app in this process, as `node dist/apps/dispatcher/src/main.js` would run it. */
export async function startDispatcher(env: Record<string, string>): Promise<RunningDispatcher> {
  const config = loadDispatcherConfig(env);
  const app = await bootstrapDispatcher(config);
  const queue = app.get<Queue>(getQueueToken(DELIVERY_QUEUE));
  return {
    app,
    config,
    queue,
    port: ((app.getHttpServer() as Server).address() as AddressInfo).port,
    enqueue: async (...deliveryIds) => {
      await queue.addBulk(deliveryIds.map((id) => deliverJob(id)));
    },
    close: () => app.close(),
  };
}

/**
 * Records every job `dispatcher` puts on its delivery queue (add and addBulk still run): a test can
 * then say which work went through Bull, whatever became of the job since.
 */
export function recordJobsQueuedBy(
  dispatcher: RunningDispatcher,
  into: Array<{ name: string; data: unknown }>,
): void {
  const { queue } = dispatcher;
  const addBulk = queue.addBulk.bind(queue);
  jest.spyOn(queue, 'addBulk').mockImplementation((jobs) => {
    for (const job of jobs) into.push({ name: job.name ?? '__default__', data: job.data });
    return addBulk(jobs);
  });
  const add = queue.add.bind(queue) as (...args: unknown[]) => ReturnType<Queue['add']>;
  jest.spyOn(queue, 'add').mockImplementation(((...args: unknown[]) => {
    const named = typeof args[0] === 'string';
    into.push({ name: named ? (args[0] as string) : '__default__', data: named ? args[1] : args[0] });
    return add(...args);
  }) as Queue['add']);
}
