/**
 * Thrown from the job handler when a delivery must be tried again: Bull's retry fires (STYLE §10) and
 * the `delivery-schedule` backoff strategy reads the delay off this error.
 */
export class RetryDeliveryError extends Error {
  constructor(
    message: string,
    readonly retryInMs: number,
  ) {
    super(message);
    this.name = 'RetryDeliveryError';
    // Bull stores every failed attempt's stack in the job hash; a week of retries must not grow it.
    this.stack = `${this.name}: ${message}`;
  }
}

/** Delay for an error the handler did not expect (database down, bug): not a hot loop, not a long wait. */
export const UNEXPECTED_ERROR_RETRY_MS = 5_000;

export function backoffFromError(_attemptsMade: number, error: Error): number {
  const retryInMs = (error as Partial<RetryDeliveryError>).retryInMs;
  return typeof retryInMs === 'number' && retryInMs >= 0
    ? Math.max(1, Math.round(retryInMs))
    : UNEXPECTED_ERROR_RETRY_MS;
}
