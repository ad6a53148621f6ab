import type { IsolatedStack } from '@lms/testing';
import Redis from 'ioredis';
import { Client } from 'pg';
import {
  CHURN_TABLES,
  commandCalls,
  runCounters,
  sumCommandCalls,
  type CounterSnapshot,
  type LockWaitSamples,
  type RunCounters,
} from '../report/run-counters';
import {
  histogramDelta,
  parseHistogram,
  sumHistograms,
  summarizeStages,
  type HistogramByLabel,
  type StageSummary,
} from '../report/stage-histogram';

export const STAGE_METRIC = 'lmsw_lane_stage_seconds';
/** The stages in the order an event meets them (libs/observability/src/metrics.ts documents each). */
export const STAGE_ORDER = [
  'kafka_to_commit',
  'commit_to_wake',
  'wake_to_claim',
  'claim_to_post',
  'post',
  'outcome_commit',
  'advance',
] as const;

/**
 * Postgres 15 flushes a backend's statistics at most once a second, and a backend that went idle within
 * that second keeps them until PGSTAT_IDLE_INTERVAL (10 s) has passed: wait that out before reading them
 * (1.2 s left up to a fifth of a short run's rows uncounted).
 */
const STATS_FLUSH_MS = 10_500;
const LOCK_SAMPLE_MS = 50;

export interface ProbeResult {
  stages: Record<string, StageSummary>;
  counters: RunCounters;
}

/**
 * One scenario's view from inside: the lane stage histograms of every app process (their /metrics,
 * scraped before and after), the bench database's Postgres counters, Redis's command counters, and
 * lock waiters sampled every 50 ms meanwhile. The probe's own queries go to the server's `postgres`
 * database, so they do not count as the bench database's commits (the two table snapshots excepted).
 */
export class RunProbe {
  private sampling = true;
  private readonly lockWaits: LockWaitSamples = {
    intervalMs: LOCK_SAMPLE_MS,
    samples: 0,
    samplesWithWaiter: 0,
    maxWaiters: 0,
  };
  private sampler: Promise<void> = Promise.resolve();
  private idleRedisCallsPerSecond = 0;
  private startedAt = Date.now();

  private constructor(
    private readonly stack: IsolatedStack,
    private readonly admin: Client,
    private readonly redis: Redis,
    private readonly notes: string[],
    private readonly statementsAvailable: boolean,
    private before: { stages: HistogramByLabel; counters: CounterSnapshot } | undefined = undefined,
  ) {}

  static async start(stack: IsolatedStack): Promise<RunProbe> {
    const admin = new Client({ connectionString: adminUrl(stack.database.url) });
    await admin.connect();
    const redis = new Redis(stack.env.REDIS_URL, { lazyConnect: true, maxRetriesPerRequest: 1 });
    await redis.connect();
    const notes: string[] = [];
    const statementsAvailable = await pgStatStatementsAvailable(stack, admin, notes);
    notes.push(
      'Redis commands: INFO commandstats of the stack\'s Redis (the bench starts its own); "less idle" subtracts the rate measured over 10 s before the run, stack idle, times the window',
    );
    const probe = new RunProbe(stack, admin, redis, notes, statementsAvailable);
    // What ran before (the previous scenario) is flushed to the statistics before the first reading.
    const idleRedisBefore = sumCommandCalls(await redis.info('commandstats'));
    await sleep(STATS_FLUSH_MS);
    const idleRedisAfter = sumCommandCalls(await redis.info('commandstats'));
    probe.idleRedisCallsPerSecond = Math.round(((idleRedisAfter - idleRedisBefore) * 1000) / STATS_FLUSH_MS);
    probe.before = { stages: await probe.scrapeStages(), counters: await probe.snapshot() };
    probe.startedAt = Date.now();
    probe.sampler = probe.sampleLocks();
    return probe;
  }

  /** Stops sampling and reads everything again; `events` is what the run delivered. */
  async finish(events: number): Promise<ProbeResult> {
    try {
      this.sampling = false;
      await this.sampler;
      await sleep(STATS_FLUSH_MS);
      const stages = histogramDelta(await this.scrapeStages(), this.before?.stages ?? {});
      const after = await this.snapshot();
      const before = this.before?.counters ?? after;
      const redisBackground = {
        idleCallsPerSecond: this.idleRedisCallsPerSecond,
        windowSeconds: Math.round((Date.now() - this.startedAt) / 100) / 10,
      };
      return {
        stages: summarizeStages(stages, STAGE_ORDER),
        counters: runCounters(before, after, events, { ...this.lockWaits }, redisBackground, this.notes),
      };
    } finally {
      await this.admin.end().catch(() => undefined);
      this.redis.disconnect();
    }
  }

