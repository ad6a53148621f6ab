import { waitFor } from '@lms/testing';
import { expectEveryEventDelivered } from './support/delivery-ledger';
import { DISPATCH_CONCURRENCY, FAULT_EVENTS, FaultHarness } from './support/fault-harness';

const DELIVERY_TIMEOUT_MS = 1_000;
/**
 * Failed attempts each failure phase records before the next: about what the former 3 s phases held
 * on a quick machine (8 webhooks, one request in flight each, ~1.2 s per timed-out round).
 */
const PHASE_ATTEMPTS = 20;

jest.setTimeout(300_000);

describe('fault: the listener times out, then answers 500, then recovers', () => {
  let harness: FaultHarness;

  beforeAll(async () => {
    harness = await FaultHarness.start({
      label: 'listener_outage',
      dispatchers: 2,
      deliveryTimeoutMs: DELIVERY_TIMEOUT_MS,
    });
  });

  afterAll(async () => {
    await harness?.close();
  });

  async function recordedAttempts(what: string, condition: string): Promise<void> {
    await waitFor(
      `${PHASE_ATTEMPTS} attempts ${what} recorded`,
      async () => {
        const [row] = await harness.stack.query<{ count: string }>(
          `SELECT count(*) AS count FROM delivery_attempts WHERE ${condition}`,
        );
        return Number(row.count) >= PHASE_ATTEMPTS;
      },
      120_000,
      100,
    );
  }

  it('retries through both failure modes and delivers every event once the listener is back', async () => {
    const producing = harness.produceSteady('lo');
    await harness.waitUntilAcknowledged('lo', Math.floor(FAULT_EVENTS * 0.25));
    // Answers only after the sender has given up (DELIVERY_TIMEOUT_MS): the attempt is a timeout.
    harness.answer(() => ({ status: 204, delayMs: DELIVERY_TIMEOUT_MS * 2 }));
    // Each phase lasts until the dispatchers have recorded PHASE_ATTEMPTS of its failures, not a
    // number of seconds: on a slow machine a timed phase may hold none of them.
    await recordedAttempts('timed out', `status_code IS NULL AND error LIKE 'TIMEOUT%'`);
    harness.answer(() => ({ status: 500, body: 'listener broken' }));
    await recordedAttempts('answered 500', 'status_code = 500');
    harness.answer(() => ({ status: 204 }));
    await producing;

    const summary = await harness.settle('lo', FAULT_EVENTS);
    await harness.report(
      'lo',
      'listener timeouts then 500s then recovery',
      summary,
      DISPATCH_CONCURRENCY * 2,
    );
    expectEveryEventDelivered(summary, DISPATCH_CONCURRENCY * 2);
    expect(summary.unacknowledgedAttempts).toBeGreaterThan(0);
    // The failures were recorded as attempts, and nothing was given up on.
    const [row] = await harness.stack.query<{ retried: string; unfinished: string }>(
      `SELECT (SELECT count(*) FROM deliveries WHERE attempt_count > 1) AS retried,
              (SELECT count(*) FROM deliveries WHERE status <> 'SUCCEEDED') AS unfinished`,
    );
    expect(Number(row.retried)).toBeGreaterThan(0);
    expect(Number(row.unfinished)).toBe(0);
  });
});
