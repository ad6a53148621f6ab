import { isoTimeToEpochMs } from '@lms/payload-schemas';

/** 1970-01-01 to 9999-12-31 (UTC): every LMS event and delivery time; Postgres and ISO-8601 both hold it. */
export const MIN_INSTANT_MS = 0;
export const MAX_INSTANT_MS = 253_402_300_799_999;

/**
 * A point in time as the API accepts it (like the LMS does): epoch milliseconds, as a number or a
 * string of digits, or an ISO-8601 string read by the catalogue's strict parser (no rolling of
 * 2024-02-30 into March; no zone means UTC, whatever the server's zone). Returns epoch ms, or
 * undefined when it is neither or lies outside [MIN_INSTANT_MS, MAX_INSTANT_MS].
 */
export function parseInstant(value: unknown): number | undefined {
  if (typeof value === 'number') return inRange(value) ? value : undefined;
  if (typeof value !== 'string' || value.length > 40) return undefined;
  if (/^-?\d{1,16}$/.test(value)) return parseInstant(Number(value));
  const ms = isoTimeToEpochMs(value);
  return ms !== undefined && inRange(ms) ? ms : undefined;
}

function inRange(ms: number): boolean {
  return Number.isSafeInteger(ms) && ms >= MIN_INSTANT_MS && ms <= MAX_INSTANT_MS;
}

/**
 * class-transformer step of an instant field: the epoch ms, or NaN (which @IsInt refuses) for anything
 * else, so an out-of-range number such as 1e19 cannot slip through as "an integer" and reach the database.
 */
export const toInstant = ({ value }: { value: unknown }): unknown =>
  value === undefined ? undefined : (parseInstant(value) ?? Number.NaN);

export const INSTANT_MESSAGE =
  'must be an ISO-8601 time (UTC when it has no zone) or epoch milliseconds, from 1970-01-01 to 9999-12-31';

const INSTANT_TEXT = {
  type: 'string' as const,
  maxLength: 40,
  pattern:
    '^(\\d{4}-\\d{2}-\\d{2}([Tt]\\d{2}:\\d{2}(:\\d{2}([.,]\\d{1,9})?)?([Zz]|[+-]\\d{2}(:?\\d{2})?)?)?|\\d{1,16})$',
};

/**
 * The OpenAPI schema of an instant in a JSON body: an ISO-8601 date or date-time (the server's parser
 * is stricter than the pattern: it also refuses impossible dates such as 2024-02-30), or epoch
 * milliseconds as a number or a string of digits, within [MIN_INSTANT_MS, MAX_INSTANT_MS].
 */
export const INSTANT_SCHEMA = {
  oneOf: [
    {
      ...INSTANT_TEXT,
      description: 'ISO-8601 date or date-time (UTC when it has no zone), or epoch ms as digits',
    },
    { type: 'integer', minimum: MIN_INSTANT_MS, maximum: MAX_INSTANT_MS, description: 'Epoch milliseconds' },
  ],
};

/** The same in a query string, where every value is text. */
export const INSTANT_QUERY_SCHEMA = INSTANT_TEXT;
