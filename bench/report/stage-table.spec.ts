import { formatStageTable, type BenchResults, type DeliveryRunResult } from './bench-report';

function run(stages: DeliveryRunResult['stages']): DeliveryRunResult {
  return { stages } as DeliveryRunResult;
}

describe('formatStageTable', () => {
  it('prints one row per stage with p50 / p99 and count for each probed run', () => {
    const results: BenchResults = {
      scale: [],
      errors: [],
      throughput: {
        ...run({ post: { count: 1200, p50Ms: 4.5, p99Ms: 30, meanMs: 6 } }),
        ratioToCeiling: null,
      },
      latency: {
        ...run({
          post: { count: 30_000, p50Ms: 2, p99Ms: 12.25, meanMs: 3 },
          advance: { count: 0, p50Ms: null, p99Ms: null, meanMs: null },
        }),
        ratePerSecond: 1000,
        durationSeconds: 30,
      },
    };

    const lines = formatStageTable(results).split('\n');

    expect(lines[0]).toMatch(
      /^\| Lane stage \(ms\) \| 2\. Throughput: p50 \/ p99 \| count +\| 3\. Latency: p50 \/ p99 \| count +\|$/,
    );
    expect(lines[2].split('|').map((cell) => cell.trim())).toEqual([
      '',
      'post',
      '4.5 / 30',
      '1,200',
      '2 / 12.25',
      '30,000',
      '',
    ]);
    expect(lines[3].split('|').map((cell) => cell.trim())).toEqual([
      '',
      'advance',
      '-',
      '-',
      '- / -',
      '0',
      '',
    ]);
  });

  it('prints nothing when no run was probed', () => {
    expect(formatStageTable({ scale: [], errors: [] })).toBe('');
  });
});
