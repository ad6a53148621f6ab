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
  /**
   * Called when one of the account's slots frees while a request of it deferred here waits: the caller
   * brings that request forward (its deferral delay is then only the fallback). It is forgotten here.
   */
  onTurn?: (deliveryId: string) => void;
}

/** Milliseconds from a monotonic source; injected so specs drive time. */
export type MonotonicClock = () => number;

/** The account's share of a dispatcher: `percent` of its concurrency, never less than one request. */
export function accountSlotsPerDispatcher(concurrency: number, percent: number): number {
  return Math.max(1, Math.floor((concurrency * percent) / 100));
}

interface AccountState {
  held: number;
  /** Its requests deferred here and not run since, oldest first: its own queue for its slots. */
  waiting: Set<string>;
  /** Mean time its requests held a slot (EWMA): how soon a slot of this account is likely to free up. */
  meanHoldMs: number | null;
}

const HOLD_EWMA_WEIGHT = 0.2;
/**
 * Until one of its requests has finished here, an account is taken to hold a slot for a second (a slow
 * listener's pace): a first burst over the share comes back spread over seconds, not in one wave.
 */
const UNKNOWN_HOLD_MS = 1_000;
const DEFAULT_REMEMBERED_DEFERRALS = 10_000;

/**
 * Fair share across accounts, by construction: one account never holds more than `slotsPerAccount` of
 * this dispatcher's concurrent requests, whatever its webhooks' maxInFlight, so slow or hanging
 * listeners of one account leave the rest of the worker slots to the others. A request over its
 * account's share is not admitted; its caller puts it back (not a delivery attempt) to come back after
 * deferralDelayMs: about when its turn among the account's waiting requests comes (their number over
 * the share, times how long the account's requests hold a slot), and when one of its slots frees, its
 * longest-waiting request is handed to onTurn to be brought forward. So an account with hundreds of
 * requests behind slow listeners keeps its share busy and costs about one re-check per freed slot,
 * not a hot loop through the queue in front of everyone else. In-process and synchronous: the lane
 * engine (issue 16) can put it in front of any sender.
 */
export class AccountFairShare {
  /** One small entry per account that sent through this dispatcher: accounts are counted in thousands. */
  private readonly accounts = new Map<number, AccountState>();
  /**
   * Requests deferred here and not run since, oldest first: a delivery's account never changes. An
   * entry not seen again for a while ran on another replica (or its job is gone) and is dropped.
   */
  private readonly deferred = new Map<string, { accountId: number; at: number }>();
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

  /** The account's requests deferred here that have not run since. */
  waiting(accountId: number): number {
    this.dropStale();
    return this.accounts.get(accountId)?.waiting.size ?? 0;
  }

  /**
   * A slot for one request of the account, or null when it already holds its share. A refused
   * delivery is remembered, so that its next run can ask deferralOf() before loading anything.
   */
  tryAcquire(accountId: number, deliveryId?: string): AccountSlot | null {
    this.dropStale();
    if (deliveryId !== undefined) this.forget(deliveryId);
    const state = this.state(accountId);
    if (state.held >= this.options.slotsPerAccount) {
      if (deliveryId !== undefined) this.remember(deliveryId, accountId);
      return null;
    }
    state.held += 1;
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
   * For a delivery this class deferred: the delay to defer it again while its account still holds its
   * whole share; undefined when it may go ahead (it is then forgotten) or is not known here.
   */
  deferralOf(deliveryId: string): number | undefined {
    this.dropStale();
    const accountId = this.deferred.get(deliveryId)?.accountId;
    if (accountId === undefined) return undefined;
    if (this.held(accountId) < this.options.slotsPerAccount) {
      this.forget(deliveryId);
      return undefined;
    }
    return this.deferralDelayMs(accountId);
  }

  /**
   * New requests of one account about to be queued: 0 for as many as its free share can take now, and
   * for the rest a delay as for a deferral (they are remembered as deferred). A burst of hundreds of
   * requests from one account then waits out of the queue instead of standing in front of everyone's.
   */
  queueingDelays(accountId: number, deliveryIds: readonly string[]): number[] {
    this.dropStale();
    const state = this.state(accountId);
    const free = Math.max(0, this.options.slotsPerAccount - state.held - state.waiting.size);
    const later = deliveryIds.slice(free);
    for (const deliveryId of later) this.remember(deliveryId, accountId);
    return deliveryIds.map((_, index) => (index < free ? 0 : this.deferralDelayMs(accountId)));
  }

  /**
   * How long a refused request of the account waits before it is tried again: its turn among the
   * account's waiting requests (waiting / share × mean hold time) within the bounds, then ±50 % jitter
   * (never under the minimum) so that the deferred ones do not come back together: 0.5× to 1.5× the
   * maximum at most.
   */
  deferralDelayMs(accountId: number): number {
    const { minDeferralMs, maxDeferralMs, slotsPerAccount } = this.options;
    const state = this.accounts.get(accountId);
    const meanHoldMs = state?.meanHoldMs ?? UNKNOWN_HOLD_MS;
    const turnsAhead = Math.max(1, (state?.waiting.size ?? 0) / slotsPerAccount);
    const base = Math.min(maxDeferralMs, Math.max(minDeferralMs, meanHoldMs * turnsAhead));
    return Math.round(Math.max(minDeferralMs, base * (0.5 + this.random())));
  }

  private state(accountId: number): AccountState {
    let state = this.accounts.get(accountId);
    if (!state) {
      state = { held: 0, waiting: new Set(), meanHoldMs: null };
      this.accounts.set(accountId, state);
    }
    return state;
  }

  private release(state: AccountState, heldMs: number): void {
    state.meanHoldMs =
      state.meanHoldMs === null ? heldMs : state.meanHoldMs + HOLD_EWMA_WEIGHT * (heldMs - state.meanHoldMs);
    state.held -= 1;
    // The freed slot is this account's: its longest-waiting deferred request, if any, may take it now.
    const next = state.waiting.values().next().value;
    if (next !== undefined && this.options.onTurn) {
      this.forget(next);
      this.options.onTurn(next);
    }
  }

  private remember(deliveryId: string, accountId: number): void {
    this.forget(deliveryId);
    this.deferred.set(deliveryId, { accountId, at: this.now() });
    this.state(accountId).waiting.add(deliveryId);
    // Bounded: the oldest entries go first (Map keeps insertion order). Forgetting one costs a query.
    if (this.deferred.size > this.rememberedDeferrals) {
      const oldest = this.deferred.keys().next().value;
      if (oldest !== undefined) this.forget(oldest);
    }
  }

  private forget(deliveryId: string): void {
    const entry = this.deferred.get(deliveryId);
    if (entry === undefined) return;
    this.deferred.delete(deliveryId);
    this.state(entry.accountId).waiting.delete(deliveryId);
  }

  /**
   * A deferred request runs again within 1.5× the maximum delay plus its wait in the queue; one not
   * seen for 3× the maximum ran on another replica or is gone, and must not keep its account waiting.
   */
  private dropStale(): void {
    const staleBefore = this.now() - 3 * this.options.maxDeferralMs;
    for (const [deliveryId, entry] of this.deferred) {
      if (entry.at >= staleBefore) return;
      this.forget(deliveryId);
    }
  }
}
