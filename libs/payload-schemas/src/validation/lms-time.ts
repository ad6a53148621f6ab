// The largest instant a JS Date can hold; anything beyond is certainly not a real LMS time.
export const MAX_EPOCH_MS = 8.64e15;

// Calendar date, optionally followed by a time and a zone. Parsed by hand rather than with Date.parse
// because Date.parse reads a zone-less date-time in the server's local zone (different per replica)
// and silently rolls impossible dates such as 2024-02-30 over into March.
export const ISO_8601_PATTERN =
  /^(\d{4})-(\d{2})-(\d{2})(?:[Tt](\d{2}):(\d{2})(?::(\d{2})(?:[.,](\d{1,9}))?)?(?:([Zz])|([+-])(\d{2})(?::?(\d{2}))?)?)?$/;

/**
 * Epoch milliseconds of an ISO-8601 date or date-time, or undefined when the string is not one.
 * A date-time without a zone is read as UTC so every replica agrees on the instant.
 */
export function isoTimeToEpochMs(text: string): number | undefined {
  const match = ISO_8601_PATTERN.exec(text);
  if (match === null) return undefined;
  const [
    ,
    year,
    month,
    day,
    hour = '0',
    minute = '0',
    second = '0',
    fraction = '',
    ,
    sign,
    offsetHour,
    offsetMinute,
  ] = match;
  const y = Number(year);
  const mo = Number(month);
  const d = Number(day);
  const h = Number(hour);
  const mi = Number(minute);
  const s = Number(second);
  if (mo < 1 || mo > 12 || d < 1 || h > 23 || mi > 59 || s > 59) return undefined;
  const ms = fraction === '' ? 0 : Math.floor(Number(`0.${fraction}`) * 1000);
  const utc = Date.UTC(y, mo - 1, d, h, mi, s, ms);
  if (new Date(utc).getUTCDate() !== d) return undefined;
  if (sign === undefined) return utc;
  const oh = Number(offsetHour);
  const om = offsetMinute === undefined ? 0 : Number(offsetMinute);
  if (oh > 23 || om > 59) return undefined;
  const offsetMs = (oh * 60 + om) * 60_000;
  return sign === '+' ? utc - offsetMs : utc + offsetMs;
}

/**
 * True for every way the LMS writes a time inside `data`: epoch seconds or epoch milliseconds (numbers;
 * the two cannot be told apart reliably, and `data` is passed on untouched, so both are accepted) or
 * an ISO-8601 string.
 */
export function isLmsTime(value: unknown): boolean {
  if (typeof value === 'number') return Number.isFinite(value) && value >= 0 && value <= MAX_EPOCH_MS;
  return typeof value === 'string' && isoTimeToEpochMs(value) !== undefined;
}
