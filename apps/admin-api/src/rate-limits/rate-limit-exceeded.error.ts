/** What a limit counts: every request of an account, of a client IP, or an account's test-sends. */
export type RateLimitScope = 'account' | 'client' | 'testSend' | 'testSendConcurrency';

type CountedScope = Exclude<RateLimitScope, 'testSendConcurrency'>;

const COUNTED: Record<CountedScope, string> = {
  account: 'requests from this account',
  client: 'requests from this client address',
  testSend: 'test-sends from this account',
};

/**
 * A request refused by one of the admin API's limits. Not a domain error: limits are the API's own
 * protection (the workers never see one). The exception filter answers 429 with `Retry-After`.
 */
export class RateLimitExceededError extends Error {
  constructor(
    readonly code: 'TOO_MANY_REQUESTS' | 'TOO_MANY_CONCURRENT_TEST_SENDS',
    readonly scope: RateLimitScope,
    message: string,
    /** Whole seconds until a retry can succeed; at least 1. */
    readonly retryAfterSeconds: number,
  ) {
    super(message);
    this.name = 'RateLimitExceededError';
  }

  /** A rate over its limit in the current window. */
  static requests(
    scope: CountedScope,
    limit: number,
    windowMs: number,
    retryAfterSeconds: number,
  ): RateLimitExceededError {
    const retry = Math.max(1, Math.ceil(retryAfterSeconds));
    return new RateLimitExceededError(
      'TOO_MANY_REQUESTS',
      scope,
      `Too many ${COUNTED[scope]}: at most ${limit} per ${formatWindow(windowMs)}; retry after ${retry} s`,
      retry,
    );
  }

  static concurrentTestSends(reason: 'ACCOUNT_SHARE' | 'CAPACITY', limit: number): RateLimitExceededError {
    const message =
      reason === 'ACCOUNT_SHARE'
        ? `This account already has ${limit} test-sends in progress (its share of the admin API's test-sends); wait for one to finish`
        : `The admin API already has ${limit} test-sends in progress (all accounts); try again in a moment`;
    return new RateLimitExceededError('TOO_MANY_CONCURRENT_TEST_SENDS', 'testSendConcurrency', message, 1);
  }
}

function formatWindow(windowMs: number): string {
  if (windowMs % 3_600_000 === 0) return windowMs === 3_600_000 ? 'hour' : `${windowMs / 3_600_000} hours`;
  if (windowMs % 60_000 === 0) return windowMs === 60_000 ? 'minute' : `${windowMs / 60_000} minutes`;
  return `${Math.round(windowMs / 1000)} s`;
}
