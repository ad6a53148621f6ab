import type { EventName } from '@lms/payload-schemas';
import {
  connectBenchProducer,
  createBenchKafka,
  IsolatedStack,
  peakOverlap,
  producePaced,
  sendPersistently,
  startDrippingListener,
  startListener,
  TEST_KAFKA_BROKERS,
  waitFor,
  wireEvent,
  type DrippingListener,
  type LoadPlan,
  type ReceivedRequest,
  type TestListener,
} from '@lms/testing';
import type { Kafka, Producer } from 'kafkajs';
import { firstReceiptOrder, receiptsOf } from '../lanes/support/lane-stack';

// In the fault suite (run one file at a time): the bound compares the quiet account's latency beside the
// noise with its latency alone, so other test files sharing the two cores must not move either.
jest.setTimeout(120_000);

const EVENT: EventName = 'COURSE_COMPLETED';
const QUIET = 8801;
const NUL = 8802;
const RETRY_AFTER_ZERO = 8803;
const DRIP = 8804;
const SLOW = 8805;

const DISPATCH_CONCURRENCY = 20;
const ACCOUNT_MAX_SHARE_PERCENT = 25;
/** What one account may hold of the dispatcher: 25 % of 20. */
const ACCOUNT_SLOTS = 5;
const DELIVERY_TIMEOUT_MS = 2_000;
const RETRY_STEP_MS = 2_000;
/** Slow, but inside the deadline: these requests succeed, each holding a worker slot meanwhile. */
const SLOW_ANSWER_MS = 1_500;
const DRIP_INTERVAL_MS = 300;
/** Webhooks per noisy account, each with the largest maxInFlight and one event per request. */
const NOISY_WEBHOOKS = 3;
const NOISY_MAX_IN_FLIGHT = 50;
/** Each noisy event goes to all of its account's webhooks: 3 × 50 requests want to be in flight at once. */
const NOISY_EVENTS = 50;
const QUIET_RATE = 25;
const QUIET_BASELINE_EVENTS = 100;
const QUIET_LOADED_EVENTS = 200;

const plan = (accountId: number): LoadPlan => ({ accountIds: [accountId], eventNames: [EVENT] });

function p99(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.max(0, Math.ceil(sorted.length * 0.99) - 1)];
}

/** Each event's latency: when the listener got it (first time) minus the time it was due on Kafka. */
function latencies(requests: readonly ReceivedRequest[], eventIds: ReadonlySet<string>): number[] {
  const seen = new Map<string, number>();
  for (const request of requests) {
    const body = JSON.parse(request.body) as { events: Array<{ eventId: string; timestamp: number }> };
    for (const event of body.events) {
      if (eventIds.has(event.eventId) && !seen.has(event.eventId))
        seen.set(event.eventId, request.receivedAt - event.timestamp);
    }
  }
  return [...seen.values()];
}

/**
 * No tenant can hurt another (issue 15), on the real stack: ingestion and a dispatcher as processes,
 * real Kafka, Postgres and Redis, listeners on 127.0.0.1. While four accounts misbehave — a listener
 * answering 200 with a NUL byte, one answering 429 with Retry-After: 0, one dripping a byte every
 * 300 ms for ever, and slow ones whose webhooks (maxInFlight 50) want far more than the dispatcher's
 * whole concurrency — a fifth account's events all arrive once, in order, about as fast as when it
 * was alone.
 */
