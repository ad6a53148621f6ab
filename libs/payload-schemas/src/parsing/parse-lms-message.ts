import { findEventType } from '../catalogue/event-catalogue';
import type { FieldError } from '../field-error';
import type { ReceivedLmsEvent } from '../lms-event';
import { isJsonObject } from '../validation/is-json-object';
import { isoTimeToEpochMs, MAX_EPOCH_MS } from '../validation/lms-time';
import { validateEventData } from '../validation/validate-event-data';
import { scanLmsJson, type DataTextSpans } from './scan-lms-json';
import { unstorableTextProblem } from './unstorable-text';

export type ParseErrorCode =
  | 'MESSAGE_TOO_LARGE'
  | 'INVALID_UTF8'
  | 'NESTING_TOO_DEEP'
  | 'NOT_JSON'
  | 'NOT_AN_OBJECT'
  | 'ACCOUNT_ID_MISSING'
  | 'ACCOUNT_ID_INVALID'
  | 'UNKNOWN_EVENT'
  | 'UNSTORABLE_TEXT'
  | 'SCHEMA_INVALID'
  | 'EMPTY_ENVELOPE'
  | 'ENVELOPE_TOO_LARGE'
  | 'EMPTY_MESSAGE';

export type ParsedLmsMessage =
  | { ok: true; events: ReceivedLmsEvent[] }
  | { ok: false; code: ParseErrorCode; message: string; errors: FieldError[] };

type FieldIssueCode = Extract<
  ParseErrorCode,
  | 'ACCOUNT_ID_MISSING'
  | 'ACCOUNT_ID_INVALID'
  | 'EMPTY_ENVELOPE'
  | 'ENVELOPE_TOO_LARGE'
  | 'UNKNOWN_EVENT'
  | 'UNSTORABLE_TEXT'
  | 'SCHEMA_INVALID'
>;

interface FieldIssue extends FieldError {
  code: FieldIssueCode;
}

// When one message has several problems, the code reported is the first of these that occurs: who the
// message belongs to matters most for triage, then its shape, then the content of single events.
const CODE_PRIORITY: readonly FieldIssueCode[] = [
  'ACCOUNT_ID_MISSING',
  'ACCOUNT_ID_INVALID',
  'EMPTY_ENVELOPE',
  'ENVELOPE_TOO_LARGE',
  'UNKNOWN_EVENT',
  'UNSTORABLE_TEXT',
  'SCHEMA_INVALID',
];

/**
 * Limits checked before any work that grows with the record: a record value above MAX_MESSAGE_BYTES
 * is not decoded at all, and nesting deeper than MAX_NESTING_DEPTH (the envelope's own three levels
 * included) is refused by a flat scan before JSON.parse, so nothing recursive ever sees it.
 */
export const MAX_MESSAGE_BYTES = 1024 * 1024;
export const MAX_NESTING_DEPTH = 32;
const MAX_ENVELOPE_EVENTS = 1000;
// A dead-letter headline stays readable whatever the record held (a 100 KB field name, say).
const MAX_REASON_LENGTH = 500;
// Fatal: invalid UTF-8 is refused, never silently turned into U+FFFD and stored.
const UTF8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });
const MAX_EVENT_ID_LENGTH = 128;
const MAX_EVENT_INFO_LENGTH = 1024;

// Top-level fields are closed (a typo such as `eventname` must not slip through as "missing");
// `data` stays open because the LMS may add fields receivers want.
const EVENT_FIELDS: ReadonlySet<string> = new Set([
  'accountId',
  'eventId',
  'eventName',
  'timestamp',
  'eventInfo',
  'data',
]);
const ENVELOPE_FIELDS: ReadonlySet<string> = new Set(['accountId', 'events']);

const hasOwn = (object: object, key: string): boolean => Object.prototype.hasOwnProperty.call(object, key);

/**
 * Parses one Kafka message value from the LMS: a single event or an envelope `{accountId, events}`.
 * All-or-nothing: an envelope with any invalid event is rejected whole, with every problem listed, so
 * the dead-letter record explains the whole message. Pure and synchronous; runs once per message.
 */
