import { AccountFairShare, accountSlotsPerDispatcher, type AccountSlot } from './account-fair-share';

const NOISY = 1;
const QUIET = 2;

function fairShare(
  options: Partial<ConstructorParameters<typeof AccountFairShare>[0]> = {},
  clock = { now: 0 },
  random = () => 0.5,
) {
  return new AccountFairShare(
    { slotsPerAccount: 3, minDeferralMs: 50, maxDeferralMs: 1_000, ...options },
    () => clock.now,
    random,
  );
}

function acquireAll(share: AccountFairShare, accountId: number, count: number): Array<AccountSlot | null> {
  return Array.from({ length: count }, () => share.tryAcquire(accountId));
}

describe('accountSlotsPerDispatcher', () => {
  it('gives an account its percent of the concurrency, rounded down, and never less than one request', () => {
    expect(accountSlotsPerDispatcher(100, 25)).toBe(25);
    expect(accountSlotsPerDispatcher(10, 25)).toBe(2);
    expect(accountSlotsPerDispatcher(3, 25)).toBe(1);
    expect(accountSlotsPerDispatcher(1, 100)).toBe(1);
    expect(accountSlotsPerDispatcher(100, 100)).toBe(100);
  });
});

describe('AccountFairShare', () => {
  it('admits an account up to its share and refuses the rest, however many requests it has', () => {
    const share = fairShare();
    const slots = acquireAll(share, NOISY, 150);
    expect(slots.filter((slot) => slot !== null)).toHaveLength(3);
    expect(share.held(NOISY)).toBe(3);
  });

  it('leaves another account its own share while one account holds all of its share', () => {
    const share = fairShare();
    acquireAll(share, NOISY, 150);
    expect(acquireAll(share, QUIET, 3).every((slot) => slot !== null)).toBe(true);
    expect(share.tryAcquire(QUIET)).toBeNull();
  });

  it('admits the next request once a slot is released, and counts a second release of it once', () => {
    const share = fairShare({ slotsPerAccount: 1 });
    const first = share.tryAcquire(NOISY) as AccountSlot;
    expect(share.tryAcquire(NOISY)).toBeNull();
    first.release();
    first.release();
    expect(share.held(NOISY)).toBe(0);
    const second = share.tryAcquire(NOISY);
    expect(second).not.toBeNull();
    expect(share.tryAcquire(NOISY)).toBeNull();
  });

  it('defers for the minimum while the account has no history, jittered within the bounds', () => {
    expect(fairShare({}, { now: 0 }, () => 0.5).deferralDelayMs(NOISY)).toBe(50);
    // Jitter below the minimum is lifted to it; above it goes up to 1.5× the base.
    expect(fairShare({}, { now: 0 }, () => 0).deferralDelayMs(NOISY)).toBe(50);
    expect(fairShare({}, { now: 0 }, () => 0.999).deferralDelayMs(NOISY)).toBe(75);
  });

  it('defers for about as long as the account’s requests hold their slots, capped at the maximum', () => {
    const clock = { now: 0 };
    const share = fairShare({ slotsPerAccount: 1 }, clock);
    const slot = share.tryAcquire(NOISY) as AccountSlot;
    clock.now = 400;
    const held = share.tryAcquire(NOISY, 'd-2');
    expect(held).toBeNull();
    // No history yet: the minimum.
    expect(share.deferralDelayMs(NOISY)).toBe(50);
    slot.release();
    const next = share.tryAcquire(NOISY) as AccountSlot;
    expect(share.deferralDelayMs(NOISY)).toBe(400);
    clock.now = 10_400;
    next.release();
    const third = share.tryAcquire(NOISY);
    expect(third).not.toBeNull();
    // Mean of 400 and 10,000 (weight 0.2) = 2,320, above the cap.
    expect(share.deferralDelayMs(NOISY)).toBe(1_000);
  });

  it('remembers a refused delivery, so its next run is deferred without loading it while its account is full', () => {
    const share = fairShare({ slotsPerAccount: 1 });
    const slot = share.tryAcquire(NOISY, 'd-1') as AccountSlot;
    expect(share.tryAcquire(NOISY, 'd-2')).toBeNull();
    expect(share.deferralOf('d-2')).toBe(50);
    expect(share.deferralOf('unknown')).toBeUndefined();
    slot.release();
    expect(share.deferralOf('d-2')).toBeUndefined();
    // Admitted: no longer remembered, even when the account fills up again.
    expect(share.tryAcquire(NOISY, 'd-2')).not.toBeNull();
    expect(share.deferralOf('d-2')).toBeUndefined();
  });

  it('remembers a bounded number of refused deliveries, forgetting the oldest first', () => {
    const share = fairShare({ slotsPerAccount: 1, rememberedDeferrals: 2 });
    share.tryAcquire(NOISY, 'd-0');
    for (const id of ['d-1', 'd-2', 'd-3']) expect(share.tryAcquire(NOISY, id)).toBeNull();
    expect(share.deferralOf('d-1')).toBeUndefined();
    expect(share.deferralOf('d-2')).toBe(50);
    expect(share.deferralOf('d-3')).toBe(50);
  });

  it('refuses settings that would admit nothing or defer in a hot loop', () => {
    expect(() => fairShare({ slotsPerAccount: 0 })).toThrow(/slotsPerAccount/);
    expect(() => fairShare({ minDeferralMs: 0 })).toThrow(/deferral/);
    expect(() => fairShare({ minDeferralMs: 500, maxDeferralMs: 100 })).toThrow(/deferral/);
  });
});
