import { startListener, waitUntilNothingLeftToSend, type TestListener } from '@lms/testing';
import { randomInt } from 'node:crypto';
import { startDispatcher, type RunningDispatcher } from '../dispatcher/support/dispatcher-harness';
import { LaneStack, OpenRequestGauge, receiptsOf, waitForEvents } from './support/lane-stack';

jest.setTimeout(90_000);

/**
 * Many events per request with no added wait (issue 9): a backlog goes out in requests of up to
 * maxEventsPerRequest, in lane order; maxEventsPerRequest 1 sends one event per request; maxInFlight
 * above 1 overlaps requests, 1 never does. Real Kafka, ingestion, Postgres, Redis, dispatcher.
 */
describe('lanes: coalescing and in-flight limits', () => {
  let stack: LaneStack;
  let dispatcher: RunningDispatcher;
  const listeners: TestListener[] = [];
  const firstAccount = randomInt(100_000, 1_000_000_000);
  let nextAccount = firstAccount;

  beforeAll(async () => {
    stack = await LaneStack.start('lane_coalescing');
    dispatcher = await startDispatcher(stack.dispatcherEnv);
  });

  afterAll(async () => {
    await dispatcher?.close();
    for (const listener of listeners) await listener.close();
    await stack?.close();
  });

  async function laneTo(
    reply: Parameters<typeof startListener>[0],
    limits: { maxInFlight?: number; maxEventsPerRequest?: number } = {},
  ): Promise<{ accountId: number; listener: TestListener }> {
    const listener = await startListener(reply);
    listeners.push(listener);
    nextAccount += 1;
    await stack.webhook(nextAccount, listener.url, limits);
    return { accountId: nextAccount, listener };
  }

  it('2,000 events into a 50 ms listener arrive in order in at most 40 requests', async () => {
    const { accountId, listener } = await laneTo(() => ({ status: 204, delayMs: 50 }));
    const produced: string[] = [];
    for (let sent = 0; sent < 2000; sent += 500) produced.push(...(await stack.produce(accountId, 500)));
    await waitForEvents(listener, produced);

    const receipts = receiptsOf(listener.requests);
    expect(receipts.map((receipt) => receipt.eventId)).toEqual(produced);
    const sizes = listener.requests.map(
      (request) => (JSON.parse(request.body) as { events: unknown[] }).events.length,
    );
    console.log(`coalescing: 2000 events in ${sizes.length} requests (${sizes.join(',')})`);
    expect(sizes.length).toBeLessThanOrEqual(40);
    expect(Math.max(...sizes)).toBeLessThanOrEqual(100);
  });

  it('maxEventsPerRequest 1 sends exactly one event per request, in order', async () => {
    const { accountId, listener } = await laneTo(() => ({ status: 204 }), { maxEventsPerRequest: 1 });
    const produced = await stack.produce(accountId, 30);
    await waitForEvents(listener, produced);
    await waitUntilNothingLeftToSend(stack.pool, accountId);

    expect(listener.requests).toHaveLength(30);
    expect(
      listener.requests.map((request) => (JSON.parse(request.body) as { events: unknown[] }).events.length),
    ).toEqual(Array(30).fill(1));
    expect(receiptsOf(listener.requests).map((receipt) => receipt.eventId)).toEqual(produced);
  });

  it('maxInFlight 5 overlaps requests of one webhook; maxInFlight 1 never does', async () => {
    const HOLD_MS = 200;
    const overlapping = new OpenRequestGauge();
    const serial = new OpenRequestGauge();
    const five = await laneTo(
      () => {
        overlapping.arrived(HOLD_MS);
        return { status: 204, delayMs: HOLD_MS };
      },
      { maxInFlight: 5, maxEventsPerRequest: 1 },
    );
    const one = await laneTo(
      () => {
        serial.arrived(HOLD_MS);
        return { status: 204, delayMs: HOLD_MS };
      },
      { maxInFlight: 1, maxEventsPerRequest: 1 },
    );
    const [fiveEvents, oneEvents] = await Promise.all([
      stack.produce(five.accountId, 20),
      stack.produce(one.accountId, 10),
    ]);
    await Promise.all([waitForEvents(five.listener, fiveEvents), waitForEvents(one.listener, oneEvents)]);

    expect(overlapping.peak).toBeGreaterThanOrEqual(2);
    expect(overlapping.peak).toBeLessThanOrEqual(5);
    expect(serial.peak).toBe(1);
    // With one in flight the order is the lane's; with five, every event still arrives exactly once.
    expect(receiptsOf(one.listener.requests).map((receipt) => receipt.eventId)).toEqual(oneEvents);
    expect(
      receiptsOf(five.listener.requests)
        .map((receipt) => receipt.eventId)
        .sort(),
    ).toEqual([...fiveEvents].sort());
  });
});
