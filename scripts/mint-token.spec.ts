import { consoleUrl, ttlProblem } from './mint-token';

describe('mint-token --ttl', () => {
  it('refuses a lifetime the admin API would refuse (24h by default), naming the limit', () => {
    expect(ttlProblem('7d', 7 * 86_400_000, {})).toMatch(
      /^--ttl 7d is longer than ADMIN_JWT_MAX_LIFETIME \(24h\): the admin API would refuse the token with 401/,
    );
    expect(ttlProblem('2h', 2 * 3_600_000, { ADMIN_JWT_MAX_LIFETIME: '1h' })).toMatch(/\(1h\)/);
  });

  it('accepts up to the limit', () => {
    expect(ttlProblem('24h', 86_400_000, {})).toBeNull();
    expect(ttlProblem('7d', 7 * 86_400_000, { ADMIN_JWT_MAX_LIFETIME: '30d' })).toBeNull();
  });
});

describe('mint-token --console', () => {
  it('puts the token in the fragment of the local console URL, on ADMIN_API_PORT (3000 by default)', () => {
    expect(consoleUrl('a.b.c', {})).toBe('http://127.0.0.1:3000/console#token=a.b.c');
    expect(consoleUrl('a.b.c', { ADMIN_API_PORT: '3100' })).toBe('http://127.0.0.1:3100/console#token=a.b.c');
  });

  it('prefers ADMIN_CONSOLE_URL, dropping any fragment it has', () => {
    expect(
      consoleUrl('a.b.c', { ADMIN_CONSOLE_URL: 'https://lms.example.com/console/#x', ADMIN_API_PORT: '1' }),
    ).toBe('https://lms.example.com/console/#token=a.b.c');
  });
});
