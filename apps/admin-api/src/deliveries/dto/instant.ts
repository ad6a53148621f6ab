const MAX_EPOCH_MS = 8_640_000_000_000_000;
const ISO_8601 = /^\d{4}-\d{2}-\d{2}(T\d{2}:\d{2}(:\d{2}(\.\d{1,9})?)?(Z|[+-]\d{2}:?\d{2})?)?$/;

/**
 * A point in time as the API accepts it (like the LMS does): epoch milliseconds, as a number or a
 * string of digits, or an ISO-8601 string. Returns epoch ms, or undefined when it is neither.
 */
export function parseInstant(value: unknown): number | undefined {
  if (typeof value === 'number')
    return Number.isSafeInteger(value) && Math.abs(value) <= MAX_EPOCH_MS ? value : undefined;
  if (typeof value !== 'string' || value.length > 40) return undefined;
  if (/^-?\d{1,16}$/.test(value)) return parseInstant(Number(value));
  if (!ISO_8601.test(value)) return undefined;
  const ms = Date.parse(value);
  return Number.isNaN(ms) ? undefined : ms;
}

export const INSTANT_MESSAGE = 'must be an ISO-8601 time or epoch milliseconds';
