import {
  productionPosition,
  type ListenerBehaviour,
  type ListenerReply,
  type LoadPlan,
  type ReceivedRequest,
} from '@lms/testing';

export interface LedgerSummary {
  expected: number;
  delivered: number;
  missing: number;
  /** Acknowledged (2xx) copies of an event beyond the first. */
  duplicates: number;
  /**
   * Of those, copies carried by a *different* delivery id than the first: the same event turned into
   * two deliveries (an ingestion de-duplication failure), as opposed to one delivery sent again.
   */
  duplicatesAcrossDeliveries: number;
  /**
   * Acknowledged requests that repeated a delivery already acknowledged (same `webhook-id`): a request
   * in flight at the fault sent again. Each repeats all its events, so `duplicates` is up to
   * maxEventsPerRequest times this.
   */
  repeatedDeliveries: number;
  /** Requests that reached the listener but were not acknowledged (500s, answers after the sender gave up). */
  unacknowledgedAttempts: number;
  missingSample: string[];
  /**
   * Events whose first acknowledged receipt on their lane (webhook) came after that of an event their
   * account produced later: each one reached the receiver out of order.
   */
  orderViolations: number;
  /** The same, judged on the first receipt whatever the answer (a copy the listener refused or answered late). */
  orderViolationsFirstSeen: number;
  /** Up to 5 violations: lane, the late event and the later-produced event that overtook it. */
  orderViolationSample: string[];
  /** Lanes (webhooks) that received events of the run. */
  lanes: number;
  /** Receive time minus the event's timestamp (= when the load generator scheduled it), first copy. */
  maxLatencyMs: number;
  p99LatencyMs: number;
}

interface EnvelopeShape {
  events?: { eventId?: string; timestamp?: number }[];
}

/** The first receipt of one event on its lane: `receipt` counts requests in arrival order, `slot` its place in the body. */
interface FirstReceipt {
  eventId: string;
  receipt: number;
  slot: number;
}

/**
 * Counts what a receiver actually accepted, event by event: only a request answered 2xx in time is a
 * delivery. Event ids are `<run>-<sequence>` (as the load generator makes them), so "every event of
 * the run exactly once" can be checked by sequence.
 */
export class DeliveryLedger {
  private readonly acknowledged = new Map<string, number>();
  private readonly latencies = new Map<string, number>();
  /** eventId → every acknowledged copy (delivery id, receive time): duplicates are explained, not just counted. */
  private readonly copies = new Map<string, { deliveryId: string; receivedAt: number }[]>();
  /** run → delivery id → acknowledged requests carrying it. */
  private readonly deliveries = new Map<string, Map<string, number>>();
  /**
   * Lane (the webhook's target path) → eventId → first receipt. Each fault webhook is one account's
   * lane for one event name, so an account's production order must hold within it.
   */
  private readonly firstAcknowledged = new Map<string, Map<string, FirstReceipt>>();
  private readonly firstSeen = new Map<string, Map<string, FirstReceipt>>();
  private receipts = 0;
  private unacknowledged = 0;

  constructor(private readonly plan: LoadPlan) {}

  /** Wraps a listener behaviour: the reply decides whether the request counts as delivered. */
  behaviour(
    decide: (request: ReceivedRequest, index: number) => ListenerReply,
    responseTimeoutMs: number,
  ): ListenerBehaviour {
    return (request, index) => {
      const reply = decide(request, index);
      const inTime = (reply.delayMs ?? 0) < responseTimeoutMs / 2;
      const acknowledged = reply.status >= 200 && reply.status < 300 && inTime;
      const envelope = parseEnvelope(request);
      this.receipts += 1;
      if (envelope) this.recordFirstReceipts(this.firstSeen, request, envelope, this.receipts);
      if (acknowledged && envelope) {
        this.recordFirstReceipts(this.firstAcknowledged, request, envelope, this.receipts);
        this.acknowledge(request, envelope);
      }
      if (!acknowledged) this.unacknowledged += 1;
      return reply;
    };
  }

  acknowledgedEvents(run: string): number {
    let count = 0;
    for (const eventId of this.acknowledged.keys()) if (eventId.startsWith(`${run}-`)) count += 1;
    return count;
  }

  summary(run: string, expected: number): LedgerSummary {
    let delivered = 0;
    let duplicates = 0;
    let duplicatesAcrossDeliveries = 0;
    const missingSample: string[] = [];
    for (let sequence = 0; sequence < expected; sequence += 1) {
      const times = this.acknowledged.get(`${run}-${sequence}`) ?? 0;
      if (times > 0) delivered += 1;
      else if (missingSample.length < 10) missingSample.push(`${run}-${sequence}`);
      duplicates += Math.max(0, times - 1);
      const copies = this.copies.get(`${run}-${sequence}`);
      if (copies && copies.length > 1)
        duplicatesAcrossDeliveries += new Set(copies.map((copy) => copy.deliveryId)).size - 1;
    }
    const acknowledgedOrder = this.orderViolations(this.firstAcknowledged, run);
    const seenOrder = this.orderViolations(this.firstSeen, run);
    const latencies = [...this.latencies.entries()]
      .filter(([id]) => id.startsWith(`${run}-`))
      .map(([, ms]) => ms)
      .sort((a, b) => a - b);
    return {
      expected,
      delivered,
      missing: expected - delivered,
      duplicates,
      duplicatesAcrossDeliveries,
      repeatedDeliveries: [...(this.deliveries.get(run)?.values() ?? [])].reduce(
        (sum, times) => sum + times - 1,
        0,
      ),
      unacknowledgedAttempts: this.unacknowledged,
      missingSample,
      orderViolations: acknowledgedOrder.count,
      orderViolationsFirstSeen: seenOrder.count,
      orderViolationSample: acknowledgedOrder.sample,
      lanes: acknowledgedOrder.lanes,
      maxLatencyMs: latencies.at(-1) ?? 0,
      p99LatencyMs: latencies[Math.max(0, Math.ceil(latencies.length * 0.99) - 1)] ?? 0,
    };
  }

