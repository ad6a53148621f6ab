import type { ParsedLmsMessage, ParseErrorCode } from './parse-lms-message';
import { parseLmsMessage } from './parse-lms-message';
import {
  envelope,
  envelopeEvent,
  kafkaValue,
  TEST_ACCOUNT_ID,
  wireEvent,
  withData,
  type WireObject,
} from '../testing/lms-message.factory';

type Failure = Extract<ParsedLmsMessage, { ok: false }>;
type Success = Extract<ParsedLmsMessage, { ok: true }>;

function parseOk(payload: unknown): Success {
  const result = parseLmsMessage(kafkaValue(payload));
  if (!result.ok) throw new Error(`expected success, got ${result.code}: ${result.message}`);
  return result;
}

function parseFailure(value: Buffer | null): Failure {
  const result = parseLmsMessage(value);
  if (result.ok) throw new Error('expected a rejection');
  return result;
}

describe('parseLmsMessage', () => {
  describe('a single event', () => {
    it('becomes one LmsEvent with the real-time flag from the catalogue', () => {
      const event = wireEvent('LEARNER_PROGRESS');

      expect(parseOk(event).events).toEqual([{ ...event, realtime: false }]);
    });

    it('returns data with the same content the LMS sent, unknown fields included, and leaves it unmutated', () => {
      const event = withData(wireEvent('COURSE_COMPLETED'), {
        score: 91,
        custom: { region: 'EMEA', ids: [1, 2] },
      });
      const [parsed] = parseOk(event).events;

      expect(parsed.data).toEqual(event.data);
      expect(Object.keys(parsed.data)).toEqual(Object.keys(event.data as WireObject));
    });

    it('defaults a missing or null eventInfo to ""', () => {
      const { eventInfo: _eventInfo, ...withoutInfo } = wireEvent();

      expect(parseOk(withoutInfo).events[0].eventInfo).toBe('');
      expect(parseOk({ ...withoutInfo, eventInfo: null }).events[0].eventInfo).toBe('');
    });

    it.each([
      ['UTC', '2024-09-27T05:24:03.123Z'],
      ['an offset', '2024-09-27T07:24:03.123+02:00'],
      ['no zone (read as UTC)', '2024-09-27T05:24:03.123'],
    ])('normalises an ISO-8601 timestamp with %s to epoch milliseconds', (_label, timestamp) => {
      expect(parseOk(wireEvent('COURSE_ENROLLMENT', { timestamp })).events[0].timestamp).toBe(
        Date.UTC(2024, 8, 27, 5, 24, 3, 123),
      );
    });

    it('keeps an epoch-milliseconds timestamp as is', () => {
      expect(parseOk(wireEvent('CI_STATS', { timestamp: 1727414643000 })).events[0].timestamp).toBe(
        1727414643000,
      );
    });

    it('accepts any non-empty eventId up to 128 characters, not only UUIDs', () => {
      expect(parseOk(wireEvent('CI_STATS', { eventId: 'x'.repeat(128) })).events[0].eventId).toHaveLength(
        128,
      );
    });
  });

  describe('an envelope', () => {
    it('yields its events in order, each carrying the envelope accountId', () => {
      const events = [
        envelopeEvent('COURSE_ENROLLMENT'),
        envelopeEvent('CI_STATS'),
        envelopeEvent('LEARNER_PROGRESS'),
      ];
      const parsed = parseOk(envelope(events)).events;

      expect(parsed.map((event) => [event.accountId, event.eventName, event.eventId])).toEqual(
        events.map((event) => [TEST_ACCOUNT_ID, event.eventName, event.eventId]),
      );
    });

    it('accepts events that repeat the envelope accountId', () => {
      const parsed = parseOk(envelope([envelopeEvent('CI_STATS', { accountId: TEST_ACCOUNT_ID })]));
      expect(parsed.events[0].accountId).toBe(TEST_ACCOUNT_ID);
    });

    it('keeps the first of events sharing an eventId', () => {
      const first = envelopeEvent('COURSE_ENROLLMENT', { eventId: 'dup-1' });
      const repeat = envelopeEvent('COURSE_COMPLETED', { eventId: 'dup-1' });
      const other = envelopeEvent('CI_STATS');

      const parsed = parseOk(envelope([first, repeat, other])).events;

      expect(parsed.map((event) => [event.eventId, event.eventName])).toEqual([
        ['dup-1', 'COURSE_ENROLLMENT'],
        [other.eventId, 'CI_STATS'],
      ]);
    });

    it('accepts 1000 events', () => {
      const events = Array.from({ length: 1000 }, () => envelopeEvent('CI_STATS'));
      expect(parseOk(envelope(events)).events).toHaveLength(1000);
    });

    it('rejects the whole envelope when one event is bad, naming its index and field', () => {
      const events = [envelopeEvent(), envelopeEvent(), withData(envelopeEvent(), { userId: 'abc' })];
      const result = parseFailure(kafkaValue(envelope(events)));

      expect(result).toEqual({
        ok: false,
        code: 'SCHEMA_INVALID',
        message: 'events[2].data.userId: must be a positive integer',
        errors: [{ field: 'events[2].data.userId', message: 'must be a positive integer' }],
      });
    });

    it('lists every problem across events and counts the rest in the message', () => {
      const events = [
        withData(envelopeEvent(), { loType: 'video' }),
        envelopeEvent('CI_STATS', { eventId: '' }),
      ];
      const result = parseFailure(kafkaValue(envelope(events)));

      expect(result.errors).toEqual([
        {
          field: 'events[0].data.loType',
          message: 'must be one of course, learningProgram, certification, jobAid',
        },
        { field: 'events[1].eventId', message: 'must be a non-empty string of at most 128 characters' },
      ]);
      expect(result.message).toBe(
        'events[0].data.loType: must be one of course, learningProgram, certification, jobAid (and 1 more problem)',
      );
    });

    it('rejects an event whose accountId differs from the envelope', () => {
      const result = parseFailure(
        kafkaValue(envelope([envelopeEvent(), envelopeEvent('CI_STATS', { accountId: 2020 })])),
      );

      expect(result.code).toBe('ACCOUNT_ID_INVALID');
      expect(result.message).toBe(
        `events[1].accountId: must match the envelope accountId ${TEST_ACCOUNT_ID} (got 2020)`,
      );
    });

    it('rejects an event that is not an object', () => {
      const result = parseFailure(kafkaValue(envelope([envelopeEvent(), 'COURSE_ENROLLMENT'])));
      expect(result.errors).toEqual([{ field: 'events[1]', message: 'must be a JSON object' }]);
    });
  });

  describe('top-level fields are closed, data is open', () => {
    it('rejects an unknown field on an event', () => {
      const result = parseFailure(kafkaValue(wireEvent('CI_STATS', { eventname: 'CI_STATS' })));

      expect(result.code).toBe('SCHEMA_INVALID');
      expect(result.errors).toEqual([
        { field: 'eventname', message: 'is not an allowed field (not part of an LMS event)' },
      ]);
    });

    it('rejects an unknown field on an envelope and on an event inside it', () => {
      const result = parseFailure(
        kafkaValue(envelope([envelopeEvent('CI_STATS', { source: 'lms' })], { version: 2 })),
      );

      expect(result.errors.map((error) => error.field)).toEqual(['version', 'events[0].source']);
    });

    it('lets unknown fields inside data through', () => {
      const event = withData(wireEvent('CI_STATS'), { source: 'lms', version: 2 });
      expect(parseOk(event).events[0].data).toMatchObject({ source: 'lms', version: 2 });
    });
  });

  describe('rejects each kind of bad message with its code', () => {
    const cases: [ParseErrorCode, string, Buffer | null, RegExp][] = [
      ['EMPTY_MESSAGE', 'a null value (tombstone)', null, /empty/],
      ['EMPTY_MESSAGE', 'a zero-length value', Buffer.alloc(0), /empty/],
      ['NOT_JSON', 'truncated JSON', Buffer.from('{"accountId":1010,"events":['), /not valid JSON/],
      ['NOT_JSON', 'plain text', Buffer.from('COURSE_ENROLLMENT for 4279332'), /not valid JSON/],
      ['NOT_AN_OBJECT', 'a JSON array', kafkaValue([wireEvent()]), /got an array/],
      ['NOT_AN_OBJECT', 'a JSON string', kafkaValue('hello'), /got a string/],
      ['NOT_AN_OBJECT', 'JSON null', Buffer.from('null'), /got null/],
      [
        'ACCOUNT_ID_MISSING',
        'an event without accountId',
        kafkaValue(wireEvent('CI_STATS', { accountId: undefined })),
        /^accountId: is required$/,
      ],
      [
        'ACCOUNT_ID_MISSING',
        'an envelope without accountId',
        kafkaValue(envelope([envelopeEvent()], { accountId: undefined })),
        /^accountId: is required$/,
      ],
      [
        'ACCOUNT_ID_INVALID',
        'a numeric-string accountId',
        kafkaValue(wireEvent('CI_STATS', { accountId: '1010' })),
        /^accountId: must be a positive integer number \(got "1010"\)$/,
      ],
      [
        'ACCOUNT_ID_INVALID',
        'a zero accountId',
        kafkaValue(envelope([envelopeEvent()], { accountId: 0 })),
        /^accountId: must be a positive integer/,
      ],
      [
        'ACCOUNT_ID_INVALID',
        'an unsafe-integer accountId',
        Buffer.from(`{"accountId":9007199254740993,"events":[${JSON.stringify(envelopeEvent())}]}`),
        /^accountId: must be a positive integer/,
      ],
      [
        'UNKNOWN_EVENT',
        'an event name outside the catalogue',
        kafkaValue(wireEvent('CI_STATS', { eventName: 'COURSE_ENROLMENT' })),
        /^eventName: "COURSE_ENROLMENT" is not in the event catalogue$/,
      ],
      [
        'SCHEMA_INVALID',
        'an event without data',
        kafkaValue(wireEvent('CI_STATS', { data: undefined })),
        /^data: is required$/,
      ],
      [
        'SCHEMA_INVALID',
        'a garbage timestamp',
        kafkaValue(wireEvent('CI_STATS', { timestamp: 'now' })),
        /^timestamp: must be epoch milliseconds \(an integer\) or an ISO-8601 string$/,
      ],
      [
        'SCHEMA_INVALID',
        'a fractional timestamp',
        kafkaValue(wireEvent('CI_STATS', { timestamp: 1727414643000.5 })),
        /^timestamp: must be epoch milliseconds/,
      ],
      [
        'SCHEMA_INVALID',
        'a 129-character eventId',
        kafkaValue(wireEvent('CI_STATS', { eventId: 'x'.repeat(129) })),
        /^eventId: must be a non-empty string of at most 128 characters$/,
      ],
      [
        'SCHEMA_INVALID',
        'a numeric eventName',
        kafkaValue(wireEvent('CI_STATS', { eventName: 7 })),
        /^eventName: must be a string$/,
      ],
      [
        'SCHEMA_INVALID',
        'an over-long eventInfo',
        kafkaValue(wireEvent('CI_STATS', { eventInfo: 'i'.repeat(1025) })),
        /^eventInfo: must be a string of at most 1024 characters$/,
      ],
      [
        'SCHEMA_INVALID',
        'data that is an array',
        kafkaValue(wireEvent('CI_STATS', { data: [] })),
        /^data: must be a JSON object$/,
      ],
      [
        'SCHEMA_INVALID',
        'events that is not an array',
        kafkaValue(envelope([], { events: { 0: envelopeEvent() } })),
        /^events: must be an array of events$/,
      ],
      [
        'EMPTY_ENVELOPE',
        'an envelope with no events',
        kafkaValue(envelope([])),
        /^events: must hold at least one event$/,
      ],
      [
        'ENVELOPE_TOO_LARGE',
        'an envelope with 1001 events',
        kafkaValue(envelope(Array.from({ length: 1001 }, () => envelopeEvent('CI_STATS')))),
        /^events: must hold at most 1000 events \(got 1001\)$/,
      ],
    ];

    it.each(cases)('%s for %s', (code, _label, value, message) => {
      const result = parseFailure(value);

      expect(result.code).toBe(code);
      expect(result.message).toMatch(message);
    });

    it('covers every ParseErrorCode', () => {
      const all: Record<ParseErrorCode, true> = {
        NOT_JSON: true,
        NOT_AN_OBJECT: true,
        ACCOUNT_ID_MISSING: true,
        ACCOUNT_ID_INVALID: true,
        UNKNOWN_EVENT: true,
        SCHEMA_INVALID: true,
        EMPTY_ENVELOPE: true,
        ENVELOPE_TOO_LARGE: true,
        EMPTY_MESSAGE: true,
      };
      expect(new Set(cases.map(([code]) => code))).toEqual(new Set(Object.keys(all)));
    });
  });

  it('reports the account problem first when a message has several', () => {
    const result = parseFailure(
      kafkaValue(wireEvent('CI_STATS', { accountId: -1, eventName: 'NOPE', timestamp: 'x' })),
    );

    expect(result.code).toBe('ACCOUNT_ID_INVALID');
    expect(result.errors.map((error) => error.field)).toEqual(['accountId', 'eventName', 'timestamp']);
    expect(result.message).toBe(
      'accountId: must be a positive integer number (got -1) (and 2 more problems)',
    );
  });
});
