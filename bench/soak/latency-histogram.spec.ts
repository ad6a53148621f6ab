import { summarizeLatencies } from '../report/percentiles';
import { LatencyHistogram, windowLatency } from './latency-histogram';

function histogramOf(samples: number[]): LatencyHistogram {
  const histogram = new LatencyHistogram();
  for (const sample of samples) histogram.record(sample);
  return histogram;
}

describe('LatencyHistogram', () => {
  it('gives the nearest-rank percentiles the bench computes over raw samples', () => {
    const samples = Array.from({ length: 1000 }, (_, index) => (index * 37) % 503);
    const histogram = histogramOf(samples);
    const raw = summarizeLatencies([...samples]);
    expect(histogram.count).toBe(1000);
    expect(histogram.percentile(50)).toBe(raw?.p50);
    expect(histogram.percentile(99)).toBe(raw?.p99);
    expect(histogram.percentile(100)).toBe(raw?.max);
  });

  it('counts whole milliseconds, negative as 0, and is empty-safe', () => {
    const histogram = histogramOf([-3, 0.4, 10.6]);
    expect(histogram.toSparse()).toEqual([
      [0, 2],
      [11, 1],
    ]);
    expect(new LatencyHistogram().percentile(99)).toBeNull();
  });

  it('survives the wire: fromSparse(toSparse()) is the same histogram', () => {
    const histogram = histogramOf([5, 5, 7, 100]);
    expect(LatencyHistogram.fromSparse(histogram.toSparse()).toSparse()).toEqual(histogram.toSparse());
  });
});

describe('windowLatency', () => {
  // Minute 0: 100 events at 10 ms; minute 1: 100 at 20 ms; minute 2: 98 at 30 ms and 2 at 500 ms.
  const minutes = [
    histogramOf(Array(100).fill(10)).toSparse(),
    histogramOf(Array(100).fill(20)).toSparse(),
    histogramOf([...Array(98).fill(30), 500, 500]).toSparse(),
  ];

  it('merges the minutes of the window before taking percentiles', () => {
    expect(windowLatency(minutes, 0, 2)).toEqual({ count: 200, p50: 10, p99: 20 });
    // 2 of 200 events at 500 ms: the 99th percentile (rank 198) is still 30 ms; over minute 2 alone it is 500.
    expect(windowLatency(minutes, 1, 3)).toEqual({ count: 200, p50: 20, p99: 30 });
    expect(windowLatency(minutes, 2, 3)).toEqual({ count: 100, p50: 30, p99: 500 });
  });

  it('takes only the minutes that exist', () => {
    expect(windowLatency(minutes, -2, 1)).toEqual({ count: 100, p50: 10, p99: 10 });
    expect(windowLatency(minutes, 3, 8)).toEqual({ count: 0, p50: null, p99: null });
  });
});
