import {
  startAppProcess,
  startListener,
  stopAppProcess,
  waitFor,
  type AppProcess,
  type TestListener,
} from '@lms/testing';
import { randomInt } from 'node:crypto';
import { firstReceiptOrder, LaneStack, receiptsOf, waitForEvents } from './support/lane-stack';

jest.setTimeout(120_000);

const ACCOUNTS = 10;
const ROUNDS = 20;
const PER_ROUND = 10;
const EVENTS = ACCOUNTS * ROUNDS * PER_ROUND;
const EVENTS_PER_REQUEST = 10;

/**
 * Order across replicas (issue 9, item 6): two dispatcher processes work ten lanes; one is SIGKILLed
 * mid-run. Its in-flight requests are re-sent by the survivor after the Bull lock expires, with the
 * same webhook-id, and each lane's first receipts stay in production order; every event arrives.
 * Dispatchers run from dist/ as real processes (run `npm run build` first); ingestion in this process.
 */
describe('lanes: order per lane survives a SIGKILLed dispatcher', () => {
  let stack: LaneStack;
  let listener: TestListener;
  const replicas: AppProcess[] = [];
  const accounts = Array.from(
    { length: ACCOUNTS },
    (_, index) => randomInt(100_000, 1_000_000_000) * 100 + index,
  );

  beforeAll(async () => {
    stack = await LaneStack.start('lane_replicas', {
      dispatcher: {
        // The relay is the net for a kill between a lane's commit and its enqueue: let it act in time.
        RELAY_INTERVAL_MS: '1s',
        RELAY_GRACE_MS: '5s',
        DISPATCH_CONCURRENCY: '10',
        QUEUE_LOCK_DURATION_MS: '3s',
        QUEUE_STALLED_INTERVAL_MS: '1s',
        SHUTDOWN_GRACE_MS: '5s',
      },
    });
    listener = await startListener(() => ({ status: 204, delayMs: 30 }));
    for (const accountId of accounts) {
      await stack.webhook(accountId, listener.url, { maxEventsPerRequest: EVENTS_PER_REQUEST });
    }
    replicas.push(await startAppProcess('dispatcher', stack.dispatcherEnv));
    replicas.push(await startAppProcess('dispatcher', stack.dispatcherEnv));
  });

  afterAll(async () => {
    for (const replica of replicas) await stopAppProcess(replica, 'SIGKILL');
    await listener?.close();
    await stack?.close();
  });

  it('every event arrives; per lane the first receipts are in production order; re-sends are whole requests', async () => {
    const producing = (async () => {
      for (let round = 0; round < ROUNDS; round += 1) {
        for (const accountId of accounts) await stack.produce(accountId, PER_ROUND);
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
    })();
    const distinctReceived = () =>
      new Set(receiptsOf(listener.requests).map((receipt) => receipt.eventId)).size;
    await waitFor('a quarter of the events received', () => distinctReceived() >= EVENTS / 4, 30_000, 5);
    replicas[0].child.kill('SIGKILL');
    await replicas[0].exited;
    const atKill = distinctReceived();
    await producing;

    const produced = accounts.flatMap((accountId) => stack.produced(accountId));
    expect(produced).toHaveLength(EVENTS);
    await waitForEvents(listener, produced, 45_000);
    expect(atKill).toBeLessThan(EVENTS);

    const receipts = receiptsOf(listener.requests);
    for (const accountId of accounts) {
      const ofAccount = receipts.filter((receipt) => receipt.accountId === accountId);
      expect(firstReceiptOrder(ofAccount)).toEqual(stack.produced(accountId));
    }
    // A repeated request is the same delivery (same webhook-id, same events), sent again; at most
    // the requests in flight at the kill, one per lane.
    const bodiesById = new Map<string, string>();
    const repeated = new Set<string>();
    for (const request of listener.requests) {
      const id = String(request.headers['webhook-id']);
      const events = JSON.stringify((JSON.parse(request.body) as { events: unknown[] }).events);
      const earlier = bodiesById.get(id);
      if (earlier === undefined) bodiesById.set(id, events);
      else {
        expect(events).toBe(earlier);
        repeated.add(id);
      }
    }
    console.log(
      `replicas: ${EVENTS} events in ${listener.requests.length} requests, ${atKill} received at the kill, ${repeated.size} requests re-sent`,
    );
    expect(repeated.size).toBeLessThanOrEqual(ACCOUNTS);
    expect(receipts.length - EVENTS).toBeLessThanOrEqual(ACCOUNTS * EVENTS_PER_REQUEST);

    expect(await stopAppProcess(replicas[1])).toBe(0);
  });
});