export function parseLmsMessage(value: Buffer | null): ParsedLmsMessage {
  if (value === null || value.length === 0) {
    return failure('EMPTY_MESSAGE', 'message value is empty (a null or zero-length Kafka value)', []);
  }
  if (value.length > MAX_MESSAGE_BYTES) {
    return failure(
      'MESSAGE_TOO_LARGE',
      `message value is ${value.length} bytes; at most ${MAX_MESSAGE_BYTES} are accepted`,
      [],
    );
  }
  let text: string;
  try {
    text = UTF8.decode(value);
  } catch {
    return failure('INVALID_UTF8', 'message value is not valid UTF-8', []);
  }
  const scan = scanLmsJson(text, MAX_NESTING_DEPTH);
  if (scan.kind === 'too-deep') {
    return failure(
      'NESTING_TOO_DEEP',
      `message value nests deeper than ${MAX_NESTING_DEPTH} levels of objects and arrays`,
      [],
    );
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (error) {
    return failure('NOT_JSON', `message value is not valid JSON: ${(error as Error).message}`, []);
  }
  if (scan.kind !== 'scanned') {
    // JSON.parse accepted what the scan could not follow: the scan has a gap, and `data` would have no
    // source text. Refuse loudly rather than guess.
    return failure('NOT_JSON', 'message value could not be scanned', []);
  }
  if (!isJsonObject(parsed)) {
    return failure(
      'NOT_AN_OBJECT',
      `message value must be a JSON object, got ${describeJsonType(parsed)}`,
      [],
    );
  }
  return hasOwn(parsed, 'events')
    ? parseEnvelope(parsed, scan.dataText)
    : parseSingleEvent(parsed, scan.dataText);
}

function parseSingleEvent(raw: Record<string, unknown>, dataText: DataTextSpans): ParsedLmsMessage {
  const issues: FieldIssue[] = [];
  const accountId = checkAccountId(raw.accountId, 'accountId', issues);
  const event = parseEvent(raw, '', accountId, dataText.single, issues);
  return issues.length > 0 || event === undefined ? rejection(issues) : { ok: true, events: [event] };
}

function parseEnvelope(raw: Record<string, unknown>, dataText: DataTextSpans): ParsedLmsMessage {
  const issues: FieldIssue[] = [];
  rejectUnknownFields(raw, ENVELOPE_FIELDS, '', 'an envelope holds only accountId and events', issues);
  const accountId = checkAccountId(raw.accountId, 'accountId', issues);

  const rawEvents = raw.events;
  if (!Array.isArray(rawEvents)) {
    issues.push({ code: 'SCHEMA_INVALID', field: 'events', message: 'must be an array of events' });
    return rejection(issues);
  }
  if (rawEvents.length === 0) {
    issues.push({ code: 'EMPTY_ENVELOPE', field: 'events', message: 'must hold at least one event' });
    return rejection(issues);
  }
  if (rawEvents.length > MAX_ENVELOPE_EVENTS) {
    // Checked before the events so an oversized message cannot buy unbounded validation work.
    issues.push({
      code: 'ENVELOPE_TOO_LARGE',
      field: 'events',
      message: `must hold at most ${MAX_ENVELOPE_EVENTS} events (got ${rawEvents.length})`,
    });
    return rejection(issues);
  }

  const events: ReceivedLmsEvent[] = [];
  const seenEventIds = new Set<string>();
  for (let index = 0; index < rawEvents.length; index++) {
    const prefix = `events[${index}].`;
    const rawEvent: unknown = rawEvents[index];
    if (!isJsonObject(rawEvent)) {
      issues.push({ code: 'SCHEMA_INVALID', field: `events[${index}]`, message: 'must be a JSON object' });
      continue;
    }
    checkEventAccountId(rawEvent.accountId, accountId, `${prefix}accountId`, issues);
    const event = parseEvent(rawEvent, prefix, accountId, dataText.byEventIndex.get(index), issues);
    // The LMS may repeat an event in one envelope; receivers de-duplicate on eventId, so keep the first.
    if (event !== undefined && !seenEventIds.has(event.eventId)) {
      seenEventIds.add(event.eventId);
      events.push(event);
    }
  }
  return issues.length > 0 ? rejection(issues) : { ok: true, events };
}

/** Checks the event's own fields; returns the event only when it is valid and accountId is known. */
function parseEvent(
  raw: Record<string, unknown>,
  prefix: string,
  accountId: number | undefined,
  dataJson: string | undefined,
  issues: FieldIssue[],
): ReceivedLmsEvent | undefined {
  const issuesBefore = issues.length;
  rejectUnknownFields(raw, EVENT_FIELDS, prefix, 'not part of an LMS event', issues);

  const eventId = raw.eventId;
  if (typeof eventId !== 'string' || eventId.length === 0 || eventId.length > MAX_EVENT_ID_LENGTH) {
    issues.push(
      schemaIssue(
        `${prefix}eventId`,
        eventId,
        `a non-empty string of at most ${MAX_EVENT_ID_LENGTH} characters`,
      ),
    );
  } else {
    checkStorableText(eventId, `${prefix}eventId`, issues);
  }

  const eventName = raw.eventName;
  const definition = typeof eventName === 'string' ? findEventType(eventName) : undefined;
  if (typeof eventName !== 'string') {
    issues.push(schemaIssue(`${prefix}eventName`, eventName, 'a string'));
  } else if (definition === undefined) {
    issues.push({
      code: 'UNKNOWN_EVENT',
      field: `${prefix}eventName`,
      message: `"${eventName}" is not in the event catalogue`,
    });
  }

  const timestamp = toEpochMs(raw.timestamp);
  if (timestamp === undefined) {
    issues.push(
      schemaIssue(
        `${prefix}timestamp`,
        raw.timestamp,
        'epoch milliseconds (an integer) or an ISO-8601 string',
      ),
    );
  }

  // null is read as absent: producers that serialise every field write `"eventInfo": null`.
  const eventInfo = raw.eventInfo ?? '';
  if (typeof eventInfo !== 'string' || eventInfo.length > MAX_EVENT_INFO_LENGTH) {
    issues.push(
      schemaIssue(`${prefix}eventInfo`, eventInfo, `a string of at most ${MAX_EVENT_INFO_LENGTH} characters`),
    );
  } else {
    checkStorableText(eventInfo, `${prefix}eventInfo`, issues);
  }

  const data = raw.data;
  if (definition !== undefined) {
    for (const error of validateEventData(definition.name, data)) {
      issues.push({ code: 'SCHEMA_INVALID', field: prefix + error.field, message: error.message });
    }
  } else if (!isJsonObject(data)) {
    issues.push(schemaIssue(`${prefix}data`, data, 'a JSON object'));
  }

  if (issues.length > issuesBefore || accountId === undefined || definition === undefined) return undefined;
  if (dataJson === undefined) {
    // Unreachable while the scan and JSON.parse agree; if they ever do not, say so instead of storing
    // a re-serialised copy that would differ from what the LMS produced.
    issues.push({
      code: 'SCHEMA_INVALID',
      field: `${prefix}data`,
      message: 'source text could not be located',
    });
    return undefined;
  }
  return {
    accountId,
    eventId: eventId as string,
    eventName: definition.name,
    realtime: definition.realtime,
    timestamp: timestamp as number,
    eventInfo: eventInfo as string,
    data: data as Record<string, unknown>,
    dataJson,
  };
}

function checkAccountId(value: unknown, field: string, issues: FieldIssue[]): number | undefined {
  if (value === undefined) {
    issues.push({ code: 'ACCOUNT_ID_MISSING', field, message: 'is required' });
    return undefined;
  }
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value <= 0) {
    issues.push({
      code: 'ACCOUNT_ID_INVALID',
      field,
      message: `must be a positive integer number (got ${preview(value)})`,
    });
    return undefined;
  }
  return value;
}

