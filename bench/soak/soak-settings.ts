import { existsSync, readFileSync } from 'node:fs';

/** What one `npm run soak` does, from the environment. */
export interface SoakSettings {
  /** SOAK_MINUTES: minutes of load (default 30). */
  minutes: number;
  /** SOAK_RATE: events per second; default half the throughput of the last `npm run bench`. */
  rate: number;
  /** Where the rate came from, for the report. */
  rateSource: string;
  brokers: string[];
  partitions: number;
  dispatchers: number;
  /** DISPATCH_CONCURRENCY of the dispatcher (as the bench's default). */
  concurrency: number;
}

export const DEFAULT_SOAK_MINUTES = 30;

/** Half the events/s of the bench's throughput run in a results file (`results.throughput.eventsPerSecond`). */
export function halfOfMeasuredCapacity(results: unknown): number | undefined {
  const throughput = (results as { results?: { throughput?: { eventsPerSecond?: unknown } } } | undefined)
    ?.results?.throughput?.eventsPerSecond;
  return typeof throughput === 'number' && throughput > 0 ? Math.round(throughput / 2) : undefined;
}

function positive(name: string): number | undefined {
  const raw = process.env[name];
  if (raw === undefined || raw === '') return undefined;
  const value = Number(raw);
  if (!Number.isFinite(value) || value <= 0)
    throw new Error(`${name} must be a positive number, got "${raw}"`);
  return value;
}

export function readSoakSettings(benchResultsFile: string): SoakSettings {
  const minutes = Math.max(1, Math.round(positive('SOAK_MINUTES') ?? DEFAULT_SOAK_MINUTES));
  const override = positive('SOAK_RATE');
  let rate = override;
  let rateSource = 'SOAK_RATE';
  if (rate === undefined) {
    const results: unknown = existsSync(benchResultsFile)
      ? JSON.parse(readFileSync(benchResultsFile, 'utf8'))
      : undefined;
    rate = halfOfMeasuredCapacity(results);
    if (rate === undefined)
      throw new Error(`no throughput in ${benchResultsFile}: run \`npm run bench\` first, or set SOAK_RATE`);
    const date = (results as { date?: string }).date ?? 'unknown date';
    rateSource = `half of the bench throughput ${rate * 2} events/s (${date})`;
  }
  return {
    minutes,
    rate: Math.round(rate),
    rateSource,
    brokers: (process.env.KAFKA_BROKERS ?? '127.0.0.1:9092').split(','),
    partitions: 12,
    dispatchers: 1,
    concurrency: 100,
  };
}
