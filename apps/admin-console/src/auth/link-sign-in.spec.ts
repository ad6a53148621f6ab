import { linkSignIn } from './link-sign-in';
import { unsignedJwt } from './test-jwt.factory';

describe('linkSignIn', () => {
  const alice = unsignedJwt({ accountId: 1010, sub: 'alice', exp: 2_000_000_000 });
  const mallory = unsignedJwt({ accountId: 666, sub: 'mallory', exp: 2_000_000_000 });

  it('asks about a link token, naming its account and subject', () => {
    expect(linkSignIn(mallory, undefined)).toEqual({
      token: mallory,
      claims: { accountId: 666, subject: 'mallory' },
      replacing: undefined,
    });
  });

  it("names the tab's current sign-in that Continue would replace", () => {
    expect(linkSignIn(mallory, alice)).toEqual({
      token: mallory,
      claims: { accountId: 666, subject: 'mallory' },
      replacing: { accountId: 1010, subject: 'alice' },
    });
  });

  it('still asks about a token it cannot read, with no claims, so the person sees it cannot be used', () => {
    expect(linkSignIn('not-a-jwt', alice)).toEqual({
      token: 'not-a-jwt',
      claims: undefined,
      replacing: { accountId: 1010, subject: 'alice' },
    });
  });

  it('asks nothing without a link token, or when the link carries the token the tab already uses', () => {
    expect(linkSignIn(undefined, alice)).toBeUndefined();
    expect(linkSignIn(alice, alice)).toBeUndefined();
  });
});
