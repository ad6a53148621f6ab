import type { RunStats } from '../receiver/receiver-protocol';
import { summarizeLatencies } from './percentiles';
import { balanceRun, describeBalance } from './run-balance';

function statsFactory(overrides: Partial<RunStats> = {}): RunStats {
  return {
    run: 'tp',
    requests: 10,
    uniqueDeliveries: 10,
    repeatedDeliveries: 0,
    uniqueEvents: 10,
    duplicateEvents: 0,
    unknownEvents: 0,
    missingSample: [],
    firstReceivedAt: 1,
    lastReceivedAt: 2,
    latencyMs: null,
    eventsPerRequest: null,
    signaturesChecked: 1,
    signatureFailures: 0,
    malformedRequests: 0,
    ...overrides,
  };
}

describe('balanceRun', () => {
  it('balances when every produced event was delivered, duplicates counted beside', () => {
    const balance = balanceRun(10, statsFactory({ duplicateEvents: 2 }));
    expect(balance).toMatchObject({
      produced: 10,
      delivered: 10,
      missing: 0,
      duplicates: 2,
      valid: true,
      voidReason: null,
    });
    expect(describeBalance(balance)).toBe('10 = 10 delivered + 0 missing, 2 dup');
  });

  it('voids a run with missing events and names the first missing ones', () => {
    const balance = balanceRun(10, statsFactory({ uniqueEvents: 8, missingSample: [3, 7] }));
    expect(balance.valid).toBe(false);
    expect(balance.missing).toBe(2);
    expect(balance.voidReason).toContain('first missing: 3, 7');
    expect(describeBalance(balance)).toMatch(/^VOID: /);
  });

  it('voids a run that received events it never produced, or signatures that did not verify', () => {
    expect(balanceRun(10, statsFactory({ unknownEvents: 1 })).valid).toBe(false);
    expect(balanceRun(10, statsFactory({ signatureFailures: 1 })).voidReason).toContain('did not verify');
  });
});

describe('summarizeLatencies', () => {
  it('answers nearest-rank percentiles', () => {
    const samples = Array.from({ length: 100 }, (_, index) => 100 - index);
    expect(summarizeLatencies(samples)).toEqual({
      count: 100,
      p50: 50,
      p95: 95,
      p99: 99,
      max: 100,
      mean: 50.5,
    });
  });

  it('answers null for no samples', () => {
    expect(summarizeLatencies([])).toBeNull();
  });
});
