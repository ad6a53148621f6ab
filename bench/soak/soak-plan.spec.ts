import { buildSoakPlan, expectedByKind, SOAK_ACCOUNT_MIX } from './soak-plan';

describe('buildSoakPlan', () => {
  it('numbers the accounts from the first id and gives each as many turns as its weight, spread out', () => {
    const plan = buildSoakPlan(
      [
        { kind: 'healthy', accounts: 2, weight: 3 },
        { kind: 'failing', accounts: 1, weight: 1 },
      ],
      100,
    );
    expect(plan.accounts).toEqual([
      { accountId: 100, kind: 'healthy' },
      { accountId: 101, kind: 'healthy' },
      { accountId: 102, kind: 'failing' },
    ]);
    expect(plan.rotation).toEqual([100, 101, 102, 100, 101, 100, 101]);
  });

  it('the soak mix: 20 accounts, most of them healthy, carrying most of the load', () => {
    const plan = buildSoakPlan(SOAK_ACCOUNT_MIX, 1);
    expect(plan.accounts).toHaveLength(20);
    expect(plan.accounts.filter((account) => account.kind === 'healthy')).toHaveLength(14);
    expect(plan.rotation).toHaveLength(14 * 4 + 6);
  });
});

describe('expectedByKind', () => {
  const plan = buildSoakPlan(
    [
      { kind: 'healthy', accounts: 1, weight: 2 },
      { kind: 'slow', accounts: 1, weight: 1 },
    ],
    1,
  );

  it('counts each kind`s sequences, the last partial rotation included', () => {
    // rotation [1, 2, 1]: sequences 0..6 belong to 1, 2, 1, 1, 2, 1, 1
    expect(expectedByKind(plan, 7)).toEqual({ healthy: 5, slow: 2, flaky: 0, failing: 0 });
    expect(expectedByKind(plan, 0)).toEqual({ healthy: 0, slow: 0, flaky: 0, failing: 0 });
  });
});
