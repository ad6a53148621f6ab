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

  it('takes an account with no finished request to hold a slot for a second, jittered ±50 %', () => {
    expect(fairShare({}, { now: 0 }, () => 0.5).deferralDelayMs(NOISY)).toBe(1_000);
    expect(fairShare({}, { now: 0 }, () => 0).deferralDelayMs(NOISY)).toBe(500);
    expect(fairShare({}, { now: 0 }, () => 0.999).deferralDelayMs(NOISY)).toBe(1_499);
  });

  it('never defers for less than the minimum, whatever the jitter', () => {
    const clock = { now: 0 };
    const share = fairShare({ slotsPerAccount: 1 }, clock, () => 0);
    const slot = share.tryAcquire(NOISY) as AccountSlot;
    clock.now = 10;
    slot.release();
    expect(share.deferralDelayMs(NOISY)).toBe(50);
  });

  it('defers for about as long as the account’s requests hold their slots, capped at the maximum', () => {
    const clock = { now: 0 };
    const share = fairShare({ slotsPerAccount: 1 }, clock);
    const slot = share.tryAcquire(NOISY) as AccountSlot;
    clock.now = 400;
    const held = share.tryAcquire(NOISY, 'd-2');
    expect(held).toBeNull();
    // No finished request yet: a second, the longest this share defers.
    expect(share.deferralDelayMs(NOISY)).toBe(1_000);
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
    expect(share.deferralOf('d-2')).toBe(1_000);
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
    expect(share.waiting(NOISY)).toBe(2);
    expect(share.deferralOf('d-1')).toBeUndefined();
    expect(share.deferralOf('d-2')).toBe(1_000);
    expect(share.deferralOf('d-3')).toBe(1_000);
  });

  it('defers for longer the more of its own requests an account has waiting: each comes back about at its turn', () => {
    const clock = { now: 0 };
    const share = fairShare({ slotsPerAccount: 2, maxDeferralMs: 10_000 }, clock);
    const slots = acquireAll(share, NOISY, 2) as AccountSlot[];
    clock.now = 200;
    for (const slot of slots) slot.release();
    acquireAll(share, NOISY, 2);
    for (let i = 0; i < 10; i += 1) expect(share.tryAcquire(NOISY, `d-${i}`)).toBeNull();
    // 10 waiting for 2 slots, each held about 200 ms: the fifth turn, 1 s from now.
    expect(share.deferralDelayMs(NOISY)).toBe(1_000);
    // Another account's delay does not depend on it.
    expect(share.deferralDelayMs(QUIET)).toBe(1_000);
  });

  it('queues a burst of new requests at once only as far as the account’s free share goes; the rest later', () => {
    const share = fairShare({ slotsPerAccount: 3 });
    share.tryAcquire(NOISY);

    const delays = share.queueingDelays(NOISY, ['n-0', 'n-1', 'n-2', 'n-3', 'n-4']);

    expect(delays.slice(0, 2)).toEqual([0, 0]);
    for (const delay of delays.slice(2)) expect(delay).toBeGreaterThanOrEqual(50);
    expect(share.waiting(NOISY)).toBe(3);
    // The next burst finds those waiting ahead of it: all of it later.
    expect(share.queueingDelays(NOISY, ['m-0', 'm-1']).every((delay) => delay > 0)).toBe(true);
    // Another account is not affected.
    expect(share.queueingDelays(QUIET, ['q-0', 'q-1', 'q-2'])).toEqual([0, 0, 0]);
  });

  it('stops counting a deferred request that was not seen again for 3× the longest deferral', () => {
    const clock = { now: 0 };
    const share = fairShare({ slotsPerAccount: 1, maxDeferralMs: 1_000 }, clock);
    share.tryAcquire(NOISY);
    share.queueingDelays(NOISY, ['ran-elsewhere']);
    clock.now = 2_000;
    share.queueingDelays(NOISY, ['recent']);
    expect(share.waiting(NOISY)).toBe(2);
    clock.now = 3_001;
    expect(share.waiting(NOISY)).toBe(1);
    expect(share.deferralOf('ran-elsewhere')).toBeUndefined();
    expect(share.deferralOf('recent')).toBeGreaterThan(0);
  });

  it('hands a freed slot to the account’s longest-waiting deferred request, and forgets it', () => {
    const turns: string[] = [];
    const share = new AccountFairShare({
      slotsPerAccount: 1,
      minDeferralMs: 50,
      maxDeferralMs: 1_000,
      onTurn: (deliveryId) => turns.push(deliveryId),
    });
    const slot = share.tryAcquire(NOISY, 'd-0') as AccountSlot;
    share.tryAcquire(NOISY, 'd-1');
    share.queueingDelays(NOISY, ['d-2']);
    const quiet = share.tryAcquire(QUIET) as AccountSlot;

    quiet.release();
    expect(turns).toEqual([]);
    slot.release();
    expect(turns).toEqual(['d-1']);
    expect(share.waiting(NOISY)).toBe(1);
    expect(share.tryAcquire(NOISY, 'd-1')).not.toBeNull();
  });

  it('lets a request queued for later go ahead when it runs with a slot free, forgetting it', () => {
    const share = fairShare({ slotsPerAccount: 1 });
    share.queueingDelays(NOISY, ['n-0', 'n-1']);
    expect(share.waiting(NOISY)).toBe(1);
    expect(share.deferralOf('n-1')).toBeUndefined();
    expect(share.waiting(NOISY)).toBe(0);
  });

  it('refuses settings that would admit nothing or defer in a hot loop', () => {
    expect(() => fairShare({ slotsPerAccount: 0 })).toThrow(/slotsPerAccount/);
    expect(() => fairShare({ minDeferralMs: 0 })).toThrow(/deferral/);
    expect(() => fairShare({ minDeferralMs: 500, maxDeferralMs: 100 })).toThrow(/deferral/);
  });
});
