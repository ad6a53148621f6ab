import { Metrics } from '@lms/observability';
import { startListener, waitFor, type TestListener } from '@lms/testing';
import { randomInt } from 'node:crypto';
import { OPEN_DELIVERY_STATUSES_SQL } from '@lms/webhook-domain';
import { startDispatcher, type RunningDispatcher } from '../dispatcher/support/dispatcher-harness';
import { firstReceiptOrder, LaneStack, receiptsOf, waitForEvents } from './support/lane-stack';

jest.setTimeout(90_000);

const ACCOUNTS = 20;
const SENDS = 300;

/**
 * Wake-ups without loss (issue 9, item 5): ingestion commits new lane items while the dispatcher
 * finds lanes empty and lets them go idle, hundreds of times. Tiny batches with random pauses into a
 * fast listener keep every lane flipping between idle and busy; afterwards no item is stranded, and
 * neither the outbox relay nor the dispatcher's sweep (which would hide a lost wake-up) moved a lane. Real Kafka, ingestion, Postgres,
 * Redis, dispatcher.
 */
describe('lanes: the idle/busy hand-over strands nothing', () => {
  let stack: LaneStack;
  let dispatcher: RunningDispatcher;
  let listener: TestListener;
  const accounts = Array.from(
    { length: ACCOUNTS },
    (_, index) => randomInt(100_000, 1_000_000_000) * 100 + index,
  );

  beforeAll(async () => {
    stack = await LaneStack.start('lane_wake_race', {
      // The relay (the dispatcher's) re-wakes busy lanes that do not move: it must not run, or it
      // would mask a stranding.
      dispatcher: { RELAY_INTERVAL_MS: '1h' },
    });
    listener = await startListener(() => ({ status: 204 }));
    for (const accountId of accounts) await stack.webhook(accountId, listener.url);
    dispatcher = await startDispatcher(stack.dispatcherEnv);
  });

  afterAll(async () => {
    await dispatcher?.close();
    await listener?.close();
    await stack?.close();
  });

  it('delivers every event of 300 tiny batches in lane order; no item, busy lane or relay wake-up is left', async () => {
    // Four producers side by side, each with its own accounts (so each account's order is defined).
    const PRODUCERS = 4;
    const produced: string[] = [];
    await Promise.all(
      Array.from({ length: PRODUCERS }, async (_, producer) => {
        const own = accounts.filter((_, index) => index % PRODUCERS === producer);
        for (let send = 0; send < SENDS / PRODUCERS; send += 1) {
          produced.push(...(await stack.produce(own[randomInt(own.length)], randomInt(1, 4))));
          await new Promise((resolve) => setTimeout(resolve, randomInt(0, 200)));
        }
      }),
    );
    await waitForEvents(listener, produced, 30_000);
    // Let the last requests' lane advances commit before looking at the lanes.
    await waitFor(
      'every lane idle',
      async () => (await stack.count(`SELECT count(*) AS n FROM lanes WHERE busy`)) === 0,
      5000,
    );

    const receipts = receiptsOf(listener.requests);
    expect(receipts).toHaveLength(produced.length);
    for (const accountId of accounts) {
      const ofAccount = receipts.filter((receipt) => receipt.accountId === accountId);
      expect(firstReceiptOrder(ofAccount)).toEqual(stack.produced(accountId));
    }
    expect(await stack.count(`SELECT count(*) AS n FROM lane_waiting_items`)).toBe(0);
    expect(
      await stack.count(
        `SELECT count(*) AS n FROM lanes l WHERE l.busy AND NOT EXISTS (
           SELECT 1 FROM deliveries d WHERE d.webhook_id = l.webhook_id AND d.kind = l.kind AND d.status IN ${OPEN_DELIVERY_STATUSES_SQL})`,
      ),
    ).toBe(0);
    expect(await stack.count(`SELECT count(*) AS n FROM deliveries WHERE status <> 'SUCCEEDED'`)).toBe(0);
    const metrics = dispatcher.app.get(Metrics);
    expect((await metrics.relayRequeued.get()).values.reduce((sum, value) => sum + value.value, 0)).toBe(0);
    expect(
      (await metrics.laneWakeUps.get()).values.find((value) => value.labels.source === 'relay')?.value ?? 0,
    ).toBe(0);
    // Nor did the dispatcher's sweep (the net for a lost announcement) find a lane to move: every
    // wake-up came from an announcement.
    const heard = await metrics.laneWakeUpsHeard.get();
    const bySource = Object.fromEntries(
      heard.values.map((value) => [String(value.labels.source), value.value]),
    );
    expect(bySource.sweep ?? 0).toBe(0);
    expect(bySource.notify ?? 0).toBeGreaterThanOrEqual(SENDS / 3);

    // The race was driven: lanes went idle and were woken again many times.
    const activations = await stack.count(`SELECT sum(activations) AS n FROM lanes WHERE kind = 'REALTIME'`);
    console.log(
      `wake-up race: ${produced.length} events in ${listener.requests.length} requests, ${activations} lane activations`,
    );
    expect(activations).toBeGreaterThanOrEqual(SENDS / 3);
    expect(await stack.ingestionMetric('lmsw_lane_wakeups_total', 'source="ingestion"')).toBe(activations);
  });
});
