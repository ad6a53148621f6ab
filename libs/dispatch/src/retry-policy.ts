import type { RetryConfig } from '@lms/config';

export type RetryDecision = { kind: 'retry'; delayMs: number } | { kind: 'dead'; reason: string };

/**
 * The LMS's documented schedule: the n-th failure waits scheduleMs[n-1] (the last step repeats) ± jitter,
 * so a receiver coming back from an outage is not hit by every delivery in the same second. A
 * Retry-After from a 429/503 can only lengthen the step, never shorten it (`Retry-After: 0` would
 * otherwise turn retries into a hot loop against the listener and our workers), and is capped at the
 * schedule's largest interval so one receiver cannot park deliveries for days. A delivery older than
 * maxAgeMs at its next attempt is dead.
 */
export class RetryPolicy {
  private readonly maxIntervalMs: number;

  constructor(
    private readonly config: RetryConfig,
    private readonly random: () => number = Math.random,
  ) {
    this.maxIntervalMs = Math.max(...config.scheduleMs);
  }

  decide(input: { attemptNumber: number; ageMs: number; retryAfterMs: number | null }): RetryDecision {
    const scheduledMs = this.scheduledDelay(input.attemptNumber);
    const delayMs =
      input.retryAfterMs !== null
        ? Math.max(scheduledMs, Math.min(input.retryAfterMs, this.maxIntervalMs))
        : scheduledMs;
    if (input.ageMs + delayMs > this.config.maxAgeMs) {
      return {
        kind: 'dead',
        reason: `gave up after ${input.attemptNumber} attempts: older than the retry window`,
      };
    }
    return { kind: 'retry', delayMs };
  }

  private scheduledDelay(attemptNumber: number): number {
    const schedule = this.config.scheduleMs;
    const base = schedule[Math.min(Math.max(attemptNumber, 1) - 1, schedule.length - 1)];
    const jitter = base * this.config.jitterRatio * (2 * this.random() - 1);
    return Math.max(1, Math.round(base + jitter));
  }
}