/** An event inside an envelope may omit accountId or repeat the envelope's; anything else is an error. */
function checkEventAccountId(
  value: unknown,
  envelopeAccountId: number | undefined,
  field: string,
  issues: FieldIssue[],
): void {
  if (value === undefined) return;
  if (envelopeAccountId === undefined) {
    checkAccountId(value, field, issues);
  } else if (value !== envelopeAccountId) {
    issues.push({
      code: 'ACCOUNT_ID_INVALID',
      field,
      message: `must match the envelope accountId ${envelopeAccountId} (got ${preview(value)})`,
    });
  }
}

/** eventId and eventInfo are stored as Postgres text, which holds neither NUL nor lone surrogates. */
function checkStorableText(value: string, field: string, issues: FieldIssue[]): void {
  const problem = unstorableTextProblem(value);
  if (problem !== undefined) issues.push({ code: 'UNSTORABLE_TEXT', field, message: problem });
}

function rejectUnknownFields(
  raw: Record<string, unknown>,
  allowed: ReadonlySet<string>,
  prefix: string,
  why: string,
  issues: FieldIssue[],
): void {
  for (const key of Object.keys(raw)) {
    if (!allowed.has(key)) {
      issues.push({
        code: 'SCHEMA_INVALID',
        field: prefix + key,
        message: `is not an allowed field (${why})`,
      });
    }
  }
}

function toEpochMs(value: unknown): number | undefined {
  if (typeof value === 'number') {
    return Number.isSafeInteger(value) && value >= 0 && value <= MAX_EPOCH_MS ? value : undefined;
  }
  return typeof value === 'string' ? isoTimeToEpochMs(value) : undefined;
}

function schemaIssue(field: string, value: unknown, expectation: string): FieldIssue {
  return {
    code: 'SCHEMA_INVALID',
    field,
    message: value === undefined ? 'is required' : `must be ${expectation}`,
  };
}

function rejection(issues: FieldIssue[]): ParsedLmsMessage {
  const code =
    CODE_PRIORITY.find((candidate) => issues.some((issue) => issue.code === candidate)) ?? 'SCHEMA_INVALID';
  const headline = issues.find((issue) => issue.code === code);
  const more = issues.length - 1;
  const message =
    headline === undefined
      ? 'message is invalid'
      : `${headline.field}: ${headline.message}${more > 0 ? ` (and ${more} more problem${more > 1 ? 's' : ''})` : ''}`;
  return failure(
    code,
    message,
    issues.map(({ field, message: text }) => ({ field, message: text })),
  );
}

function failure(code: ParseErrorCode, message: string, errors: FieldError[]): ParsedLmsMessage {
  const reason = message.length > MAX_REASON_LENGTH ? `${message.slice(0, MAX_REASON_LENGTH)}…` : message;
  return { ok: false, code, message: reason, errors };
}

function describeJsonType(value: unknown): string {
  if (value === null) return 'null';
  return Array.isArray(value) ? 'an array' : `a ${typeof value}`;
}

/** A short, flat rendering for error messages: never walks into objects or arrays. */
function preview(value: unknown): string {
  if (value === null || typeof value !== 'object') {
    const text = typeof value === 'string' ? JSON.stringify(value.slice(0, 41)) : String(value);
    return text.length > 40 ? `${text.slice(0, 40)}…` : text;
  }
  return Array.isArray(value) ? `an array of ${value.length}` : 'an object';
}
