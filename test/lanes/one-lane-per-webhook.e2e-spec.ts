import { startListener, waitFor, type TestListener } from '@lms/testing';
import { randomInt } from 'node:crypto';
import { startDispatcher, type RunningDispatcher } from '../dispatcher/support/dispatcher-harness';
import { LaneStack, receiptsOf, waitForEvents } from './support/lane-stack';

jest.setTimeout(90_000);

const EVENTS = 200;

/**
 * Order is per webhook (issue 9): webhook A's listener answers 500 for ever and blocks A's lane, but
 * webhook B of the same account gets every event promptly and in order. Real Kafka, ingestion,
 * Postgres, Redis, dispatcher.
 */
describe('lanes: one failing webhook never holds up another of the same account', () => {
  let stack: LaneStack;
  let dispatcher: RunningDispatcher;
  let failing: TestListener;
  let healthy: TestListener;
  const accountId = randomInt(100_000, 1_000_000_000);

  beforeAll(async () => {
    stack = await LaneStack.start('lane_per_webhook', {
      dispatcher: { RETRY_SCHEDULE: '100ms,200ms' },
    });
    failing = await startListener(() => ({ status: 500 }));
    healthy = await startListener(() => ({ status: 204 }));
    // Small requests, so B's 200 events take many round trips while A keeps failing.
    await stack.webhook(accountId, failing.url, { maxEventsPerRequest: 10 });
    await stack.webhook(accountId, healthy.url, { maxEventsPerRequest: 10 });
    dispatcher = await startDispatcher(stack.dispatcherEnv);
  });

  afterAll(async () => {
    await dispatcher?.close();
    await failing?.close();
    await healthy?.close();
    await stack?.close();
  });

  it('B receives every event in order while A retries its first request', async () => {
    const produced: string[] = [];
    for (let batch = 0; batch < 10; batch += 1) {
      produced.push(...(await stack.produce(accountId, EVENTS / 10)));
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    const startedAt = Date.now();
    await waitForEvents(healthy, produced, 15_000);
    console.log(
      `one lane per webhook: B had all ${EVENTS} events ${Date.now() - startedAt} ms after the last send`,
    );

    expect(receiptsOf(healthy.requests).map((receipt) => receipt.eventId)).toEqual(produced);
    await waitFor('A to have been retried', () => failing.requests.length >= 3);
    // A's lane is blocked behind its first request: every request to A is that one, retried.
    const toA = receiptsOf(failing.requests);
    expect(new Set(toA.map((receipt) => receipt.webhookMessageId)).size).toBe(1);
    expect(toA.map((receipt) => receipt.eventId).every((id) => produced.slice(0, 10).includes(id))).toBe(
      true,
    );
  });
});