  /** Up to `limit` duplicated events of `run` with each copy's delivery id and receive time. */
  duplicateSample(
    run: string,
    limit = 5,
  ): { eventId: string; copies: { deliveryId: string; receivedAt: number }[] }[] {
    const sample: { eventId: string; copies: { deliveryId: string; receivedAt: number }[] }[] = [];
    for (const [eventId, copies] of this.copies) {
      if (sample.length >= limit) break;
      if (eventId.startsWith(`${run}-`) && copies.length > 1) sample.push({ eventId, copies });
    }
    return sample;
  }

  latencyOf(eventId: string): number | undefined {
    return this.latencies.get(eventId);
  }

  /** Per lane, walks the run's first receipts in arrival order and counts events that came after a later-produced one. */
  private orderViolations(
    firsts: Map<string, Map<string, FirstReceipt>>,
    run: string,
  ): { count: number; sample: string[]; lanes: number } {
    let count = 0;
    let lanes = 0;
    const sample: string[] = [];
    for (const [lane, events] of firsts) {
      const received = [...events.values()]
        .filter((first) => first.eventId.startsWith(`${run}-`))
        .sort((a, b) => a.receipt - b.receipt || a.slot - b.slot);
      if (received.length === 0) continue;
      lanes += 1;
      const latestByAccount = new Map<number, { eventId: string; accountSequence: number }>();
      for (const first of received) {
        const position = productionPosition(this.plan, Number(first.eventId.slice(run.length + 1)));
        const latest = latestByAccount.get(position.accountId);
        if (latest && position.accountSequence < latest.accountSequence) {
          count += 1;
          if (sample.length < 5)
            sample.push(`${lane}: ${first.eventId} arrived after ${latest.eventId}, produced later`);
        } else {
          latestByAccount.set(position.accountId, { eventId: first.eventId, ...position });
        }
      }
    }
    return { count, sample, lanes };
  }

  private recordFirstReceipts(
    firsts: Map<string, Map<string, FirstReceipt>>,
    request: ReceivedRequest,
    envelope: EnvelopeShape,
    receipt: number,
  ): void {
    let lane = firsts.get(request.path);
    if (!lane) firsts.set(request.path, (lane = new Map()));
    (envelope.events ?? []).forEach((event, slot) => {
      if (typeof event.eventId === 'string' && !lane.has(event.eventId))
        lane.set(event.eventId, { eventId: event.eventId, receipt, slot });
    });
  }

  private acknowledge(request: ReceivedRequest, envelope: EnvelopeShape): void {
    const firstId = envelope.events?.[0]?.eventId;
    if (typeof firstId === 'string') {
      const run = firstId.slice(0, firstId.lastIndexOf('-'));
      const deliveryId = String(request.headers['webhook-id'] ?? '');
      let ofRun = this.deliveries.get(run);
      if (!ofRun) this.deliveries.set(run, (ofRun = new Map()));
      ofRun.set(deliveryId, (ofRun.get(deliveryId) ?? 0) + 1);
    }
    for (const event of envelope.events ?? []) {
      if (typeof event.eventId !== 'string') continue;
      this.acknowledged.set(event.eventId, (this.acknowledged.get(event.eventId) ?? 0) + 1);
      const copy = {
        deliveryId: String(request.headers['webhook-id'] ?? ''),
        receivedAt: request.receivedAt,
      };
      const copies = this.copies.get(event.eventId);
      if (copies) copies.push(copy);
      else this.copies.set(event.eventId, [copy]);
      if (!this.latencies.has(event.eventId) && typeof event.timestamp === 'number') {
        this.latencies.set(event.eventId, request.receivedAt - event.timestamp);
      }
    }
  }
}

function parseEnvelope(request: ReceivedRequest): EnvelopeShape | undefined {
  try {
    return JSON.parse(request.body) as EnvelopeShape;
  } catch {
    return undefined;
  }
}

/**
 * What every fault scenario must end with: every produced event delivered, none lost, no event carried
 * by two deliveries, repeated requests within what was in flight at the fault (a request carries many
 * events of its lane, so the bound is on requests, not on event copies), and on every lane each event
 * first received in the order its account produced it (webhooks keep maxInFlight 1).
 */
export function expectEveryEventDelivered(
  summary: LedgerSummary,
  inFlightBound = Number.POSITIVE_INFINITY,
): void {
  expect(summary.missing).toBe(0);
  expect(summary.delivered).toBe(summary.expected);
  expect(summary.duplicatesAcrossDeliveries).toBe(0);
  expect(summary.repeatedDeliveries).toBeLessThanOrEqual(inFlightBound);
  expect(summary.orderViolationSample).toEqual([]);
  expect(summary.orderViolations).toBe(0);
  expect(summary.orderViolationsFirstSeen).toBe(0);
}
