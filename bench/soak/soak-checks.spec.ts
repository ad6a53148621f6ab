import { LatencyHistogram, type SparseHistogram } from './latency-histogram';
import {
  comparisonWindowMinutes,
  deadTuplesPerThousandEvents,
  soakChecks,
  type SoakCheck,
  type SoakOutcome,
} from './soak-checks';

function minuteAt(ms: number, events = 100): SparseHistogram {
  const histogram = new LatencyHistogram();
  for (let index = 0; index < events; index += 1) histogram.record(ms);
  return histogram.toSparse();
}

function outcomeFactory(overrides: Partial<SoakOutcome> = {}): SoakOutcome {
  return {
    healthyLatencyByMinute: Array.from({ length: 30 }, () => minuteAt(100)),
    produced: 10_000,
    expectedByKind: { healthy: 9000, slow: 300, flaky: 300, failing: 400 },
    missingByKind: { healthy: 0, slow: 0, flaky: 0, failing: 400 },
    orderViolations: { firstReceived: 0, firstAcknowledged: 0 },
    deadTuples: { events: 500, lane_items: 1500 },
    ...overrides,
  };
}

function check(outcome: SoakOutcome, prefix: string): SoakCheck {
  const found = soakChecks(outcome).find((candidate) => candidate.name.startsWith(prefix));
  if (!found) throw new Error(`no check ${prefix}`);
  return found;
}

describe('soakChecks', () => {
  it('passes a run that lost nothing, kept order and held its latency (a failing listener`s events do not count)', () => {
    const checks = soakChecks(outcomeFactory());
    expect(checks.map((candidate) => candidate.pass)).toEqual([true, true, true, null]);
    expect(checks[0].detail).toContain('9600 of 9600');
  });

  it('fails when one event of a slow or flaky account never arrived', () => {
    const lost = check(
      outcomeFactory({ missingByKind: { healthy: 0, slow: 0, flaky: 1, failing: 400 } }),
      'nothing lost',
    );
    expect(lost.pass).toBe(false);
    expect(lost.detail).toContain('flaky 1');
  });

  it('fails a run that produced nothing it must deliver', () => {
    const empty = outcomeFactory({
      produced: 0,
      expectedByKind: { healthy: 0, slow: 0, flaky: 0, failing: 0 },
      missingByKind: { healthy: 0, slow: 0, flaky: 0, failing: 0 },
    });
    expect(check(empty, 'nothing lost').pass).toBe(false);
  });

  it('fails on one event out of order, first received or first acknowledged', () => {
    for (const orderViolations of [
      { firstReceived: 1, firstAcknowledged: 0 },
      { firstReceived: 0, firstAcknowledged: 1 },
    ]) {
      expect(check(outcomeFactory({ orderViolations }), 'order kept').pass).toBe(false);
    }
  });

  it('compares the last 5 minutes` p99 with the first 5`s: 20 % more passes, above fails, faster passes', () => {
    const run = (lastMs: number) =>
      outcomeFactory({
        healthyLatencyByMinute: [
          ...Array.from({ length: 5 }, () => minuteAt(100)),
          ...Array.from({ length: 20 }, () => minuteAt(400)),
          ...Array.from({ length: 5 }, () => minuteAt(lastMs)),
        ],
      });
    expect(check(run(120), 'healthy p99').pass).toBe(true);
    expect(check(run(121), 'healthy p99').pass).toBe(false);
    expect(check(run(60), 'healthy p99').pass).toBe(true);
    expect(check(run(121), 'healthy p99').detail).toBe(
      'first 100 ms (500 events), last 121 ms (500 events), bound 120 ms',
    );
  });

  it('fails the latency check when a window has no healthy event', () => {
    const silent = outcomeFactory({ healthyLatencyByMinute: [minuteAt(100), [], []] });
    expect(check(silent, 'healthy p99').pass).toBe(false);
  });

  it('reports dead tuples per 1,000 events produced, without judging them', () => {
    const dead = check(outcomeFactory(), 'dead tuples');
    expect(dead.pass).toBeNull();
    expect(dead.detail).toBe('200 at the end (events 500, lane_items 1500)');
  });
});

describe('comparisonWindowMinutes', () => {
  it('is 5 minutes of a long run, half of a short one, at least 1', () => {
    expect([30, 10, 9, 3, 1, 0].map(comparisonWindowMinutes)).toEqual([5, 5, 4, 1, 1, 1]);
  });
});

describe('deadTuplesPerThousandEvents', () => {
  it('sums the tables, one decimal, 0 without events', () => {
    expect(deadTuplesPerThousandEvents({ a: 1, b: 2 }, 3000)).toBe(1);
    expect(deadTuplesPerThousandEvents({ a: 5 }, 0)).toBe(0);
  });
});
