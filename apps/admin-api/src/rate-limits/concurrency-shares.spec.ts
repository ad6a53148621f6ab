import { ConcurrencyShares } from './concurrency-shares';

describe('ConcurrencyShares', () => {
  it('gives one account at most its share, and leaves the rest of the capacity to the others', () => {
    const shares = new ConcurrencyShares(3, 2);
    const first = shares.tryAcquire(1);
    const second = shares.tryAcquire(1);
    expect(typeof first).toBe('function');
    expect(typeof second).toBe('function');
    expect(shares.tryAcquire(1)).toBe('ACCOUNT_SHARE');
    expect(typeof shares.tryAcquire(2)).toBe('function');
    // Capacity is used up: another account is refused for capacity, not for its share.
    expect(shares.tryAcquire(3)).toBe('CAPACITY');
    expect(shares.held()).toBe(3);
    expect(shares.held(1)).toBe(2);
  });

  it('frees a slot on release, once, however often release is called', () => {
    const shares = new ConcurrencyShares(2, 1);
    const release = shares.tryAcquire(7);
    if (typeof release !== 'function') throw new Error('expected a slot');
    expect(shares.tryAcquire(7)).toBe('ACCOUNT_SHARE');
    release();
    release();
    expect(shares.held()).toBe(0);
    expect(shares.held(7)).toBe(0);
    const again = shares.tryAcquire(7);
    expect(typeof again).toBe('function');
    expect(shares.held()).toBe(1);
  });
});
