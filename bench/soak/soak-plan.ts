/** How an account's listener answers: at once, after 300 ms, 500 on one request in five, or always 503. */
export type ListenerKind = 'healthy' | 'slow' | 'flaky' | 'failing';

export const LISTENER_KINDS: readonly ListenerKind[] = ['healthy', 'slow', 'flaky', 'failing'];

/** Kinds whose every event must reach the listener by the end (a failing listener never acknowledges). */
export const MUST_DELIVER: readonly ListenerKind[] = ['healthy', 'slow', 'flaky'];

export const SLOW_ANSWER_MS = 300;
/** Every FLAKY_EVERY-th request of a flaky account is answered 500 (20 %). */
export const FLAKY_EVERY = 5;

export interface AccountMix {
  kind: ListenerKind;
  accounts: number;
  /** Share of the load: each account of this kind takes `weight` turns in the producer's rotation. */
  weight: number;
}

/**
 * 20 accounts, most of them healthy. Healthy accounts carry 4 shares of the load each, the others 1:
 * with the production retry schedule (5 s first retry), a lane whose listener fails one request in
 * five moves about 95 events/s at 100 events per request, so the troubled accounts get ~1/62 of the
 * rate each (~70 events/s at 4,300/s), as a large LMS's small tenants would.
 */
export const SOAK_ACCOUNT_MIX: readonly AccountMix[] = [
  { kind: 'healthy', accounts: 14, weight: 4 },
  { kind: 'slow', accounts: 2, weight: 1 },
  { kind: 'flaky', accounts: 2, weight: 1 },
  { kind: 'failing', accounts: 2, weight: 1 },
];

export interface SoakAccount {
  accountId: number;
  kind: ListenerKind;
}

export interface SoakPlan {
  accounts: SoakAccount[];
  /**
   * The producer's rotation: event `sequence` belongs to `rotation[sequence % rotation.length]` (an
   * account appears as often as its weight, spread out), the LoadPlan's `accountIds`.
   */
  rotation: number[];
}

export function buildSoakPlan(mix: readonly AccountMix[], firstAccountId: number): SoakPlan {
  const accounts: (SoakAccount & { weight: number })[] = [];
  for (const { kind, accounts: count, weight } of mix)
    for (let index = 0; index < count; index += 1)
      accounts.push({ accountId: firstAccountId + accounts.length, kind, weight });
  const rounds = Math.max(0, ...accounts.map((account) => account.weight));
  const rotation: number[] = [];
  // Round r takes every account with more than r shares: heavy accounts' turns are spread evenly.
  for (let round = 0; round < rounds; round += 1)
    for (const account of accounts) if (account.weight > round) rotation.push(account.accountId);
  return { accounts: accounts.map(({ accountId, kind }) => ({ accountId, kind })), rotation };
}

/** Events of the first `produced` sequences that belong to each kind. */
export function expectedByKind(plan: SoakPlan, produced: number): Record<ListenerKind, number> {
  const kindOf = new Map(plan.accounts.map((account) => [account.accountId, account.kind]));
  const perRotation = { healthy: 0, slow: 0, flaky: 0, failing: 0 };
  const remainder = { healthy: 0, slow: 0, flaky: 0, failing: 0 };
  const rest = produced % plan.rotation.length;
  plan.rotation.forEach((accountId, index) => {
    const kind = kindOf.get(accountId) ?? 'healthy';
    perRotation[kind] += 1;
    if (index < rest) remainder[kind] += 1;
  });
  const rounds = Math.floor(produced / plan.rotation.length);
  const result = { healthy: 0, slow: 0, flaky: 0, failing: 0 };
  for (const kind of LISTENER_KINDS) result[kind] = perRotation[kind] * rounds + remainder[kind];
  return result;
}