describe('noisy neighbours: one account stays served while others misbehave', () => {
  let kafka: Kafka;
  let producer: Producer;
  let stack: IsolatedStack;
  let quiet: TestListener;
  let nul: TestListener;
  let retryAfterZero: TestListener;
  let slow: TestListener;
  let drip: DrippingListener;
  const slowRepliedAt = new Map<ReceivedRequest, number>();

  beforeAll(async () => {
    quiet = await startListener(() => ({ status: 204 }));
    nul = await startListener(() => ({ status: 200, body: '{"ok":true}\u0000' }));
    retryAfterZero = await startListener(() => ({ status: 429, headers: { 'retry-after': '0' } }));
    slow = await startListener((request) => {
      slowRepliedAt.set(request, request.receivedAt + SLOW_ANSWER_MS);
      return { status: 200, delayMs: SLOW_ANSWER_MS };
    });
    drip = await startDrippingListener(DRIP_INTERVAL_MS);
    kafka = createBenchKafka(TEST_KAFKA_BROKERS, 'lmsw-noisy-neighbours');
    const noisyWebhooks = (accountId: number, url: string) =>
      Array.from({ length: NOISY_WEBHOOKS }, (_, index) => ({
        accountId,
        name: `noisy ${index}`,
        targetUrl: `${url}/${index}`,
        events: [EVENT],
      }));
    stack = await IsolatedStack.create({
      label: 'noisy_neighbours',
      kafka,
      brokers: TEST_KAFKA_BROKERS,
      partitions: 3,
      env: {
        DISPATCH_CONCURRENCY: String(DISPATCH_CONCURRENCY),
        DISPATCH_ACCOUNT_MAX_SHARE_PERCENT: String(ACCOUNT_MAX_SHARE_PERCENT),
        DELIVERY_TIMEOUT_MS: String(DELIVERY_TIMEOUT_MS),
        DELIVERY_CONNECT_TIMEOUT_MS: '1000',
        RETRY_SCHEDULE: `${RETRY_STEP_MS}ms`,
        RETRY_JITTER_PERCENT: '0',
        SHUTDOWN_GRACE_MS: '1s',
      },
      webhooks: () => [
        { accountId: QUIET, name: 'quiet', targetUrl: quiet.url, events: [EVENT] },
        { accountId: NUL, name: 'nul', targetUrl: nul.url, events: [EVENT] },
        { accountId: RETRY_AFTER_ZERO, name: '429', targetUrl: retryAfterZero.url, events: [EVENT] },
        ...noisyWebhooks(DRIP, drip.url),
        ...noisyWebhooks(SLOW, slow.url),
      ],
    });
    // As an operator would set them on the noisy accounts' webhooks: the widest lanes there are.
    await stack.query(
      `UPDATE webhooks SET max_in_flight = $1, max_events_per_request = 1 WHERE account_id = ANY($2)`,
      [NOISY_MAX_IN_FLIGHT, [DRIP, SLOW]],
    );
    await stack.startIngestion();
    await stack.startDispatchers(1);
    producer = await connectBenchProducer(kafka);
  });

  afterAll(async () => {
    await producer?.disconnect();
    // Listeners first: the dispatcher's in-flight requests end at once, so it stops quickly.
    await Promise.all([quiet, nul, retryAfterZero, slow, drip].map((listener) => listener?.close()));
    await stack?.close();
  });

  const produce = async (accountId: number, run: string, count: number) => {
    const now = Date.now();
    const messages = Array.from({ length: count }, (_, sequence) =>
      wireEvent(plan(accountId), run, sequence, now),
    );
    await sendPersistently(producer, stack.topic, messages);
    return messages.map((_, sequence) => `${run}-${sequence}`);
  };

  const produceQuiet = async (run: string, count: number) => {
    await producePaced(producer, stack.topic, plan(QUIET), run, count, QUIET_RATE);
    const ids = Array.from({ length: count }, (_, sequence) => `${run}-${sequence}`);
    await waitFor(
      `${count} quiet events of ${run} at the listener`,
      () => {
        const got = new Set(receiptsOf(quiet.requests).map((receipt) => receipt.eventId));
        return ids.every((id) => got.has(id));
      },
      30_000,
    );
    return ids;
  };

  it('keeps the quiet account whole and fast, records the NUL answer, honours the schedule and the deadline', async () => {
    // 0. Warm-up (consumer fetching, connection pools, JIT), not measured.
    const warmUpIds = await produceQuiet('quiet-warm-up', 25);
    // 1. The quiet account alone: its p99 is the yardstick.
    const baselineIds = await produceQuiet('quiet-alone', QUIET_BASELINE_EVENTS);
    const quietAloneP99 = p99(latencies(quiet.requests, new Set(baselineIds)));

    // 2. The neighbours start, and fill the dispatcher as far as they are let.
    await produce(NUL, 'nul', 5);
    await produce(RETRY_AFTER_ZERO, 'retry-after-zero', 1);
    await produce(DRIP, 'drip', NOISY_EVENTS);
    await produce(SLOW, 'slow', NOISY_EVENTS);
    await waitFor('the dripping and slow accounts holding requests open', () =>
      drip.openNow() >= ACCOUNT_SLOTS && slow.requests.length >= ACCOUNT_SLOTS ? true : undefined,
    );
    await waitFor('a first 429 answered', () => retryAfterZero.requests.length > 0);

    // 3. The quiet account again, beside them.
    const loadedIds = await produceQuiet('quiet-beside-noise', QUIET_LOADED_EVENTS);
    const quietLoadedP99 = p99(latencies(quiet.requests, new Set(loadedIds)));
    const windowEnd = Date.now();

    const report = {
      quietAloneP99,
      quietLoadedP99,
      bound: 2 * quietAloneP99 + 100,
      dripRequests: drip.requests.length,
      slowRequests: slow.requests.length,
      retryAfterZeroRequests: retryAfterZero.requests.length,
      deferrals: await dispatcherMetric('lmsw_account_share_deferrals_total'),
    };
    console.log(`noisy-neighbours: ${JSON.stringify(report)}`);

    // The quiet account: everything, once, in order, and about as fast as alone.
    const receipts = receiptsOf(quiet.requests);
    const produced = [...warmUpIds, ...baselineIds, ...loadedIds];
    expect(receipts.map((receipt) => receipt.eventId).sort()).toEqual([...produced].sort());
    expect(firstReceiptOrder(receipts)).toEqual(produced);
    expect(quietLoadedP99).toBeLessThanOrEqual(2 * quietAloneP99 + 100);

    // Fair share: neither noisy account ever had more than its share of the dispatcher in flight,
    // whatever its webhooks' maxInFlight (3 × 50).
    const slowIntervals = slow.requests.map((request) => ({
      start: request.receivedAt,
      end: slowRepliedAt.get(request) ?? null,
    }));
    const dripIntervals = drip.requests.map((request) => ({
      start: request.arrivedAt,
      end: request.closedAt,
    }));
    expect(peakOverlap(slowIntervals)).toBeLessThanOrEqual(ACCOUNT_SLOTS);
    expect(peakOverlap(dripIntervals)).toBeLessThanOrEqual(ACCOUNT_SLOTS);
    expect(await dispatcherMetric('lmsw_account_share_deferrals_total')).toBeGreaterThan(0);

    // The NUL answer is recorded as delivered, once.
    const nulRows = await stack.query<{ status: string; attempt_count: number }>(
      `SELECT d.status, d.attempt_count FROM deliveries d JOIN webhooks w ON w.id = d.webhook_id
        WHERE w.account_id = $1`,
      [NUL],
    );
    expect(nulRows.length).toBeGreaterThan(0);
    for (const row of nulRows) expect(row).toEqual({ status: 'SUCCEEDED', attempt_count: 1 });

    // Retry-After: 0 cannot shorten the schedule: at most one attempt per step since the first.
    const firstAt = retryAfterZero.requests[0].receivedAt;
    const scheduledAttempts = Math.floor((windowEnd - firstAt) / RETRY_STEP_MS) + 1;
    expect(retryAfterZero.requests.length).toBeLessThanOrEqual(scheduledAttempts);

    // One deadline per attempt: no dripping request lived more than a second past it, ended or not.
    const now = Date.now();
    const overDeadline = drip.requests.filter(
      (request) => (request.closedAt ?? now) - request.arrivedAt > DELIVERY_TIMEOUT_MS + 1_000,
    );
    expect(overDeadline).toEqual([]);
    expect(drip.requests.filter((request) => request.closedAt !== null).length).toBeGreaterThan(0);
    const [longest] = await stack.query<{ max_ms: number | null }>(
      `SELECT max(a.duration_ms)::int AS max_ms FROM delivery_attempts a
         JOIN deliveries d ON d.id = a.delivery_id JOIN webhooks w ON w.id = d.webhook_id
        WHERE w.account_id = $1`,
      [DRIP],
    );
    expect(longest.max_ms).not.toBeNull();
    expect(longest.max_ms).toBeLessThanOrEqual(DELIVERY_TIMEOUT_MS + 1_000);
  });

  async function dispatcherMetric(name: string): Promise<number> {
    const [dispatcher] = stack.dispatchers;
    const text = await (await fetch(`http://127.0.0.1:${dispatcher.port}/metrics`)).text();
    const line = text.split('\n').find((candidate) => candidate.startsWith(`${name} `));
    return line ? Number(line.slice(name.length + 1)) : 0;
  }
});
