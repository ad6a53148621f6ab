/** A slot one request holds while it is being sent; release it exactly once (a second call is a no-op). */
export interface AccountSlot {
  release(): void;
}

export interface AccountFairShareOptions {
  /** Requests one account may have in flight in this dispatcher at once (see accountSlotsPerDispatcher). */
  slotsPerAccount: number;
  /** Bounds of the wait before a deferred request is tried again. */
  minDeferralMs: number;
  maxDeferralMs: number;
  /** Deferred deliveries whose account is remembered (so a re-run can be deferred without a query). */
  rememberedDeferrals?: number;
}

/** Milliseconds from a monotonic source; injected so specs drive time. */
export type MonotonicClock = () => number;

/** The account's share of a dispatcher: `percent` of its concurrency, never less than one request. */
export function accountSlotsPerDispatcher(concurrency: number, percent: number): number {
  return Math.max(1, Math.floor((concurrency * percent) / 100));
}

interface AccountState {
  held: number;
  /** Mean time its requests held a slot (EWMA): how soon a slot of this account is likely to free up. */
  meanHoldMs: number | null;
}

const HOLD_EWMA_WEIGHT = 0.2;
const DEFAULT_REMEMBERED_DEFERRALS = 10_000;

/**
 * Fair share across accounts, by construction: one account never holds more than `slotsPerAccount` of
 * this dispatcher's concurrent requests, whatever its webhooks' maxInFlight, so slow or hanging
 * listeners of one account leave the rest of the worker slots to the others. A request over its
 * account's share is not admitted; its caller puts it back (not a delivery attempt) and it comes back
 * after deferralDelayMs. That delay follows how long the account's requests hold their slots, so an
 * account with many waiting requests behind slow listeners costs a few re-checks per freed slot, not a
 * hot loop. In-process and synchronous: the lane engine (issue 16) can put it in front of any sender.
 */
export class AccountFairShare {
  /** One small entry per account that sent through this dispatcher: accounts are counted in thousands. */
  private readonly accounts = new Map<number, AccountState>();
  /** deliveryId → accountId of requests deferred lately: a delivery's account never changes. */
  private readonly deferred = new Map<string, number>();
  private readonly rememberedDeferrals: number;

  constructor(
    private readonly options: AccountFairShareOptions,
    private readonly now: MonotonicClock = () => performance.now(),
    private readonly random: () => number = Math.random,
  ) {
    if (!Number.isInteger(options.slotsPerAccount) || options.slotsPerAccount < 1)
      throw new Error(`slotsPerAccount must be a positive integer (got ${options.slotsPerAccount})`);
    if (options.minDeferralMs < 1 || options.maxDeferralMs < options.minDeferralMs)
      throw new Error('deferral bounds must satisfy 1 ≤ minDeferralMs ≤ maxDeferralMs');
    this.rememberedDeferrals = options.rememberedDeferrals ?? DEFAULT_REMEMBERED_DEFERRALS;
  }

  get slotsPerAccount(): number {
    return this.options.slotsPerAccount;
  }

  /** Slots the account holds now. */
  held(accountId: number): number {
    return this.accounts.get(accountId)?.held ?? 0;
  }

  /**
   * A slot for one request of the account, or null when it already holds its share. A refused
   * delivery is remembered, so that its next run can ask deferralOf() before loading anything.
   */
  tryAcquire(accountId: number, deliveryId?: string): AccountSlot | null {
    const state = this.accounts.get(accountId) ?? { held: 0, meanHoldMs: null };
    if (state.held >= this.options.slotsPerAccount) {
      if (deliveryId !== undefined) this.remember(deliveryId, accountId);
      return null;
    }
    if (deliveryId !== undefined) this.deferred.delete(deliveryId);
    state.held += 1;
    this.accounts.set(accountId, state);
    const acquiredAt = this.now();
    let released = false;
    return {
      release: () => {
        if (released) return;
        released = true;
        this.release(state, this.now() - acquiredAt);
      },
    };
  }

  /**
   * For a delivery this class refused before: the delay to defer it again while its account still holds
   * its whole share; undefined when it may go ahead (or is not known here).
   */
  deferralOf(deliveryId: string): number | undefined {
    const accountId = this.deferred.get(deliveryId);
    if (accountId === undefined || this.held(accountId) < this.options.slotsPerAccount) return undefined;
    return this.deferralDelayMs(accountId);
  }

  /**
   * How long a refused request of the account waits before it is tried again: about the time its
   * requests hold a slot, within the bounds, with jitter so the deferred ones do not return together.
   */
  deferralDelayMs(accountId: number): number {
    const { minDeferralMs, maxDeferralMs } = this.options;
    const meanHoldMs = this.accounts.get(accountId)?.meanHoldMs ?? minDeferralMs;
    const jittered = meanHoldMs * (0.5 + this.random());
    return Math.round(Math.min(maxDeferralMs, Math.max(minDeferralMs, jittered)));
  }

  private release(state: AccountState, heldMs: number): void {
    state.meanHoldMs =
      state.meanHoldMs === null ? heldMs : state.meanHoldMs + HOLD_EWMA_WEIGHT * (heldMs - state.meanHoldMs);
    state.held -= 1;
  }

  private remember(deliveryId: string, accountId: number): void {
    this.deferred.delete(deliveryId);
    this.deferred.set(deliveryId, accountId);
    // Bounded: the oldest entries go first (Map keeps insertion order). Forgetting one costs a query.
    if (this.deferred.size > this.rememberedDeferrals) {
      const oldest = this.deferred.keys().next().value;
      if (oldest !== undefined) this.deferred.delete(oldest);
    }
  }
}
