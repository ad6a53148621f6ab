import type { ParsedLmsMessage, ParseErrorCode } from './parse-lms-message';
import { MAX_MESSAGE_BYTES, MAX_NESTING_DEPTH, parseLmsMessage } from './parse-lms-message';
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

      expect(parseOk(event).events).toEqual([
        { ...event, realtime: false, dataJson: JSON.stringify(event.data) },
      ]);
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
      [
        'MESSAGE_TOO_LARGE',
        'a value over 1 MiB',
        kafkaValue(wireEvent('CI_STATS', { eventInfo: 'i'.repeat(MAX_MESSAGE_BYTES) })),
        /^message value is \d+ bytes; at most 1048576 are accepted$/,
      ],
      [
        'INVALID_UTF8',
        'bytes that are not UTF-8',
        Buffer.concat([
          Buffer.from('{"accountId":1010,"eventInfo":"'),
          Buffer.from([0xc3, 0x28]),
          Buffer.from('"}'),
        ]),
        /^message value is not valid UTF-8$/,
      ],
      [
        'NESTING_TOO_DEEP',
        'accountId nested 10,000 levels deep',
        Buffer.from(`{"accountId":${'['.repeat(10_000)}${']'.repeat(10_000)}}`),
        /^message value nests deeper than 32 levels/,
      ],
      [
        'UNSTORABLE_TEXT',
        'a NUL in eventId',
        kafkaValue(wireEvent('CI_STATS', { eventId: `abc\u0000def` })),
        /^eventId: contains a NUL character \(U\+0000\) at character 3, which cannot be stored$/,
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
        MESSAGE_TOO_LARGE: true,
        INVALID_UTF8: true,
        NESTING_TOO_DEEP: true,
        UNSTORABLE_TEXT: true,
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

  describe('data as the LMS produced it', () => {
    // The catalogue example's fields as JSON text, so each data below is valid CI_STATS data plus extras.
    const stats = JSON.stringify(wireEvent('CI_STATS').data).slice(1, -1);
    const eventText = (dataText: string) =>
      `{"accountId":1010,"eventId":"e-1","eventName":"CI_STATS","timestamp":1727414643000,"data":${dataText}}`;

    it.each([
      ['integers beyond 2^53', `{${stats},"big":12345678901234567890}`],
      ['1.0 and 1e3', `{${stats},"a":1.0,"b":1e3,"c":-0.0}`],
      ['\\u escapes', `{${stats},"s":"caf\\u00e9 \\ud83d\\ude00 \\u0000 \\/ \\ud800"}`],
      ['odd whitespace', `{ ${stats.replace(/,/g, ' ,\t')} ,\n  "x" : [ 1 ,2 ]\r\n}`],
    ])('keeps the exact source text of data with %s', (_label, dataText) => {
      const result = parseLmsMessage(Buffer.from(eventText(dataText)));
      if (!result.ok) throw new Error(`${result.code}: ${result.message}`);

      expect(result.events[0].dataJson).toBe(dataText);
    });

    it('takes each envelope event its own data text, in order, and the last of repeated keys as JSON.parse does', () => {
      const value =
        '{"accountId":1010,"events":[' +
        '{"eventId":"a","eventName":"CI_STATS","timestamp":1,"data":{' +
        stats +
        ',"n":1.50}},' +
        '{"data":{"ignored":true},"eventId":"b","eventName":"CI_STATS","timestamp":2,"data":{' +
        stats +
        ',"n":2e0}}' +
        ']}';
      const result = parseLmsMessage(Buffer.from(value));
      if (!result.ok) throw new Error(`${result.code}: ${result.message}`);

      expect(result.events.map((event) => event.dataJson)).toEqual([
        `{${stats},"n":1.50}`,
        `{${stats},"n":2e0}`,
      ]);
    });

    it('refuses an extra field nested 10,000 levels deep inside otherwise valid data, before parsing it', () => {
      const deep = `{${stats},"x":${'{"a":'.repeat(10_000)}1${'}'.repeat(10_000)}}`;

      expect(parseFailure(Buffer.from(eventText(deep))).code).toBe('NESTING_TOO_DEEP');
    });

    it(`accepts nesting up to ${MAX_NESTING_DEPTH} levels, the event's own level included`, () => {
      const levels = MAX_NESTING_DEPTH - 2; // the event object and data itself
      const nested = `${'{"a":'.repeat(levels)}1${'}'.repeat(levels)}`;
      const result = parseLmsMessage(Buffer.from(eventText(`{${stats},"x":${nested}}`)));

      expect(result.ok).toBe(true);
      expect(parseFailure(Buffer.from(eventText(`{${stats},"x":{"b":${nested}}}`))).code).toBe(
        'NESTING_TOO_DEEP',
      );
    });

    it('flags a lone surrogate in eventInfo as unstorable text', () => {
      const result = parseFailure(kafkaValue(wireEvent('CI_STATS', { eventInfo: 'x\ud800y' })));

      expect(result.code).toBe('UNSTORABLE_TEXT');
      expect(result.errors).toEqual([
        {
          field: 'eventInfo',
          message:
            'contains a lone UTF-16 surrogate (U+D800) at character 1, which is not valid Unicode text',
        },
      ]);
    });

    it('keeps error messages short whatever the record held', () => {
      const result = parseFailure(kafkaValue(wireEvent('CI_STATS', { ['k'.repeat(100_000)]: 1 })));

      expect(result.code).toBe('SCHEMA_INVALID');
      expect(result.message.length).toBeLessThanOrEqual(501);
    });
  });
});
