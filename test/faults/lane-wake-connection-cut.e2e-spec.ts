import { waitFor } from '@lms/testing';
import { expectEveryEventDelivered } from './support/delivery-ledger';
import { FaultHarness } from './support/fault-harness';
import { appMetric, appMetricSum, laneWakeBackends, terminateLaneWakeConnections } from './support/lane-wake';

jest.setTimeout(300_000);

const EVENTS = 3_000;
const RATE = 300;
/** The wake-up connection is cut each time this share of the run has been acknowledged. */
const CUT_AT = [0.1, 0.25, 0.4, 0.55, 0.7];
const CUTS = CUT_AT.length;
/** FaultHarness: 4 accounts × 2 event names, one webhook (one lane, maxInFlight 1) each. */
const WEBHOOKS = 8;
/**
 * What a cut may send twice: the request each lane had open when the driver lock went (the sweep may
 * then queue it while this process still sends it from memory), once per cut.
 */
const REPEAT_BOUND = CUTS * WEBHOOKS;

/**
 * Lane engine v2 (issue 16): the dispatcher hears wake-ups on one Postgres connection (LISTEN
 * lmsw_lane_wake) that also holds its driver lock. Cutting it loses announcements (nobody else
 * listens: one dispatcher) and the lock; the dispatcher must reconnect, its sweep must claim the lanes
 * whose announcement nobody heard, and no event may be lost or overtaken.
 */
describe('fault: the dispatcher’s lane wake-up connection is cut under load', () => {
  let harness: FaultHarness;

  beforeAll(async () => {
    harness = await FaultHarness.start({ label: 'wake_cut', dispatchers: 1 });
  });

  afterAll(async () => {
    await harness?.close();
  });

  it('delivers every event once at least, in order per webhook, and listens again after each cut', async () => {
    const [dispatcher] = harness.stack.dispatchers;
    await waitFor(
      'the wake-up connection',
      async () => (await laneWakeBackends(harness.stack)).length === 1,
      30_000,
      100,
    );

    const producing = harness.produceSteady('wk', EVENTS, RATE);
    const cut: number[] = [];
    for (const share of CUT_AT) {
      await harness.waitUntilAcknowledged('wk', Math.floor(EVENTS * share));
      // Each cut must hit a connection: the previous one has been replaced by then.
      const before = await waitFor(
        'a wake-up connection to cut',
        async () => {
          const pids = await laneWakeBackends(harness.stack);
          return pids.length > 0 ? pids : undefined;
        },
        30_000,
        100,
      );
      const terminated = await terminateLaneWakeConnections(harness.stack);
      expect(terminated).toEqual(before);
      cut.push(...terminated);
      // It comes back as a new backend (a new connection, LISTEN and lock again), not the old one.
      await waitFor(
        'the dispatcher to reconnect its wake-up connection',
        async () => {
          const pids = await laneWakeBackends(harness.stack);
          return pids.length === 1 && !cut.includes(pids[0]);
        },
        30_000,
        100,
      );
    }
    await producing;

    const summary = await harness.settle('wk', EVENTS);
    await harness.report('wk', `lane wake-up connection cut ${CUTS}×`, summary, REPEAT_BOUND);
    expect(cut).toHaveLength(CUTS);
    expectEveryEventDelivered(summary, REPEAT_BOUND);
    expect(summary.duplicates).toBeLessThanOrEqual(REPEAT_BOUND * 100);

    // Reconnected: the process says it hears announcements, and holds its driver lock again.
    await waitFor(
      'lmsw_lane_wake_listening 1',
      async () => (await appMetric(dispatcher, 'lmsw_lane_wake_listening')) === 1,
      10_000,
      100,
    );
    const [{ locks }] = await harness.stack.query<{ locks: string }>(
      `SELECT count(*) AS locks FROM pg_locks l JOIN pg_stat_activity a ON a.pid = l.pid
        WHERE l.locktype = 'advisory' AND l.classid = 7171 AND l.granted AND a.application_name = 'lmsw-lane-wake'
          AND a.datname = $1`,
      [harness.stack.database.name],
    );
    expect(Number(locks)).toBe(1);
    const heard = await appMetricSum(dispatcher, 'lmsw_lane_wakeups_heard_total');
    const requeued = (await appMetric(dispatcher, 'lmsw_relay_requeued_total')) ?? 0;
    console.log(
      `[fault] wake cut: ${cut.length} backends terminated; ${heard} wake-ups acted on; ${requeued} open request(s) queued again by the dispatcher's sweep or relay; ${summary.duplicates} duplicate event(s) in ${summary.repeatedDeliveries} repeated request(s)`,
    );
    const [{ open }] = await harness.stack.query<{ open: string }>(
      `SELECT count(*) AS open FROM deliveries WHERE status <> 'SUCCEEDED'`,
    );
    expect(Number(open)).toBe(0);
  });
});
