import { parseRetryAfter } from './retry-after';

describe('parseRetryAfter', () => {
  const now = Date.parse('2025-01-01T00:00:00Z');
  it('reads delta-seconds', () => expect(parseRetryAfter('120', now)).toBe(120_000));
  it('reads an HTTP date', () => expect(parseRetryAfter('Wed, 01 Jan 2025 00:00:30 GMT', now)).toBe(30_000));
  it('gives 0 for a date in the past', () =>
    expect(parseRetryAfter('Tue, 31 Dec 2024 23:00:00 GMT', now)).toBe(0));
  it.each([undefined, null, '', 'soon', '-5', '1.5'])('gives null for %p', (value) =>
    expect(parseRetryAfter(value, now)).toBeNull(),
  );
});
