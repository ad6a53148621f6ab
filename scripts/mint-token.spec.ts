import { ttlProblem } from './mint-token';

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
