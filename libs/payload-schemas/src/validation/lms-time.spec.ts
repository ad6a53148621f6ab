import { isLmsTime, isoTimeToEpochMs } from './lms-time';

describe('isLmsTime', () => {
  it.each([
    ['epoch seconds', 1727414643],
    ['epoch milliseconds', 1727414643000],
    ['fractional epoch seconds', 1727414643.25],
    ['ISO date-time in UTC', '2024-09-27T05:24:03Z'],
    ['ISO date-time with milliseconds', '2024-09-27T05:24:03.123Z'],
    ['ISO date-time with an offset', '2024-09-27T10:54:03+05:30'],
    ['ISO date-time with a compact offset', '2024-09-27T10:54:03+0530'],
    ['ISO date-time without a zone', '2024-09-27T05:24:03'],
    ['ISO date', '2024-09-27'],
  ])('accepts %s', (_label, value) => {
    expect(isLmsTime(value)).toBe(true);
  });

  it.each([
    ['a word', 'yesterday'],
    ['an empty string', ''],
    ['an impossible date', '2024-02-30'],
    ['an impossible hour', '2024-09-27T25:00:00Z'],
    ['a numeric string', '1727414643'],
    ['a US-style date', '09/27/2024'],
    ['a negative number', -1],
    ['a number beyond the Date range', 9e15],
    ['Infinity', Number.POSITIVE_INFINITY],
    ['NaN', Number.NaN],
    ['a boolean', true],
    ['null', null],
    ['an object', { seconds: 1727414643 }],
  ])('rejects %s', (_label, value) => {
    expect(isLmsTime(value)).toBe(false);
  });
});

describe('isoTimeToEpochMs', () => {
  const instant = Date.UTC(2024, 8, 27, 5, 24, 3, 123);

  it.each([
    ['2024-09-27T05:24:03.123Z', instant],
    ['2024-09-27T10:54:03.123+05:30', instant],
    ['2024-09-26T23:24:03.123-06:00', instant],
    ['2024-09-27T05:24:03.123456789Z', instant],
    // Zone-less date-times are read as UTC so every replica computes the same instant.
    ['2024-09-27T05:24:03.123', instant],
    ['2024-09-27', Date.UTC(2024, 8, 27)],
    ['2024-02-29', Date.UTC(2024, 1, 29)],
  ])('reads %s', (text, expected) => {
    expect(isoTimeToEpochMs(text)).toBe(expected);
  });

  it.each([
    '2023-02-29',
    '2024-13-01',
    '2024-09-27T05:60:00Z',
    '2024-09-27T05:24:03+25:00',
    '2024-09-27 05:24:03',
  ])('refuses %s', (text) => {
    expect(isoTimeToEpochMs(text)).toBeUndefined();
  });
});
