/**
 * What one scenario cost Postgres and Redis, from their own counters read before and after the run:
 * totals (deltas) and the same per 1,000 delivered events. Pure: the snapshots are taken by
 * bench/stack/run-probe.ts.
 */

/** The tables whose churn the lane engine causes (dead row versions per event matter there). */
export const CHURN_TABLES = ['lanes', 'lane_items', 'deliveries', 'events'] as const;

export interface TableCounters {
  /** pg_stat_user_tables: n_dead_tup (current), the others cumulative. */
  deadTuples: number;
  inserted: number;
  updated: number;
  hotUpdated: number;
  deleted: number;
}

export interface CounterSnapshot {
  /** pg_stat_database of the bench database. */
  commits: number;
  rollbacks: number;
  deadlocks: number;
  /** Sum of pg_stat_statements.calls for the bench database; null when the extension is not available. */
  statements: number | null;
  /** INFO commandstats: calls summed over every command (the commands Lua scripts run count too). */
  redisCalls: number;
  /** INFO commandstats: calls by command. */
  redisByCommand: Record<string, number>;
  tables: Record<string, TableCounters>;
}

export interface LockWaitSamples {
  intervalMs: number;
  samples: number;
  /** Samples that saw at least one backend of the bench database waiting on a lock. */
  samplesWithWaiter: number;
  maxWaiters: number;
}

/** The instance-wide Redis rate measured while the stack was idle, and how long the counted window lasted. */
export interface RedisBackground {
  idleCallsPerSecond: number;
  windowSeconds: number;
}

export interface RunCounters {
  /** Delivered events the per-1,000 figures divide by. */
  events: number;
  totals: {
    commits: number;
    rollbacks: number;
    deadlocks: number;
    statements: number | null;
    redisCommands: number;
    /** The commands called most during the run, most first (evalsha: one per script round trip). */
    redisTopCommands: Record<string, number>;
    tables: Record<string, TableCounters>;
  };
  perThousandEvents: {
    commits: number | null;
    statements: number | null;
    redisCommands: number | null;
    /** redisCommands less the idle rate over the window: an estimate of the stack's own share of the shared instance. */
    redisCommandsLessIdle: number | null;
    /** Per table: n_dead_tup change, and the updates and deletes (each leaves a dead row version). */
    tables: Record<string, TableCounters & { deadVersionsCreated: number }>;
  };
  lockWaits: LockWaitSamples;
  redisBackground: RedisBackground;
  /** Why statements is null, and what the Redis figure includes. */
  notes: string[];
}

/** `value` per 1,000 `events`, two decimals; null when no event was delivered. */
export function perThousand(value: number, events: number): number | null {
  if (events <= 0) return null;
  return Math.round((value / events) * 1000 * 100) / 100;
}

export function tableDelta(after: TableCounters, before: TableCounters | undefined): TableCounters {
  const zero: TableCounters = { deadTuples: 0, inserted: 0, updated: 0, hotUpdated: 0, deleted: 0 };
  const from = before ?? zero;
  return {
    deadTuples: after.deadTuples - from.deadTuples,
    inserted: after.inserted - from.inserted,
    updated: after.updated - from.updated,
    hotUpdated: after.hotUpdated - from.hotUpdated,
    deleted: after.deleted - from.deleted,
  };
}

export function runCounters(
  before: CounterSnapshot,
  after: CounterSnapshot,
  events: number,
  lockWaits: LockWaitSamples,
  redisBackground: RedisBackground = { idleCallsPerSecond: 0, windowSeconds: 0 },
  notes: string[] = [],
): RunCounters {
  const tables: Record<string, TableCounters> = {};
  for (const [table, counters] of Object.entries(after.tables)) {
    tables[table] = tableDelta(counters, before.tables[table]);
  }
  const statements =
    after.statements === null || before.statements === null ? null : after.statements - before.statements;
  const totals = {
    commits: after.commits - before.commits,
    rollbacks: after.rollbacks - before.rollbacks,
    deadlocks: after.deadlocks - before.deadlocks,
    statements,
    redisCommands: after.redisCalls - before.redisCalls,
    redisTopCommands: topDeltas(after.redisByCommand, before.redisByCommand, 8),
    tables,
  };
  const per = (value: number) => perThousand(value, events) ?? 0;
  return {
    events,
    totals,
    perThousandEvents: {
      commits: perThousand(totals.commits, events),
      statements: statements === null ? null : perThousand(statements, events),
      redisCommands: perThousand(totals.redisCommands, events),
      redisCommandsLessIdle: perThousand(
        Math.max(
          0,
          totals.redisCommands - redisBackground.idleCallsPerSecond * redisBackground.windowSeconds,
        ),
        events,
      ),
      tables: Object.fromEntries(
        Object.entries(tables).map(([table, delta]) => [
          table,
          {
            deadTuples: per(delta.deadTuples),
            inserted: per(delta.inserted),
            updated: per(delta.updated),
            hotUpdated: per(delta.hotUpdated),
            deleted: per(delta.deleted),
            deadVersionsCreated: per(delta.updated + delta.deleted),
          },
        ]),
      ),
    },
    lockWaits,
    redisBackground,
    notes,
  };
}

/** INFO commandstats → calls by command. */
export function commandCalls(info: string): Record<string, number> {
  const calls: Record<string, number> = {};
  for (const match of info.matchAll(/^cmdstat_([^:]+):calls=(\d+)/gm)) calls[match[1]] = Number(match[2]);
  return calls;
}

/** INFO commandstats → calls summed over every command. */
export function sumCommandCalls(info: string): number {
  return Object.values(commandCalls(info)).reduce((sum, calls) => sum + calls, 0);
}

/** The `count` largest increases from `before` to `after`, largest first (zero increases left out). */
export function topDeltas(
  after: Record<string, number>,
  before: Record<string, number>,
  count: number,
): Record<string, number> {
  return Object.fromEntries(
    Object.entries(after)
      .map(([key, value]): [string, number] => [key, value - (before[key] ?? 0)])
      .filter(([, delta]) => delta > 0)
      .sort(([, a], [, b]) => b - a)
      .slice(0, count),
  );
}
