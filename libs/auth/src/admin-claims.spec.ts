import { principalFromClaims } from './admin-claims';

const valid = { sub: 'alice', accountId: 1010, roles: ['INTEGRATION_ADMIN'], exp: 2_000_000_000 };

describe('principalFromClaims', () => {
  it('turns valid claims into a principal', () => {
    expect(principalFromClaims(valid)).toEqual({
      sub: 'alice',
      accountId: 1010,
      roles: ['INTEGRATION_ADMIN'],
    });
  });

  it.each([
    ['no exp', { ...valid, exp: undefined }],
    ['no sub', { ...valid, sub: undefined }],
    ['empty sub', { ...valid, sub: '' }],
    ['accountId 0', { ...valid, accountId: 0 }],
    ['negative accountId', { ...valid, accountId: -5 }],
    ['fractional accountId', { ...valid, accountId: 1.5 }],
    ['string accountId', { ...valid, accountId: '1010' }],
    ['roles not an array', { ...valid, roles: 'INTEGRATION_ADMIN' }],
    ['roles with a non-string', { ...valid, roles: ['INTEGRATION_ADMIN', 7] }],
    ['not an object', 'claims'],
  ])('refuses %s', (_label, claims) => {
    expect(principalFromClaims(claims)).toBeNull();
  });

  describe('with a lifetime cap', () => {
    const nowMs = 1_900_000_000_000;
    const now = nowMs / 1000;
    const cap = { maxLifetimeMs: 24 * 3600_000, nowMs };

    it('accepts a token expiring within the cap', () => {
      expect(principalFromClaims({ ...valid, iat: now, exp: now + 24 * 3600 }, cap)).not.toBeNull();
      expect(principalFromClaims({ ...valid, exp: now + 60 }, cap)).not.toBeNull();
    });

    it.each([
      ['exp: 1e300', { ...valid, exp: 1e300 }],
      ['exp a second past the cap', { ...valid, exp: now + 24 * 3600 + 1 }],
      ['iat-to-exp longer than the cap', { ...valid, iat: now - 30 * 3600, exp: now + 3600 }],
    ])('refuses %s', (_label, claims) => {
      expect(principalFromClaims(claims, cap)).toBeNull();
    });
  });
});
