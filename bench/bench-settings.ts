/** What one `npm run bench` does, from the environment. Defaults fit the whole run in < 10 minutes on 2 cores. */
export const SCENARIO_NAMES = ['ceiling', 'throughput', 'latency', 'scale', 'ingestion'] as const;
export type ScenarioName = (typeof SCENARIO_NAMES)[number];

export interface BenchSettings {
  quick: boolean;
  /** BENCH_SCENARIOS=throughput,latency runs only those (the stack is started whenever one needs it). */
  scenarios: ScenarioName[];
  brokers: string[];
  /** (2) events produced as fast as possible. */
  throughputEvents: number;
  /** (3) fixed rate and duration. */
  latencyRate: number;
  latencySeconds: number;
  /** (4) events pre-produced, then persisted with the dispatcher stopped. */
  ingestEvents: number;
  /** (5) events per replica count, and the replica counts. */
  scaleEvents: number;
  scaleReplicas: number[];
  /** Dispatcher replicas for (2) and (3). */
  dispatchers: number;
  /** DISPATCH_CONCURRENCY of each replica; also the ceiling loop's connections. */
  concurrency: number;
  ceilingSeconds: number;
  accounts: number;
  partitions: number;
  /** A run with no new delivery for this long stops waiting and is reported with what is missing. */
  stallTimeoutMs: number;
  /** The receiver verifies one request in this many with the stock `standardwebhooks` package. */
  verifyEvery: number;
  /**
   * BENCH_POSTGRES: `private` (default) runs the stack on a Postgres of the run's own, configured as
   * production would be (autovacuum on; PrivatePostgres); `shared` on the machine's (DATABASE_URL's
   * server, whatever its settings: this machine's runs with autovacuum off), as runs before issue 16 did.
   */
  postgres: 'private' | 'shared';
}

function int(name: string, fallback: number): number {
  const raw = process.env[name];
  if (raw === undefined || raw === '') return fallback;
  const value = Number(raw);
  if (!Number.isFinite(value) || value <= 0)
    throw new Error(`${name} must be a positive number, got "${raw}"`);
  return Math.floor(value);
}

export function readBenchSettings(): BenchSettings {
  const quick = process.env.BENCH_QUICK === '1' || process.env.BENCH_QUICK === 'true';
  const scaleReplicas = (process.env.BENCH_SCALE_REPLICAS ?? '1,2,4')
    .split(',')
    .map((value) => Number(value.trim()))
    .filter((value) => Number.isInteger(value) && value > 0);
  const scenarios = (process.env.BENCH_SCENARIOS ?? SCENARIO_NAMES.join(','))
    .split(',')
    .map((name) => name.trim())
    .filter((name): name is ScenarioName => (SCENARIO_NAMES as readonly string[]).includes(name));
  return {
    quick,
    scenarios: scenarios.length > 0 ? scenarios : [...SCENARIO_NAMES],
    brokers: (process.env.KAFKA_BROKERS ?? '127.0.0.1:9092').split(','),
    throughputEvents: int('BENCH_EVENTS', quick ? 3_000 : 50_000),
    latencyRate: int('BENCH_LATENCY_RATE', quick ? 200 : 1_000),
    latencySeconds: int('BENCH_LATENCY_SECONDS', quick ? 8 : 30),
    ingestEvents: int('BENCH_INGEST_EVENTS', quick ? 5_000 : 50_000),
    scaleEvents: int('BENCH_SCALE_EVENTS', quick ? 1_500 : 40_000),
    scaleReplicas: scaleReplicas.length > 0 ? scaleReplicas : [1, 2, 4],
    dispatchers: int('BENCH_DISPATCHERS', 1),
    concurrency: int('DISPATCH_CONCURRENCY', 100),
    ceilingSeconds: int('BENCH_CEILING_SECONDS', quick ? 2 : 5),
    accounts: int('BENCH_ACCOUNTS', 8),
    partitions: int('BENCH_PARTITIONS', 12),
    stallTimeoutMs: int('BENCH_STALL_TIMEOUT_MS', 45_000),
    verifyEvery: int('BENCH_VERIFY_EVERY', 50),
    postgres: postgresChoice(process.env.BENCH_POSTGRES),
  };
}

function postgresChoice(raw: string | undefined): 'private' | 'shared' {
  if (raw === undefined || raw === '' || raw === 'private') return 'private';
  if (raw === 'shared') return 'shared';
  throw new Error(`BENCH_POSTGRES must be "private" or "shared", got "${raw}"`);
}
