import { Logger } from '@nestjs/common';
import type { SchedulerRegistry } from '@nestjs/schedule';
import { CronJob } from 'cron';
import type { DataSource, QueryRunner } from 'typeorm';

/**
 * Runs `work` while holding a Postgres advisory lock, or answers null at once when another replica
 * holds it. The one primitive behind every job that must run on one replica at a time (batch
 * release, outbox relay, retention purge, auto-disable):
 * - `transaction` (default): `work` runs in a transaction that holds `pg_try_advisory_xact_lock`; the
 *   commit (or a crash: the connection drops) releases it, so a dead holder never keeps it.
 * - `session`: for long runs made of many short transactions (retention deletes in chunks): the lock
 *   is held by one dedicated connection, released explicitly and by the connection's end.
 */
export async function withAdvisoryLock<T>(
  dataSource: DataSource,
  key: number,
  work: (runner: QueryRunner) => Promise<T>,
  scope: 'transaction' | 'session' = 'transaction',
): Promise<T | null> {
  if (scope === 'transaction') {
    return inTransaction(dataSource, async (runner) =>
      (await tryLock(runner, 'pg_try_advisory_xact_lock', key)) ? work(runner) : null,
    );
  }
  const runner = dataSource.createQueryRunner();
  await runner.connect();
  try {
    if (!(await tryLock(runner, 'pg_try_advisory_lock', key))) return null;
    try {
      return await work(runner);
    } finally {
      await runner.query('SELECT pg_advisory_unlock($1)', [key]);
    }
  } finally {
    await runner.release();
  }
}

/** Runs `work` in a transaction on one pooled connection: committed when it resolves, rolled back when it throws. */
export async function inTransaction<T>(
  dataSource: DataSource,
  work: (runner: QueryRunner) => Promise<T>,
): Promise<T> {
  const runner = dataSource.createQueryRunner();
  await runner.connect();
  try {
    await runner.startTransaction();
    const result = await work(runner);
    await runner.commitTransaction();
    return result;
  } catch (error) {
    if (runner.isTransactionActive) await runner.rollbackTransaction().catch(() => undefined);
    throw error;
  } finally {
    await runner.release();
  }
}

async function tryLock(runner: QueryRunner, fn: string, key: number): Promise<boolean> {
  const [{ locked }] = (await runner.query(`SELECT ${fn}($1) AS locked`, [key])) as Array<{
    locked: boolean;
  }>;
  return locked;
}

/** When a run-once job ticks: a cron expression (validated at boot by the config) or a fixed interval. */
export type RunOnceSchedule = { cron: string } | { everyMs: number };

export interface RunOnceJob {
  /** Stops ticking and waits for a run in progress. */
  stop(): Promise<void>;
}

/**
 * The one way run-once jobs are scheduled: registered in Nest's SchedulerRegistry under `name`, on
 * every replica (the advisory lock inside `run` makes one of them do the work), never overlapping
 * itself (a tick during a run is skipped), failures logged and the next tick tried.
 */
export function scheduleRunOnceJob(
  registry: SchedulerRegistry,
  name: string,
  schedule: RunOnceSchedule,
  run: () => Promise<unknown>,
): RunOnceJob {
  const logger = new Logger(name);
  let running: Promise<unknown> | undefined;
  const tick = (): void => {
    if (running) return;
    running = run()
      .catch((error: Error) => logger.error(`${name} failed: ${error.message}`))
      .finally(() => (running = undefined));
  };
  if ('cron' in schedule) {
    registry.addCronJob(name, CronJob.from({ cronTime: schedule.cron, onTick: tick, start: true }));
  } else {
    registry.addInterval(name, setInterval(tick, schedule.everyMs));
  }
  return {
    stop: async () => {
      if (registry.doesExist('cron', name)) registry.deleteCronJob(name);
      if (registry.doesExist('interval', name)) registry.deleteInterval(name);
      await running;
    },
  };
}
