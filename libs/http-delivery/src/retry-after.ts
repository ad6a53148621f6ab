/**
 * `Retry-After` as milliseconds from `now`: either delta-seconds or an HTTP date (RFC 9110 §10.2.3).
 * null when absent or unparsable; a date in the past gives 0.
 */
export function parseRetryAfter(
  headerValue: string | null | undefined,
  now: number = Date.now(),
): number | null {
  if (headerValue === undefined || headerValue === null) return null;
  const value = headerValue.trim();
  if (value === '') return null;
  if (/^\d+$/.test(value)) return Number(value) * 1000;
  // Only an HTTP date (it names a weekday/month); Date.parse would also accept "-5" or "1.5".
  if (!/[a-z]{3}/i.test(value)) return null;
  const at = Date.parse(value);
  if (Number.isNaN(at)) return null;
  return Math.max(0, at - now);
}
