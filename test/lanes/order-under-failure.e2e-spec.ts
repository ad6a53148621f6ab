import { startListener, waitUntilNothingLeftToSend, type TestListener } from '@lms/testing';
import { randomInt } from 'node:crypto';
import { startDispatcher, type RunningDispatcher } from '../dispatcher/support/dispatcher-harness';
import { LaneStack, receiptsOf, waitForEvents } from './support/lane-stack';

jest.setTimeout(90_000);

const EVENTS = 50;
const FAILURES = 3;

/**
 * Order under failure (issue 9): a request that keeps failing blocks its lane. The listener answers
 * 500 to the request holding the 3rd event three times, then 200; the 47 events behind it wait, and
 * then arrive once each, in production order. Real Kafka, ingestion, Postgres, Redis, dispatcher.
 */
describe('lanes: a failing request blocks the events behind it', () => {
  let stack: LaneStack;
  let dispatcher: RunningDispatcher;
  let listener: TestListener;
  const accountId = randomInt(100_000, 1_000_000_000);
  let third = '';
  const statuses: number[] = [];
  let failuresLeft = FAILURES;

  beforeAll(async () => {
    stack = await LaneStack.start('lane_order_failure', {
      dispatcher: { RETRY_SCHEDULE: '100ms,200ms', RETRY_JITTER_PERCENT: '0' },
    });
    listener = await startListener((request) => {
      const carriesThird = request.body.includes(`"${third}"`);
      const status = carriesThird && failuresLeft-- > 0 ? 500 : 200;
      statuses.push(status);
      return { status };
    });
    // One event per request, so "the request holding the 3rd event" holds nothing else, and any
    // request sent beside it (parallel work) would carry a later event.
    await stack.webhook(accountId, listener.url, { maxEventsPerRequest: 1 });
    dispatcher = await startDispatcher(stack.dispatcherEnv);
  });

  afterAll(async () => {
    await dispatcher?.close();
    await listener?.close();
    await stack?.close();
  });

  it('delivers every event once, in production order, and nothing after the 3rd before it was acknowledged', async () => {
    const produced = await stack.produce(accountId, EVENTS, (ids) => {
      third = ids[2];
    });
    await waitForEvents(listener, produced);
    await waitUntilNothingLeftToSend(stack.pool, accountId);

    const receipts = receiptsOf(listener.requests);
    const accepted = receipts.filter((receipt) => statuses[receipt.requestIndex] === 200);
    // Exactly once: every accepted receipt is a distinct event, and together they are all, in order.
    expect(accepted.map((receipt) => receipt.eventId)).toEqual(produced);

    const thirdRequests = receipts.filter((receipt) => receipt.eventId === third);
    expect(thirdRequests.map((receipt) => statuses[receipt.requestIndex])).toEqual([500, 500, 500, 200]);
    // A retry of the same request: the same webhook-id each time.
    expect(new Set(thirdRequests.map((receipt) => receipt.webhookMessageId)).size).toBe(1);
    const acknowledgedAt = thirdRequests[FAILURES].requestIndex;
    const firstFailureAt = thirdRequests[0].requestIndex;
    // Between the first failure and the acknowledgement, the listener saw only the retries.
    expect(listener.requests.length).toBe(EVENTS + FAILURES);
    expect(acknowledgedAt - firstFailureAt).toBe(FAILURES);
    const later = new Set(produced.slice(3));
    const laterBeforeAck = receipts.filter(
      (receipt) => later.has(receipt.eventId) && receipt.requestIndex < acknowledgedAt,
    );
    expect(laterBeforeAck).toEqual([]);
    // The events behind it were waiting all along (produced long before the 3rd was accepted).
    expect(
      listener.requests[acknowledgedAt].receivedAt - listener.requests[firstFailureAt].receivedAt,
    ).toBeGreaterThanOrEqual(400);
  });
});
