/** Why a slot was refused: the account used its share, or the whole capacity is in use. */
export type ConcurrencyRefusal = 'ACCOUNT_SHARE' | 'CAPACITY';

/** A held slot; release it exactly once (later calls do nothing). */
export type ReleaseSlot = () => void;

/**
 * Slots of a bounded capacity, of which one account holds at most its share: however many requests
 * one account starts at once, the others keep (capacity − share) slots. In memory, per process: it
 * bounds what this process sends at once, which is what a slot costs (sockets, memory, time).
 */
export class ConcurrencyShares {
  private inUse = 0;
  private readonly byAccount = new Map<number, number>();

  constructor(
    readonly capacity: number,
    readonly perAccount: number,
  ) {}

  tryAcquire(accountId: number): ReleaseSlot | ConcurrencyRefusal {
    const held = this.byAccount.get(accountId) ?? 0;
    if (held >= this.perAccount) return 'ACCOUNT_SHARE';
    if (this.inUse >= this.capacity) return 'CAPACITY';
    this.inUse += 1;
    this.byAccount.set(accountId, held + 1);
    let released = false;
    return () => {
      if (released) return;
      released = true;
      this.inUse -= 1;
      const left = (this.byAccount.get(accountId) ?? 1) - 1;
      if (left === 0) this.byAccount.delete(accountId);
      else this.byAccount.set(accountId, left);
    };
  }

  /** Slots held now: all accounts, or one. */
  held(accountId?: number): number {
    return accountId === undefined ? this.inUse : (this.byAccount.get(accountId) ?? 0);
  }
}
