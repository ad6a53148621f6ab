import { parseInstant } from './instant';

describe('parseInstant', () => {
  it.each([
    [1764300000000, 1764300000000],
    ['1764300000000', 1764300000000],
    ['2026-11-28T03:20:00Z', Date.UTC(2026, 10, 28, 3, 20)],
    ['2026-11-28T04:20:00+01:00', Date.UTC(2026, 10, 28, 3, 20)],
    ['2026-11-28', Date.UTC(2026, 10, 28)],
  ])('reads %p', (input, expected) => {
    expect(parseInstant(input)).toBe(expected);
  });

  it.each([
    null,
    true,
    1.5,
    1e300,
    '',
    'yesterday',
    '2026-13-01T00:00:00Z',
    '99999999999999999999',
    'x'.repeat(100),
    {},
  ])('refuses %p', (input) => {
    expect(parseInstant(input)).toBeUndefined();
  });
});
