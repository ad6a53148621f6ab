import {
  histogramDelta,
  histogramQuantile,
  parseHistogram,
  sumHistograms,
  summarizeStages,
  type HistogramSeries,
} from './stage-histogram';

const NAME = 'lmsw_lane_stage_seconds';

/** A /metrics body as prom-client writes it: buckets (cumulative), sum, count, per stage. */
function body(stages: Record<string, { buckets: Record<string, number>; sum: number }>): string {
  const lines = [`# HELP ${NAME} stages`, `# TYPE ${NAME} histogram`];
  for (const [stage, { buckets, sum }] of Object.entries(stages)) {
    for (const [le, count] of Object.entries(buckets))
      lines.push(`${NAME}_bucket{le="${le}",stage="${stage}"} ${count}`);
    lines.push(`${NAME}_sum{stage="${stage}"} ${sum}`);
    lines.push(`${NAME}_count{stage="${stage}"} ${buckets['+Inf']}`);
  }
  return `${lines.join('\n')}\nlmsw_other_metric_bucket{le="1",stage="post"} 99\n`;
}

describe('parseHistogram', () => {
  it('reads each stage’s cumulative buckets in ascending order (+Inf last), its sum and count, and nothing of other metrics', () => {
    const text = body({
      post: { buckets: { '0.01': 3, '0.001': 1, '+Inf': 4 }, sum: 0.5 },
      advance: { buckets: { '0.001': 0, '0.01': 0, '+Inf': 0 }, sum: 0 },
    });

    expect(parseHistogram(text, NAME, 'stage')).toEqual({
      post: {
        buckets: [
          [0.001, 1],
          [0.01, 3],
          [Infinity, 4],
        ],
        count: 4,
        sum: 0.5,
      },
      advance: {
        buckets: [
          [0.001, 0],
          [0.01, 0],
          [Infinity, 0],
        ],
        count: 0,
        sum: 0,
      },
    });
  });
});

describe('sumHistograms and histogramDelta', () => {
  it('adds processes bucket by bucket, and takes one run as the later scrape minus the earlier one', () => {
    const ingestion = parseHistogram(
      body({ kafka_to_commit: { buckets: { '0.01': 5, '+Inf': 6 }, sum: 1 } }),
      NAME,
      'stage',
    );
    const dispatcherBefore = parseHistogram(
      body({ post: { buckets: { '0.01': 2, '+Inf': 2 }, sum: 0.01 } }),
      NAME,
      'stage',
    );
    const dispatcherAfter = parseHistogram(
      body({ post: { buckets: { '0.01': 10, '+Inf': 12 }, sum: 0.5 } }),
      NAME,
      'stage',
    );

    const before = sumHistograms([dispatcherBefore]);
    const after = sumHistograms([ingestion, dispatcherAfter]);

    expect(histogramDelta(after, before)).toEqual({
      kafka_to_commit: {
        buckets: [
          [0.01, 5],
          [Infinity, 6],
        ],
        count: 6,
        sum: 1,
      },
      post: {
        buckets: [
          [0.01, 8],
          [Infinity, 10],
        ],
        count: 10,
        sum: 0.49,
      },
    });
  });

  it('refuses scrapes whose buckets differ (a delta of different bounds would be meaningless)', () => {
    const a = parseHistogram(body({ post: { buckets: { '0.01': 1, '+Inf': 1 }, sum: 0 } }), NAME, 'stage');
    const b = parseHistogram(body({ post: { buckets: { '0.02': 1, '+Inf': 1 }, sum: 0 } }), NAME, 'stage');
    expect(() => histogramDelta(a, b)).toThrow('bucket le=0.02');
  });
});

describe('histogramQuantile', () => {
  const series = (buckets: Array<[number, number]>): HistogramSeries => ({
    buckets,
    count: buckets.at(-1)?.[1] ?? 0,
    sum: 0,
  });

  it('interpolates linearly inside the bucket the rank falls into', () => {
    // 100 observations: 20 ≤ 1 ms, 80 more in (1, 5] ms.
    const s = series([
      [0.001, 20],
      [0.005, 100],
      [Infinity, 100],
    ]);
    // Rank 50 is the 30th of 80 in (0.001, 0.005]: 0.001 + 0.004 × 30/80 = 0.0025.
    expect(histogramQuantile(s, 0.5)).toBeCloseTo(0.0025, 10);
    // Rank 99: 0.001 + 0.004 × 79/80.
    expect(histogramQuantile(s, 0.99)).toBeCloseTo(0.00495, 10);
  });

  it('starts the first bucket at zero', () => {
    expect(
      histogramQuantile(
        series([
          [0.01, 10],
          [Infinity, 10],
        ]),
        0.5,
      ),
    ).toBeCloseTo(0.005, 10);
  });

  it('skips empty buckets below the rank', () => {
    const s = series([
      [0.001, 0],
      [0.002, 0],
      [0.01, 4],
      [Infinity, 4],
    ]);
    expect(histogramQuantile(s, 0.5)).toBeCloseTo(0.006, 10); // 0.002 + 0.008 × 2/4
  });

  it('answers the highest finite bound for a rank in the +Inf bucket', () => {
    expect(
      histogramQuantile(
        series([
          [0.5, 1],
          [10, 2],
          [Infinity, 100],
        ]),
        0.99,
      ),
    ).toBe(10);
  });

  it('answers null for an empty histogram', () => {
    expect(
      histogramQuantile(
        series([
          [0.5, 0],
          [Infinity, 0],
        ]),
        0.5,
      ),
    ).toBeNull();
  });
});

describe('summarizeStages', () => {
  it('gives count, p50, p99 and mean in ms, the known stages in their order first', () => {
    const histograms = {
      zeta: {
        buckets: [
          [0.01, 0],
          [Infinity, 0],
        ] as Array<[number, number]>,
        count: 0,
        sum: 0,
      },
      post: {
        buckets: [
          [0.01, 10],
          [Infinity, 10],
        ] as Array<[number, number]>,
        count: 10,
        sum: 0.04,
      },
      kafka_to_commit: {
        buckets: [
          [0.01, 0],
          [0.02, 2],
          [Infinity, 2],
        ] as Array<[number, number]>,
        count: 2,
        sum: 0.03,
      },
    };

    const summary = summarizeStages(histograms, ['kafka_to_commit', 'post']);

    expect(Object.keys(summary)).toEqual(['kafka_to_commit', 'post', 'zeta']);
    expect(summary.post).toEqual({ count: 10, p50Ms: 5, p99Ms: 9.9, meanMs: 4 });
    expect(summary.kafka_to_commit).toEqual({ count: 2, p50Ms: 15, p99Ms: 19.9, meanMs: 15 });
    expect(summary.zeta).toEqual({ count: 0, p50Ms: null, p99Ms: null, meanMs: null });
  });
});
