import {
  commandCalls,
  perThousand,
  runCounters,
  sumCommandCalls,
  topDeltas,
  type CounterSnapshot,
} from './run-counters';

function snapshot(overrides: Partial<CounterSnapshot> = {}): CounterSnapshot {
  return {
    commits: 1000,
    rollbacks: 3,
    deadlocks: 1,
    statements: null,
    redisCalls: 50_000,
    redisByCommand: { evalsha: 1_000, brpoplpush: 500 },
    tables: {
      lanes: { deadTuples: 100, inserted: 40, updated: 500, hotUpdated: 0, deleted: 0 },
      lane_items: { deadTuples: 10, inserted: 2000, updated: 0, hotUpdated: 0, deleted: 1990 },
    },
    ...overrides,
  };
}

const NO_LOCK_WAITS = { intervalMs: 50, samples: 0, samplesWithWaiter: 0, maxWaiters: 0 };

describe('perThousand', () => {
  it('scales a run total to 1,000 events, two decimals', () => {
    expect(perThousand(4_321, 20_000)).toBe(216.05);
    expect(perThousand(1, 3)).toBe(333.33);
  });

  it('answers null when nothing was delivered', () => {
    expect(perThousand(10, 0)).toBeNull();
  });
});

describe('runCounters', () => {
  it('takes each counter’s change over the run and expresses it per 1,000 delivered events', () => {
    const before = snapshot();
    const after = snapshot({
      commits: 4_000,
      rollbacks: 5,
      deadlocks: 3,
      redisCalls: 90_000,
      redisByCommand: { evalsha: 21_000, brpoplpush: 500, hset: 19_000 },
      tables: {
        lanes: { deadTuples: 20_100, inserted: 40, updated: 20_500, hotUpdated: 4_000, deleted: 0 },
        lane_items: { deadTuples: 4_010, inserted: 22_000, updated: 0, hotUpdated: 0, deleted: 21_990 },
        deliveries: { deadTuples: 500, inserted: 2_000, updated: 4_000, hotUpdated: 1_000, deleted: 0 },
      },
    });

    const counters = runCounters(
      before,
      after,
      20_000,
      NO_LOCK_WAITS,
      { idleCallsPerSecond: 100, windowSeconds: 50 },
      ['a note'],
    );

    expect(counters.totals).toMatchObject({
      commits: 3_000,
      rollbacks: 2,
      deadlocks: 2,
      statements: null,
      redisCommands: 40_000,
    });
    expect(counters.totals.redisTopCommands).toEqual({ evalsha: 20_000, hset: 19_000 });
    expect(counters.perThousandEvents.commits).toBe(150);
    expect(counters.perThousandEvents.redisCommands).toBe(2_000);
    // 40,000 less 100/s idle over the 50 s window: 35,000.
    expect(counters.perThousandEvents.redisCommandsLessIdle).toBe(1_750);
    expect(counters.perThousandEvents.statements).toBeNull();
    expect(counters.perThousandEvents.tables.lanes).toEqual({
      deadTuples: 1_000,
      inserted: 0,
      updated: 1_000,
      hotUpdated: 200,
      deleted: 0,
      deadVersionsCreated: 1_000,
    });
    // Inserted and deleted per event: one dead version per event left behind.
    expect(counters.perThousandEvents.tables.lane_items.deadVersionsCreated).toBe(1_000);
    // A table created during the run counts from zero.
    expect(counters.perThousandEvents.tables.deliveries).toMatchObject({
      inserted: 100,
      deadVersionsCreated: 200,
    });
    expect(counters.notes).toEqual(['a note']);
  });

  it('counts statements when pg_stat_statements answered in both snapshots', () => {
    const counters = runCounters(
      snapshot({ statements: 100 }),
      snapshot({ statements: 2_100 }),
      1_000,
      NO_LOCK_WAITS,
    );
    expect(counters.totals.statements).toBe(2_000);
    expect(counters.perThousandEvents.statements).toBe(2_000);
  });
});

describe('sumCommandCalls', () => {
  it('sums calls over every command of INFO commandstats', () => {
    const info = [
      '# Commandstats',
      'cmdstat_evalsha:calls=120,usec=900,usec_per_call=7.50,rejected_calls=0,failed_calls=0',
      'cmdstat_client|list:calls=3,usec=10,usec_per_call=3.33,rejected_calls=0,failed_calls=0',
      'cmdstat_lpush:calls=7,usec=7,usec_per_call=1.00,rejected_calls=0,failed_calls=0',
      '',
    ].join('\r\n');
    expect(sumCommandCalls(info)).toBe(130);
    expect(commandCalls(info)).toEqual({ evalsha: 120, 'client|list': 3, lpush: 7 });
  });
});

describe('topDeltas', () => {
  it('keeps the largest increases, largest first, a key new since before counting from zero', () => {
    const before = { a: 10, b: 10, c: 10 };
    const after = { a: 11, b: 50, c: 10, d: 5 };
    expect(Object.entries(topDeltas(after, before, 2))).toEqual([
      ['b', 40],
      ['d', 5],
    ]);
  });
});
