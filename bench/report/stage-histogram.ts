/**
 * The lane stage histogram (lmsw_lane_stage_seconds{stage}) read from Prometheus text: parsed per
 * stage, summed over processes (replicas, ingestion and dispatcher), taken as the difference between
 * two scrapes (one scenario's share), and summarized by interpolating inside the buckets as
 * Prometheus's histogram_quantile does.
 */

/** One histogram series: cumulative counts by upper bound (Infinity last), ascending. */
export interface HistogramSeries {
  buckets: Array<[le: number, cumulative: number]>;
  count: number;
  sum: number;
}

export type HistogramByLabel = Record<string, HistogramSeries>;

export interface StageSummary {
  count: number;
  /** Milliseconds, interpolated inside the bucket the rank falls into; null when nothing was observed. */
  p50Ms: number | null;
  p99Ms: number | null;
  meanMs: number | null;
}

const SAMPLE = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{([^}]*)\})?\s+(\S+)/;
const LABEL = /([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"/g;

/** The series of histogram `name` in one /metrics body, keyed by the value of `label`. */
export function parseHistogram(text: string, name: string, label: string): HistogramByLabel {
  const series: HistogramByLabel = {};
  const of = (key: string) => (series[key] ??= { buckets: [], count: 0, sum: 0 });
  for (const line of text.split('\n')) {
    if (line.startsWith('#')) continue;
    const match = SAMPLE.exec(line);
    if (!match) continue;
    const [, metric, labelText = '', rawValue] = match;
    const suffix = metric.startsWith(name) ? metric.slice(name.length) : null;
    if (suffix !== '_bucket' && suffix !== '_count' && suffix !== '_sum') continue;
    const labels: Record<string, string> = {};
    for (const [, key, value] of labelText.matchAll(LABEL)) labels[key] = value;
    const key = labels[label];
    if (key === undefined) continue;
    const value = Number(rawValue);
    if (suffix === '_bucket') of(key).buckets.push([parseLe(labels.le), value]);
    else if (suffix === '_count') of(key).count = value;
    else of(key).sum = value;
  }
  for (const entry of Object.values(series)) entry.buckets.sort(([a], [b]) => a - b);
  return series;
}

function parseLe(le: string | undefined): number {
  if (le === undefined) throw new Error('a histogram bucket without an le label');
  return le === '+Inf' ? Infinity : Number(le);
}

/** Several processes' histograms (same buckets) added together. */
export function sumHistograms(all: readonly HistogramByLabel[]): HistogramByLabel {
  return combine(all, 1);
}

/** What was observed between two scrapes: `after` minus `before`, series by series and bucket by bucket. */
export function histogramDelta(after: HistogramByLabel, before: HistogramByLabel): HistogramByLabel {
  return combine([after, before], -1);
}

function combine(all: readonly HistogramByLabel[], signOfRest: 1 | -1): HistogramByLabel {
  const result: HistogramByLabel = {};
  all.forEach((histograms, index) => {
    const sign = index === 0 ? 1 : signOfRest;
    for (const [key, series] of Object.entries(histograms)) {
      const into = (result[key] ??= { buckets: series.buckets.map(([le]) => [le, 0]), count: 0, sum: 0 });
      for (const [le, cumulative] of series.buckets) {
        const bucket = into.buckets.find(([candidate]) => candidate === le);
        if (!bucket) throw new Error(`histogram ${key}: bucket le=${le} is not in every scrape`);
        bucket[1] += sign * cumulative;
      }
      into.count += sign * series.count;
      into.sum += sign * series.sum;
    }
  });
  return result;
}

/**
 * The q-quantile (0..1) of a histogram, in the histogram's unit: the rank's bucket found by cumulative
 * count, then linear interpolation between the bucket's lower and upper bounds (the first bucket starts
 * at 0). A rank in the +Inf bucket answers the highest finite bound, as histogram_quantile does.
 */
export function histogramQuantile(series: HistogramSeries, q: number): number | null {
  const total = series.buckets.at(-1)?.[1] ?? 0;
  if (total <= 0) return null;
  const rank = q * total;
  let lowerBound = 0;
  let lowerCount = 0;
  for (const [le, cumulative] of series.buckets) {
    if (cumulative >= rank && cumulative > lowerCount) {
      if (le === Infinity) return lowerBound;
      return lowerBound + ((le - lowerBound) * (rank - lowerCount)) / (cumulative - lowerCount);
    }
    if (le !== Infinity) lowerBound = le;
    lowerCount = cumulative;
  }
  return lowerBound;
}

/** Count, p50, p99 and mean of each stage, in ms (the histogram's seconds × 1,000), in `order` first. */
export function summarizeStages(
  histograms: HistogramByLabel,
  order: readonly string[] = [],
): Record<string, StageSummary> {
  const keys = [
    ...order.filter((key) => key in histograms),
    ...Object.keys(histograms).filter((key) => !order.includes(key)),
  ];
  const ms = (seconds: number | null) => (seconds === null ? null : Math.round(seconds * 1000 * 100) / 100);
  return Object.fromEntries(
    keys.map((key) => {
      const series = histograms[key];
      return [
        key,
        {
          count: series.count,
          p50Ms: ms(histogramQuantile(series, 0.5)),
          p99Ms: ms(histogramQuantile(series, 0.99)),
          meanMs: series.count > 0 ? ms(series.sum / series.count) : null,
        },
      ];
    }),
  );
}
