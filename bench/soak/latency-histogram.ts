/** Latencies recorded at 1 ms resolution: windows merge exactly, whatever their size. `[ms, count]` pairs on the wire. */
export type SparseHistogram = [number, number][];

export interface WindowLatency {
  count: number;
  p50: number | null;
  p99: number | null;
}

/**
 * Counts per whole millisecond (negative values count as 0). Percentiles are nearest-rank, as
 * bench/report/percentiles.ts computes them over raw samples, so a window's p99 does not depend on
 * how it was cut into minutes.
 */
export class LatencyHistogram {
  private readonly counts = new Map<number, number>();
  private total = 0;

  static fromSparse(sparse: SparseHistogram): LatencyHistogram {
    const histogram = new LatencyHistogram();
    for (const [ms, count] of sparse) histogram.add(ms, count);
    return histogram;
  }

  get count(): number {
    return this.total;
  }

  record(ms: number): void {
    this.add(ms, 1);
  }

  merge(other: LatencyHistogram): this {
    for (const [ms, count] of other.counts) this.add(ms, count);
    return this;
  }

  /** Nearest rank: the smallest value with at least p% of the samples at or below it; null when empty. */
  percentile(p: number): number | null {
    if (this.total === 0) return null;
    const rank = Math.min(this.total, Math.max(1, Math.ceil((p / 100) * this.total)));
    let seen = 0;
    for (const [ms, count] of this.sorted()) {
      seen += count;
      if (seen >= rank) return ms;
    }
    return null;
  }

  toSparse(): SparseHistogram {
    return this.sorted();
  }

  private add(ms: number, count: number): void {
    if (count <= 0) return;
    const bucket = Math.max(0, Math.round(ms));
    this.counts.set(bucket, (this.counts.get(bucket) ?? 0) + count);
    this.total += count;
  }

  private sorted(): SparseHistogram {
    return [...this.counts.entries()].sort((a, b) => a[0] - b[0]);
  }
}

/** p50/p99 over minutes [from, to) of per-minute histograms (the minutes that exist). */
export function windowLatency(minutes: readonly SparseHistogram[], from: number, to: number): WindowLatency {
  const merged = new LatencyHistogram();
  for (const minute of minutes.slice(Math.max(0, from), Math.max(0, to)))
    merged.merge(LatencyHistogram.fromSparse(minute));
  return { count: merged.count, p50: merged.percentile(50), p99: merged.percentile(99) };
}
