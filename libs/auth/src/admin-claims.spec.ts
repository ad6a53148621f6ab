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
});
