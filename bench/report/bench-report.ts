import type { CeilingResult } from '../load/ceiling-loop';
import type { LatencySummary } from '../receiver/receiver-protocol';
import type { ProcessUsage, UsageReport } from '../stack/process-sampler';
import { CPU_GROUPS, type CpuMsPerThousandEvents } from './cpu-per-event';
import type { RunBalance } from './run-balance';
import { describeBalance } from './run-balance';
import { CHURN_TABLES, type RunCounters } from './run-counters';
import type { StageSummary } from './stage-histogram';

export interface DeliveryRunResult {
  run: string;
  events: number;
  dispatchers: number;
  seconds: number;
  eventsPerSecond: number;
  /** HTTP requests the receiver got per second (one request carries one or many events of a lane). */
  requestsPerSecond: number;
  latencyMs: LatencySummary | null;
  requests: number;
  /** Events per request body, as the receiver counted them. */
  eventsPerRequest: LatencySummary | null;
  repeatedDeliveries: number;
  balance: RunBalance;
  usage?: UsageReport;
  /** CPU ms per 1,000 events delivered, per process group (sampled runs only). */
  cpuMsPer1000Events?: CpuMsPerThousandEvents;
  producer: { seconds: number; maxLagMs: number };
  /** lmsw_lane_stage_seconds observed during the run, summed over the apps, per stage (probed runs only). */
  stages?: Record<string, StageSummary>;
  /** Postgres and Redis counters over the run, and per 1,000 delivered events (probed runs only). */
  counters?: RunCounters;
}

export interface IngestionRunResult {
  run: string;
  events: number;
  seconds: number;
  eventsPerSecond: number;
  persisted: number;
  valid: boolean;
  voidReason: string | null;
  usage?: UsageReport;
  /** CPU ms per 1,000 events persisted, per process group. */
  cpuMsPer1000Events?: CpuMsPerThousandEvents;
}

export interface BenchResults {
  ceiling?: CeilingResult & { receiverCounted: number };
  throughput?: DeliveryRunResult & { ratioToCeiling: number | null };
  latency?: DeliveryRunResult & { ratePerSecond: number; durationSeconds: number };
  ingestion?: IngestionRunResult;
  scale: DeliveryRunResult[];
  memory?: { peakRssMb: Record<string, number>; cpuCores: Record<string, number>; machineBusy: number };
  errors: string[];
}

const number = (value: number) => value.toLocaleString('en-US', { maximumFractionDigits: 2 });

/** Per process name: the highest peak RSS and the summed CPU share (several Postgres backends, replicas). */
export function aggregateUsage(usage: UsageReport): {
  peakRssMb: Record<string, number>;
  cpuCores: Record<string, number>;
} {
  const peakRssMb: Record<string, number> = {};
  const cpuCores: Record<string, number> = {};
  const replicaNames = new Map<string, number>();
  for (const process of usage.processes) {
    const label = replicaLabel(process, replicaNames);
    if (process.name.startsWith('postgres')) {
      peakRssMb[label] = Math.max(peakRssMb[label] ?? 0, process.peakRssMb);
      cpuCores[label] = Math.round(((cpuCores[label] ?? 0) + process.cpuCores) * 100) / 100;
    } else {
      peakRssMb[label] = process.peakRssMb;
      cpuCores[label] = process.cpuCores;
    }
  }
  return { peakRssMb, cpuCores };
}

function replicaLabel(process: ProcessUsage, seen: Map<string, number>): string {
  if (process.name !== 'dispatcher' && process.name !== 'event-ingestion') return process.name;
  const index = (seen.get(process.name) ?? 0) + 1;
  seen.set(process.name, index);
  return index === 1 ? process.name : `${process.name} #${index}`;
}

