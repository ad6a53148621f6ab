import { RetryPolicy } from './retry-policy';

describe('RetryPolicy', () => {
  const config = { scheduleMs: [5_000, 10_000, 300_000], maxAgeMs: 7 * 86_400_000, jitterRatio: 0.2 };

  it('follows the schedule and repeats its last step', () => {
    const policy = new RetryPolicy(config, () => 0.5);
    const delays = [1, 2, 3, 4, 50].map((attemptNumber) =>
      policy.decide({ attemptNumber, ageMs: 0, retryAfterMs: null }),
    );
    expect(delays).toEqual(
      [5_000, 10_000, 300_000, 300_000, 300_000].map((delayMs) => ({ kind: 'retry', delayMs })),
    );
  });

  it('adds at most ±jitterRatio', () => {
    expect(
      new RetryPolicy(config, () => 0).decide({ attemptNumber: 1, ageMs: 0, retryAfterMs: null }),
    ).toEqual({ kind: 'retry', delayMs: 4_000 });
    expect(
      new RetryPolicy(config, () => 0.999999).decide({ attemptNumber: 1, ageMs: 0, retryAfterMs: null }),
    ).toEqual({
      kind: 'retry',
      delayMs: 6_000,
    });
  });

  it('never lets Retry-After shorten the schedule: Retry-After 0 waits the scheduled step', () => {
    const policy = new RetryPolicy(config, () => 0.5);
    const delays = [1, 2, 3, 4].map(
      (attemptNumber) => policy.decide({ attemptNumber, ageMs: 0, retryAfterMs: 0 }) as { delayMs: number },
    );
    expect(delays.map((decision) => decision.delayMs)).toEqual([5_000, 10_000, 300_000, 300_000]);
    expect(policy.decide({ attemptNumber: 2, ageMs: 0, retryAfterMs: 7_000 })).toEqual({
      kind: 'retry',
      delayMs: 10_000,
    });
  });

  it('lets Retry-After lengthen a step, capped at the largest interval', () => {
    const policy = new RetryPolicy(config, () => 0.5);
    expect(policy.decide({ attemptNumber: 1, ageMs: 0, retryAfterMs: 42_000 })).toEqual({
      kind: 'retry',
      delayMs: 42_000,
    });
    expect(policy.decide({ attemptNumber: 1, ageMs: 0, retryAfterMs: 86_400_000 })).toEqual({
      kind: 'retry',
      delayMs: 300_000,
    });
  });

  it('gives up when the next attempt would fall past the maximum age', () => {
    const policy = new RetryPolicy(config, () => 0.5);
    expect(policy.decide({ attemptNumber: 9, ageMs: config.maxAgeMs - 1_000, retryAfterMs: null }).kind).toBe(
      'dead',
    );
    expect(
      policy.decide({ attemptNumber: 9, ageMs: config.maxAgeMs - 300_000, retryAfterMs: null }).kind,
    ).toBe('retry');
  });
});
