import type { SparseHistogram, WindowLatency } from './latency-histogram';
import type { SoakCheck } from './soak-checks';
import type { ListenerKind } from './soak-plan';

/** The tables a lane's life writes, watched for growth and dead tuples. */
export const SOAK_TABLES = ['lanes', 'lane_items', 'deliveries', 'events', 'delivery_attempts'] as const;

export interface TableSample {
  bytes: number;
  liveTuples: number;
  deadTuples: number;
  autovacuums: number;
  autoanalyzes: number;
}

export interface MinuteSample {
  minute: number;
  at: string;
  /** Events on the broker so far. */
  produced: number;
  /** Events acknowledged for the first time during this minute, per kind. */
  delivered: Record<ListenerKind, number>;
  healthy: WindowLatency;
  healthyLatency: SparseHistogram;
  rssMb: { ingestion: number; dispatcher: number };
  peakRssMb: { ingestion: number; dispatcher: number };
  tables: Record<string, TableSample>;
  loadAverage: number[];
}

const SHORT: Record<string, string> = {
  lanes: 'lanes',
  lane_items: 'items',
  deliveries: 'dlv',
  events: 'events',
  delivery_attempts: 'attempts',
};

const mb = (bytes: number) => (bytes / 1024 / 1024).toFixed(1);
const thousands = (value: number) => (value >= 10_000 ? `${Math.round(value / 1000)}k` : String(value));

/** One row per minute: latency, deliveries, memory, and each table's size (MB) / dead tuples. */
export function formatMinutes(minutes: readonly MinuteSample[]): string {
  const header = [
    'min',
    'produced',
    'delivered',
    'healthy p50/p99 ms',
    'RSS ing/disp MB',
    'load',
    ...Object.values(SHORT).map((name) => `${name} MB/dead`),
  ];
  const rows = minutes.map((sample) => [
    String(sample.minute),
    String(sample.produced),
    String(Object.values(sample.delivered).reduce((sum, value) => sum + value, 0)),
    `${sample.healthy.p50 ?? '-'}/${sample.healthy.p99 ?? '-'}`,
    `${Math.round(sample.rssMb.ingestion)}/${Math.round(sample.rssMb.dispatcher)}`,
    sample.loadAverage[0].toFixed(1),
    ...Object.keys(SHORT).map((table) => {
      const stats = sample.tables[table];
      return stats ? `${mb(stats.bytes)}/${thousands(stats.deadTuples)}` : '-';
    }),
  ]);
  return [header, header.map(() => '---'), ...rows].map((row) => `| ${row.join(' | ')} |`).join('\n');
}

export function formatChecks(checks: readonly SoakCheck[]): string {
  return checks
    .map(
      (check) =>
        `${check.pass === null ? 'INFO' : check.pass ? 'PASS' : 'FAIL'}  ${check.name}: ${check.detail}`,
    )
    .join('\n');
}
