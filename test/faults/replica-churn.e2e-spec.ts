import type { AppProcess } from '@lms/testing';
import { expectEveryEventDelivered } from './support/delivery-ledger';
import { AccountLanesHarness } from './support/account-lanes-harness';
import { appMetric } from './support/lane-wake';

jest.setTimeout(420_000);

const EVENTS = 10_000;
const RATE = 1_000;
/** 10 accounts, one webhook each (maxInFlight 1, maxEventsPerRequest 100 by default): 10 lanes. */
const ACCOUNTS = [7201, 7202, 7203, 7204, 7205, 7206, 7207, 7208, 7209, 7210];
const MAX_EVENTS_PER_REQUEST = 100;
/** The churn goes on until this share of the run is acknowledged (and at least MIN_STOPS stops). */
const CHURN_UNTIL = 0.9;
const MIN_STOPS = 6;

interface Slot {
  /** How long each replica of the slot lives, and how long the slot stays empty after a stop. */
  lifeMs: number;
  gapMs: number;
  /** The signals the slot's stops use in turn. */
  signals: Array<'SIGTERM' | 'SIGKILL'>;
}

/**
 * Two replica slots with different rhythms and signal orders, so stops fall at every point of a
 * lane's cycle, SIGTERM and SIGKILL alternate, and now and then no replica runs at all.
 */
const SLOTS: Slot[] = [
  { lifeMs: 1_500, gapMs: 200, signals: ['SIGKILL', 'SIGTERM', 'SIGTERM', 'SIGKILL'] },
  { lifeMs: 2_300, gapMs: 700, signals: ['SIGTERM', 'SIGKILL'] },
];

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * Lane engine v2 (issue 16) drives lanes from a dispatcher's memory. Replicas come and go (deploys,
 * autoscaling, crashes): a SIGTERMed one hands its lanes' next requests to the queue, a SIGKILLed one
 * loses its driver lock with its connection and the survivors' sweep queues what it was sending.
 * Every event must still arrive, in order per webhook, and only what was in flight at a stop may
 * arrive twice.
 */
describe('fault: dispatcher replicas churn under load (SIGTERM and SIGKILL)', () => {
  let harness: AccountLanesHarness;

  beforeAll(async () => {
    harness = await AccountLanesHarness.start({
      label: 'replica_churn',
      accountIds: ACCOUNTS,
      eventNames: ['COURSE_COMPLETED'],
      dispatchers: 2,
    });
  });

  afterAll(async () => {
    await harness?.close();
  });

  it('delivers every event at least once, in order per webhook, duplicates within what was in flight at the stops', async () => {
    const stops: Array<{ signal: 'SIGTERM' | 'SIGKILL'; exit: number | string | null; at: number }> = [];
    const startedAt = Date.now();
    let starts = 0;
    let emptyMs = 0;
    let emptySince: number | undefined = undefined;
    const noteEmpty = () => {
      const empty = harness.stack.dispatchers.length === 0;
      if (empty && emptySince === undefined) emptySince = Date.now();
      if (!empty && emptySince !== undefined) {
        emptyMs += Date.now() - emptySince;
        emptySince = undefined;
      }
    };
    const churning = () =>
      harness.ledger.acknowledgedEvents('rc') < EVENTS * CHURN_UNTIL || stops.length < MIN_STOPS;

    const producing = harness.produceSteady('rc', EVENTS, RATE);
    const [first, second] = harness.stack.dispatchers;
    const churn = SLOTS.map(async (slot, index) => {
      let replica: AppProcess = index === 0 ? first : second;
      for (let turn = 0; ; turn += 1) {
        await sleep(slot.lifeMs);
        if (!churning()) return;
        const signal = slot.signals[turn % slot.signals.length];
        await harness.stopDispatcher(replica, signal);
        stops.push({
          signal,
          exit: replica.child.exitCode ?? replica.child.signalCode,
          at: Date.now() - startedAt,
        });
        noteEmpty();
        await sleep(slot.gapMs);
        replica = await harness.startDispatcher();
        starts += 1;
        noteEmpty();
      }
    });
    await Promise.all(churn);
    await producing;

    // Two replicas run at the end (each slot restarts after its stop).
    expect(harness.stack.dispatchers).toHaveLength(2);
    const summary = await harness.settle('rc', EVENTS, 240_000);
    const webhooks = harness.webhooks;
    // Each stop can send again what the stopped replica had in flight: at most one request per lane
    // (maxInFlight 1), each with up to maxEventsPerRequest events.
    const repeatBound = stops.length * webhooks;
    const duplicateBound = repeatBound * MAX_EVENTS_PER_REQUEST;
    const sigkills = stops.filter((stop) => stop.signal === 'SIGKILL').length;
    console.log(
      [
        `[fault] replica churn: ${stops.length} stops (${sigkills} SIGKILL, ${stops.length - sigkills} SIGTERM), ${starts} starts over ${Math.round((Date.now() - startedAt) / 1000)} s, no replica at all for ${emptyMs} ms; ` +
          `${summary.expected} produced = ${summary.delivered} delivered + ${summary.missing} missing; ` +
          `measured duplicates: ${summary.duplicates} event copies in ${summary.repeatedDeliveries} repeated request(s) (bounds ${duplicateBound} / ${repeatBound}; ${summary.duplicatesAcrossDeliveries} across deliveries); ` +
          `${summary.orderViolations} order violation(s) on ${summary.lanes} lanes (${summary.orderViolationsFirstSeen} on first receipt); latency p99 ${summary.p99LatencyMs} ms, max ${summary.maxLatencyMs} ms`,
        `  stops: ${stops.map((stop) => `${stop.at}ms ${stop.signal}→${stop.exit}`).join(', ')}`,
        ...(await harness.duplicateLines('rc')),
        ...summary.orderViolationSample.map((line) => `  out of order: ${line}`),
      ].join('\n'),
    );

    expect(stops.length).toBeGreaterThanOrEqual(MIN_STOPS);
    expect(sigkills).toBeGreaterThan(0);
    expect(stops.length - sigkills).toBeGreaterThan(0);
    // A SIGTERMed replica finishes its graceful shutdown (it is not killed by the harness's timeout).
    expect(stops.filter((stop) => stop.signal === 'SIGTERM').map((stop) => stop.exit)).toEqual(
      stops.filter((stop) => stop.signal === 'SIGTERM').map(() => 0),
    );
    expect(summary.lanes).toBe(ACCOUNTS.length);
    expectEveryEventDelivered(summary, repeatBound);
    expect(summary.duplicates).toBeLessThanOrEqual(duplicateBound);
    const [{ open }] = await harness.stack.query<{ open: string }>(
      `SELECT count(*) AS open FROM deliveries WHERE status <> 'SUCCEEDED'`,
    );
    expect(Number(open)).toBe(0);
    // The replicas running at the end listen for wake-ups.
    for (const replica of harness.stack.dispatchers) {
      expect(await appMetric(replica, 'lmsw_lane_wake_listening')).toBe(1);
    }
  });
});
