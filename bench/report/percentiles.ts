import type { LatencySummary } from '../receiver/receiver-protocol';

/** Nearest-rank percentiles of a sample (sorted in place): latencies, events per request. null for an empty sample. */
export function summarizeLatencies(samples: number[]): LatencySummary | null {
  if (samples.length === 0) return null;
  samples.sort((a, b) => a - b);
  const rank = (p: number) =>
    samples[Math.min(samples.length - 1, Math.max(0, Math.ceil((p / 100) * samples.length) - 1))];
  let sum = 0;
  for (const value of samples) sum += value;
  return {
    count: samples.length,
    p50: rank(50),
    p95: rank(95),
    p99: rank(99),
    max: samples[samples.length - 1],
    mean: Math.round((sum / samples.length) * 10) / 10,
  };
}
