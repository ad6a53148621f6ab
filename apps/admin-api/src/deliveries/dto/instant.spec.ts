import { MAX_INSTANT_MS, parseInstant, toInstant } from './instant';

describe('parseInstant', () => {
  it.each([
    [1764300000000, 1764300000000],
    ['1764300000000', 1764300000000],
    [0, 0],
    [MAX_INSTANT_MS, MAX_INSTANT_MS],
    ['2026-11-28T03:20:00Z', Date.UTC(2026, 10, 28, 3, 20)],
    ['2026-11-28T04:20:00+01:00', Date.UTC(2026, 10, 28, 3, 20)],
    ['2026-11-28', Date.UTC(2026, 10, 28)],
    // No zone means UTC, whatever the host's zone is (Date.parse would use the host's).
    ['2026-11-28T03:20:00', Date.UTC(2026, 10, 28, 3, 20)],
    ['2024-02-29', Date.UTC(2024, 1, 29)],
    ['9999-12-31T23:59:59.999Z', MAX_INSTANT_MS],
  ])('reads %p', (input, expected) => {
    expect(parseInstant(input)).toBe(expected);
  });

  it.each([
    null,
    true,
    1.5,
    1e300,
    1e19,
    2 ** 63,
    -1,
    -8_640_000_000_000_000,
    '-8640000000000000',
    MAX_INSTANT_MS + 1,
    '',
    'yesterday',
    '2026-13-01T00:00:00Z',
    // Date.parse rolls these over into the next month.
    '2024-02-30',
    '2023-02-29',
    '2026-04-31T00:00:00Z',
    '99999999999999999999',
    'x'.repeat(100),
    {},
  ])('refuses %p', (input) => {
    expect(parseInstant(input)).toBeUndefined();
  });
});

describe('toInstant', () => {
  it('turns what is not an instant into NaN, which @IsInt refuses (1e19 is an integer, but no instant)', () => {
    expect(toInstant({ value: 1e19 })).toBeNaN();
    expect(toInstant({ value: '2024-02-30' })).toBeNaN();
    expect(toInstant({ value: '2026-11-28' })).toBe(Date.UTC(2026, 10, 28));
    expect(toInstant({ value: undefined })).toBeUndefined();
  });
});