/** The table printed at the end of a run and pasted into docs/operations.md. */
export function formatTable(results: BenchResults): string {
  const rows: [string, string, string][] = [
    ['Scenario', 'Result', 'Balance (produced = delivered + missing, dup)'],
  ];
  const { ceiling, throughput, latency, ingestion, scale, memory } = results;
  if (ceiling) {
    rows.push([
      `1. Ceiling: bare undici POST loop, ${ceiling.connections} conns, ${number(ceiling.seconds)} s`,
      `${number(ceiling.requestsPerSecond)} req/s`,
      `receiver counted ${number(ceiling.receiverCounted)}, ${ceiling.errors} errors`,
    ]);
  }
  if (throughput) {
    const ratio =
      throughput.ratioToCeiling === null ? '' : ` (${throughput.ratioToCeiling.toFixed(2)}× ceiling)`;
    rows.push([
      `2. Throughput: ${number(throughput.events)} signed real-time events, ${throughput.dispatchers} dispatcher`,
      `${number(throughput.eventsPerSecond)} events/s${ratio} · ${describeRequests(throughput)}`,
      describeBalance(throughput.balance),
    ]);
  }
  if (latency) {
    const l = latency.latencyMs;
    rows.push([
      `3. Latency: ${number(latency.ratePerSecond)} events/s for ${latency.durationSeconds} s`,
      l
        ? `p50 ${l.p50} ms · p95 ${l.p95} ms · p99 ${l.p99} ms (max ${l.max}) · ${describeRequests(latency)}`
        : 'no deliveries',
      describeBalance(latency.balance),
    ]);
  }
  if (ingestion) {
    rows.push([
      `4. Ingestion alone (dispatcher stopped), ${number(ingestion.events)} events`,
      `${number(ingestion.eventsPerSecond)} events/s persisted`,
      ingestion.valid
        ? `${ingestion.events} = ${ingestion.persisted} persisted + ${ingestion.events - ingestion.persisted} missing`
        : `VOID: ${ingestion.voidReason}`,
    ]);
  }
  for (const run of scale) {
    rows.push([
      `5. Scale: ${run.dispatchers} dispatcher replica(s), ${number(run.events)} events`,
      `${number(run.eventsPerSecond)} events/s · ${describeRequests(run)}`,
      describeBalance(run.balance),
    ]);
  }
  if (memory) {
    const rss = Object.entries(memory.peakRssMb)
      .filter(
        ([name]) =>
          name.startsWith('dispatcher') || name.startsWith('event-ingestion') || name === 'receiver',
      )
      .map(([name, mb]) => `${name} ${Math.round(mb)} MB`)
      .join(' · ');
    rows.push(['6. Peak RSS during (2)', rss, '']);
  }
  return [
    markdownTable(rows),
    formatCpuTable(results),
    formatStageTable(results),
    formatCountersTable(results),
  ]
    .filter((table) => table !== '')
    .join('\n\n');
}

/** `requests/s · events per request mean (p50/p99)`: how many events each signed POST carried. */
function describeRequests(run: DeliveryRunResult): string {
  const perRequest = run.eventsPerRequest;
  const spread = perRequest ? `${perRequest.mean} (p50 ${perRequest.p50}, p99 ${perRequest.p99})` : '-';
  return `${number(run.requestsPerSecond)} req/s · ${spread} events/req`;
}

/** One row per sampled scenario: CPU ms per 1,000 events, per process group, then the sum. */
export function formatCpuTable(results: BenchResults): string {
  const sampled: [string, CpuMsPerThousandEvents][] = [];
  if (results.throughput?.cpuMsPer1000Events)
    sampled.push(['2. Throughput', results.throughput.cpuMsPer1000Events]);
  if (results.latency?.cpuMsPer1000Events) sampled.push(['3. Latency', results.latency.cpuMsPer1000Events]);
  if (results.ingestion?.cpuMsPer1000Events)
    sampled.push(['4. Ingestion alone (per 1,000 persisted)', results.ingestion.cpuMsPer1000Events]);
  for (const run of results.scale)
    if (run.cpuMsPer1000Events) sampled.push([`5. Scale ×${run.dispatchers}`, run.cpuMsPer1000Events]);
  if (sampled.length === 0) return '';
  const groups = [...CPU_GROUPS, 'total' as const];
  const rows: string[][] = [
    ['CPU ms per 1,000 events', ...groups],
    ...sampled.map(([scenario, cpu]) => [
      scenario,
      ...groups.map((group) => (cpu[group] === undefined ? '-' : number(cpu[group]))),
    ]),
  ];
  return markdownTable(rows);
}

/** The probed runs (throughput, latency), by the label their tables use. */
function probedRuns(results: BenchResults): [string, DeliveryRunResult][] {
  const runs: [string, DeliveryRunResult | undefined][] = [
    ['2. Throughput', results.throughput],
    ['3. Latency', results.latency],
  ];
  return runs.filter((entry): entry is [string, DeliveryRunResult] => entry[1]?.stages !== undefined);
}

