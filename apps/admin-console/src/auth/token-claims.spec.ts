import { unsignedJwt } from './test-jwt.factory';
import { readTokenClaims } from './token-claims';

describe('readTokenClaims', () => {
  const exp = 2_000_000_000;

  it("reads the account and subject of an admin token's payload", () => {
    const token = unsignedJwt({ accountId: 1010, sub: 'alice', roles: ['INTEGRATION_ADMIN'], exp });
    expect(readTokenClaims(token)).toEqual({ accountId: 1010, subject: 'alice' });
  });

  it('reads UTF-8 subjects and base64url payloads (the - and _ alphabet)', () => {
    expect(readTokenClaims(unsignedJwt({ accountId: 7, sub: '张伟', exp }))).toEqual({
      accountId: 7,
      subject: '张伟',
    });
    // "??>" encodes to "Pz8-" in base64url: the decoder must not need + and /.
    expect(readTokenClaims(unsignedJwt({ accountId: 7, sub: '??>??', exp }))?.subject).toBe('??>??');
  });

  it('finds nothing in what is not a JWT, or whose payload is not JSON', () => {
    for (const token of ['', 'abc', 'a.b', 'a.b.c.d', 'x.%%%.y', 'x.bm90IGpzb24.y', 'x.!!.y'])
      expect([token, readTokenClaims(token)]).toEqual([token, undefined]);
  });

  it('finds nothing when the account or subject is missing or malformed, as the API refuses those', () => {
    const payloads = [
      { sub: 'alice', exp },
      { accountId: '1010', sub: 'alice', exp },
      { accountId: 0, sub: 'alice', exp },
      { accountId: -3, sub: 'alice', exp },
      { accountId: 1.5, sub: 'alice', exp },
      { accountId: 2 ** 53, sub: 'alice', exp },
      { accountId: 1010, exp },
      { accountId: 1010, sub: '', exp },
      { accountId: 1010, sub: 42, exp },
      { accountId: 1010, sub: 'a'.repeat(256), exp },
      [1010, 'alice'],
      'alice',
      null,
    ];
    for (const payload of payloads)
      expect([payload, readTokenClaims(unsignedJwt(payload))]).toEqual([payload, undefined]);
  });

  it('shows invisible and reordering characters of a subject as code points, so no subject passes for another', () => {
    const token = unsignedJwt({ accountId: 1010, sub: 'mallory\u202Eecila\u0000\u200B\u{E0041}', exp });
    expect(readTokenClaims(token)?.subject).toBe('malloryU+202EecilaU+0000U+200BU+E0041');
  });
});
