import { windowLatency, type SparseHistogram, type WindowLatency } from './latency-histogram';
import { MUST_DELIVER, type ListenerKind } from './soak-plan';

/** What a soak run ended with: the checks below read only this. */
export interface SoakOutcome {
  /** Healthy accounts' produce→receive latency, one histogram per minute of load. */
  healthyLatencyByMinute: readonly SparseHistogram[];
  produced: number;
  expectedByKind: Record<ListenerKind, number>;
  missingByKind: Record<ListenerKind, number>;
  /** Events first received (whatever the answer) / first acknowledged after one their account produced later, on the same webhook. */
  orderViolations: { firstReceived: number; firstAcknowledged: number };
  /** n_dead_tup per table at the end. */
  deadTuples: Record<string, number>;
}

export interface SoakCheck {
  name: string;
  /** null: a figure reported, not judged. */
  pass: boolean | null;
  detail: string;
}

/** A later window's p99 may be this much above the first's. */
export const LATENCY_DRIFT_ALLOWED = 0.2;

/** The windows compared: the first and last 5 minutes, or half of a shorter run (at least 1 minute). */
export function comparisonWindowMinutes(minutes: number): number {
  return Math.max(1, Math.min(5, Math.floor(minutes / 2)));
}

export function latencyWindows(healthyLatencyByMinute: readonly SparseHistogram[]): {
  minutes: number;
  first: WindowLatency;
  last: WindowLatency;
} {
  const total = healthyLatencyByMinute.length;
  const minutes = comparisonWindowMinutes(total);
  return {
    minutes,
    first: windowLatency(healthyLatencyByMinute, 0, minutes),
    last: windowLatency(healthyLatencyByMinute, total - minutes, total),
  };
}

export function deadTuplesPerThousandEvents(deadTuples: Record<string, number>, events: number): number {
  const dead = Object.values(deadTuples).reduce((sum, value) => sum + value, 0);
  return events > 0 ? Math.round((dead / events) * 1000 * 10) / 10 : 0;
}

export function soakChecks(outcome: SoakOutcome): SoakCheck[] {
  const missing = MUST_DELIVER.reduce((sum, kind) => sum + outcome.missingByKind[kind], 0);
  const expected = MUST_DELIVER.reduce((sum, kind) => sum + outcome.expectedByKind[kind], 0);
  const { minutes, first, last } = latencyWindows(outcome.healthyLatencyByMinute);
  const bound = first.p99 === null ? null : Math.round(first.p99 * (1 + LATENCY_DRIFT_ALLOWED));
  const { firstReceived, firstAcknowledged } = outcome.orderViolations;
  return [
    {
      name: 'nothing lost',
      pass: missing === 0 && expected > 0,
      detail:
        `${expected - missing} of ${expected} events of healthy/slow/flaky accounts received (missing: ` +
        MUST_DELIVER.map((kind) => `${kind} ${outcome.missingByKind[kind]}`).join(', ') +
        ')',
    },
    {
      name: 'order kept per webhook',
      pass: firstReceived === 0 && firstAcknowledged === 0,
      detail: `${firstReceived} event(s) first received after a later one of their account, ${firstAcknowledged} first acknowledged after one`,
    },
    {
      name: `healthy p99 stable (last ${minutes} min ≤ first ${minutes} min + ${LATENCY_DRIFT_ALLOWED * 100} %)`,
      pass: bound !== null && last.p99 !== null && last.p99 <= bound,
      detail: `first ${first.p99 ?? '-'} ms (${first.count} events), last ${last.p99 ?? '-'} ms (${last.count} events), bound ${bound ?? '-'} ms`,
    },
    {
      name: 'dead tuples per 1,000 events',
      pass: null,
      detail: `${deadTuplesPerThousandEvents(outcome.deadTuples, outcome.produced)} at the end (${Object.entries(
        outcome.deadTuples,
      )
        .map(([table, dead]) => `${table} ${dead}`)
        .join(', ')})`,
    },
  ];
}