/** Per lane stage: count, p50 and p99 (ms, interpolated inside the histogram's buckets), one column pair per run. */
export function formatStageTable(results: BenchResults): string {
  const runs = probedRuns(results);
  if (runs.length === 0) return '';
  const stages = [...new Set(runs.flatMap(([, run]) => Object.keys(run.stages ?? {})))];
  const ms = (value: number | null) => (value === null ? '-' : number(value));
  const rows: string[][] = [
    ['Lane stage (ms)', ...runs.flatMap(([label]) => [`${label}: p50 / p99`, 'count'])],
    ...stages.map((stage) => [
      stage,
      ...runs.flatMap(([, run]) => {
        const summary = run.stages?.[stage];
        return summary ? [`${ms(summary.p50Ms)} / ${ms(summary.p99Ms)}`, number(summary.count)] : ['-', '-'];
      }),
    ]),
  ];
  return markdownTable(rows);
}

/** Per 1,000 delivered events: commits, statements, Redis commands, row versions per table; lock waits, deadlocks. */
export function formatCountersTable(results: BenchResults): string {
  const runs = probedRuns(results).filter(([, run]) => run.counters !== undefined);
  if (runs.length === 0) return '';
  const value = (figure: number | null | undefined) =>
    figure === null || figure === undefined ? 'n/a' : number(figure);
  const line = (name: string, pick: (counters: RunCounters) => string) => [
    name,
    ...runs.map(([, run]) => pick(run.counters as RunCounters)),
  ];
  const rows: string[][] = [
    ['Per 1,000 delivered events', ...runs.map(([label]) => label)],
    line('Postgres commits (xact_commit)', (c) => value(c.perThousandEvents.commits)),
    line('Postgres statements (pg_stat_statements)', (c) => value(c.perThousandEvents.statements)),
    line('Redis commands (commandstats)', (c) => value(c.perThousandEvents.redisCommands)),
    line('Redis commands less the idle rate (idle calls/s × window s)', (c) =>
      c.redisBackground
        ? `${value(c.perThousandEvents.redisCommandsLessIdle)} (${number(c.redisBackground.idleCallsPerSecond)}/s × ${number(c.redisBackground.windowSeconds)} s)`
        : 'n/a',
    ),
    line('Redis: most called (run total)', (c) =>
      Object.entries(c.totals.redisTopCommands ?? {})
        .slice(0, 4)
        .map(([command, calls]) => `${command} ${number(calls)}`)
        .join(', '),
    ),
    ...CHURN_TABLES.map((table) =>
      line(`${table}: dead versions (upd+del) · n_dead_tup Δ · HOT upd · ins`, (c) => {
        const t = c.perThousandEvents.tables[table];
        return t
          ? `${number(t.deadVersionsCreated)} · ${number(t.deadTuples)} · ${number(t.hotUpdated)} · ${number(t.inserted)}`
          : '-';
      }),
    ),
    line('Deadlocks (run total)', (c) => number(c.totals.deadlocks)),
    line('Rollbacks (run total)', (c) => number(c.totals.rollbacks)),
    line('Lock waits: samples with a waiter / samples (max waiters)', (c) => {
      const l = c.lockWaits;
      return `${number(l.samplesWithWaiter)} / ${number(l.samples)} every ${l.intervalMs} ms (max ${l.maxWaiters})`;
    }),
  ];
  // A note every run shares once; a run's own figure (Redis's idle rate) with its run's label.
  const notes = [...new Set(runs.flatMap(([, run]) => run.counters?.notes ?? []))].flatMap((note) => {
    const having = runs.filter(([, run]) => run.counters?.notes.includes(note));
    return having.length === runs.length ? [note] : having.map(([label]) => `${label}: ${note}`);
  });
  return [markdownTable(rows), ...notes.map((note) => `- ${note}`)].join('\n');
}

function markdownTable(rows: string[][]): string {
  const widths = rows[0].map((_, column) => Math.max(...rows.map((row) => row[column].length)));
  const line = (row: string[]) => `| ${row.map((cell, column) => cell.padEnd(widths[column])).join(' | ')} |`;
  const separator = `|${widths.map((width) => '-'.repeat(width + 2)).join('|')}|`;
  return [line(rows[0]), separator, ...rows.slice(1).map(line)].join('\n');
}

export function formatUsage(title: string, usage: UsageReport): string {
  const { peakRssMb, cpuCores } = aggregateUsage(usage);
  const parts = Object.keys(peakRssMb).map(
    (name) => `${name}: ${cpuCores[name].toFixed(2)} cores, ${Math.round(peakRssMb[name])} MB`,
  );
  return `${title} (${usage.seconds.toFixed(1)} s, machine ${(usage.machineBusy * 100).toFixed(0)}% busy): ${parts.join('; ')}`;
}
