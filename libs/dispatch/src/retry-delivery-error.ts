/**
 * Thrown from the job handler when a delivery must be tried again: Bull's retry fires (STYLE §10) and
 * the `delivery-schedule` backoff strategy reads the delay off this error.
 */
export class RetryDeliveryError extends Error {
  constructor(
    message: string,
    readonly retryInMs: number,
    /** An attempt was sent and its outcome recorded (not a deferral before sending). */
    readonly afterRecordedAttempt = false,
  ) {
    super(message);
    this.name = 'RetryDeliveryError';
    // Bull stores every failed attempt's stack in the job hash; a week of retries must not grow it.
    this.stack = `${this.name}: ${message}`;
  }
}

/** Delay for an error the handler did not expect (database down, bug): not a hot loop, not a long wait. */
export const UNEXPECTED_ERROR_RETRY_MS = 5_000;
const UNEXPECTED_ERROR_MAX_RETRY_MS = 300_000;

/**
 * The wait after the n-th unexpected error of a delivery: doubling from UNEXPECTED_ERROR_RETRY_MS, so a
 * passing fault is ridden out before the delivery is given up, and a lasting one costs few retries.
 */
export function unexpectedErrorRetryMs(errorCount: number): number {
  return Math.min(
    UNEXPECTED_ERROR_RETRY_MS * 2 ** Math.max(0, errorCount - 1),
    UNEXPECTED_ERROR_MAX_RETRY_MS,
  );
}

// Postgres SQLSTATE classes that say the database, not the delivery, is in trouble: 08 connection
// exception, 40 transaction rollback (deadlock, serialization), 53 insufficient resources, 57 operator
// intervention (shutdown, cancel), 58 system error.
const INFRASTRUCTURE_SQLSTATE_CLASSES: ReadonlySet<string> = new Set(['08', '40', '53', '57', '58']);
const INFRASTRUCTURE_SYSTEM_CODES: ReadonlySet<string> = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ETIMEDOUT',
  'EPIPE',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'EAI_AGAIN',
  'ENOTFOUND',
  '55P03', // lock not available
]);
// pg and ioredis report a lost or unobtainable connection without a code.
const INFRASTRUCTURE_MESSAGES =
  /connection terminated|timeout exceeded when trying to connect|connection is closed|max retries per request/i;

/**
 * Whether an unexpected error says Postgres or Redis is unreachable or overloaded rather than anything
 * about the delivery: such errors never count towards giving a delivery up (an outage would otherwise
 * kill every delivery in flight); the delivery waits for the database like everything else.
 */
export function isInfrastructureError(error: unknown): boolean {
  const candidates = [error, (error as { driverError?: unknown })?.driverError];
  for (const candidate of candidates) {
    const code = (candidate as { code?: unknown } | undefined)?.code;
    if (typeof code !== 'string') continue;
    if (INFRASTRUCTURE_SYSTEM_CODES.has(code)) return true;
    if (/^[0-9A-Z]{5}$/.test(code) && INFRASTRUCTURE_SQLSTATE_CLASSES.has(code.slice(0, 2))) return true;
  }
  return error instanceof Error && INFRASTRUCTURE_MESSAGES.test(error.message);
}

export function backoffFromError(_attemptsMade: number, error: Error): number {
  const retryInMs = (error as Partial<RetryDeliveryError>).retryInMs;
  return typeof retryInMs === 'number' && retryInMs >= 0
    ? Math.max(1, Math.round(retryInMs))
    : UNEXPECTED_ERROR_RETRY_MS;
}