  private async scrapeStages(): Promise<HistogramByLabel> {
    const bodies = await Promise.all(
      this.stack.apps.map(async (app) => {
        const response = await fetch(`http://127.0.0.1:${app.port}/metrics`);
        if (!response.ok) throw new Error(`${app.name} /metrics answered ${response.status}`);
        return response.text();
      }),
    );
    return sumHistograms(bodies.map((body) => parseHistogram(body, STAGE_METRIC, 'stage')));
  }

  private async snapshot(): Promise<CounterSnapshot> {
    const name = this.stack.database.name;
    const [database] = (
      await this.admin.query<{ xact_commit: string; xact_rollback: string; deadlocks: string }>(
        `SELECT xact_commit, xact_rollback, deadlocks FROM pg_stat_database WHERE datname = $1`,
        [name],
      )
    ).rows;
    let statements: number | null = null;
    if (this.statementsAvailable) {
      const [row] = (
        await this.admin.query<{ calls: string | null }>(
          `SELECT sum(s.calls) AS calls FROM pg_stat_statements s JOIN pg_database d ON d.oid = s.dbid
            WHERE d.datname = $1`,
          [name],
        )
      ).rows;
      statements = Number(row.calls ?? 0);
    }
    const tableRows = await this.stack.query<{
      relname: string;
      n_dead_tup: string;
      n_tup_ins: string;
      n_tup_upd: string;
      n_tup_hot_upd: string;
      n_tup_del: string;
    }>(
      // A partitioned table (deliveries, delivery_attempts) counts as the sum of its partitions.
      `SELECT t.relname, sum(s.n_dead_tup) AS n_dead_tup, sum(s.n_tup_ins) AS n_tup_ins,
              sum(s.n_tup_upd) AS n_tup_upd, sum(s.n_tup_hot_upd) AS n_tup_hot_upd, sum(s.n_tup_del) AS n_tup_del
         FROM unnest($1::text[]) AS t(relname)
         JOIN pg_stat_user_tables s
           ON s.relid = to_regclass(t.relname)
           OR s.relid IN (SELECT relid FROM pg_partition_tree(to_regclass(t.relname)) WHERE isleaf)
        GROUP BY t.relname ORDER BY t.relname`,
      [CHURN_TABLES],
    );
    const commandstats = await this.redis.info('commandstats');
    return {
      commits: Number(database.xact_commit),
      rollbacks: Number(database.xact_rollback),
      deadlocks: Number(database.deadlocks),
      statements,
      redisCalls: sumCommandCalls(commandstats),
      redisByCommand: commandCalls(commandstats),
      tables: Object.fromEntries(
        tableRows.map((row) => [
          row.relname,
          {
            deadTuples: Number(row.n_dead_tup),
            inserted: Number(row.n_tup_ins),
            updated: Number(row.n_tup_upd),
            hotUpdated: Number(row.n_tup_hot_upd),
            deleted: Number(row.n_tup_del),
          },
        ]),
      ),
    };
  }

  private async sampleLocks(): Promise<void> {
    while (this.sampling) {
      const startedAt = Date.now();
      const [row] = (
        await this.admin.query<{ waiters: number }>(
          `SELECT count(*)::int AS waiters FROM pg_stat_activity WHERE datname = $1 AND wait_event_type = 'Lock'`,
          [this.stack.database.name],
        )
      ).rows;
      this.lockWaits.samples += 1;
      if (row.waiters > 0) this.lockWaits.samplesWithWaiter += 1;
      this.lockWaits.maxWaiters = Math.max(this.lockWaits.maxWaiters, row.waiters);
      await sleep(Math.max(0, LOCK_SAMPLE_MS - (Date.now() - startedAt)));
    }
  }
}

/** pg_stat_statements counts only when preloaded and created in the bench database; the bench installs nothing. */
async function pgStatStatementsAvailable(
  stack: IsolatedStack,
  admin: Client,
  notes: string[],
): Promise<boolean> {
  const preload = (await admin.query<{ shared_preload_libraries: string }>('SHOW shared_preload_libraries'))
    .rows[0].shared_preload_libraries;
  if (!preload.split(',').some((library) => library.trim() === 'pg_stat_statements')) {
    notes.push(
      `Postgres statements: not measured, pg_stat_statements is not available (not in shared_preload_libraries: '${preload}'); commits are`,
    );
    return false;
  }
  // The view lives where the extension was created; the admin connection reads it if it is there.
  const created = await admin.query(`SELECT 1 FROM pg_extension WHERE extname = 'pg_stat_statements'`);
  if (created.rowCount === 0) {
    notes.push(
      `Postgres statements: not measured, pg_stat_statements is preloaded but not created in the ${stack.database.name === 'postgres' ? '' : "server's postgres "}database (the bench installs nothing)`,
    );
    return false;
  }
  return true;
}

/** The same server, its `postgres` database. */
function adminUrl(databaseUrl: string): string {
  const url = new URL(databaseUrl);
  url.pathname = '/postgres';
  return url.toString();
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
