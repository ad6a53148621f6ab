import type { ListenerBehaviour, ListenerReply, ReceivedRequest } from '@lms/testing';

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
  /** Requests that reached the listener but were not acknowledged (500s, answers after the sender gave up). */
  unacknowledgedAttempts: number;
  missingSample: string[];
  /** Receive time minus the event's timestamp (= when the load generator scheduled it), first copy. */
  maxLatencyMs: number;
  p99LatencyMs: number;
}

interface EnvelopeShape {
  events?: { eventId?: string; timestamp?: number }[];
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
  private unacknowledged = 0;

  /** Wraps a listener behaviour: the reply decides whether the request counts as delivered. */
  behaviour(
    decide: (request: ReceivedRequest, index: number) => ListenerReply,
    responseTimeoutMs: number,
  ): ListenerBehaviour {
    return (request, index) => {
      const reply = decide(request, index);
      const inTime = (reply.delayMs ?? 0) < responseTimeoutMs / 2;
      if (reply.status >= 200 && reply.status < 300 && inTime) this.acknowledge(request);
      else this.unacknowledged += 1;
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
      unacknowledgedAttempts: this.unacknowledged,
      missingSample,
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

  private acknowledge(request: ReceivedRequest): void {
    let envelope: EnvelopeShape;
    try {
      envelope = JSON.parse(request.body) as EnvelopeShape;
    } catch {
      return;
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

/**
 * What every fault scenario must end with: every produced event delivered, none lost, no event carried
 * by two deliveries, and repeats of one delivery within what was in flight at the fault.
 */
export function expectEveryEventDelivered(
  summary: LedgerSummary,
  duplicateBound = Number.POSITIVE_INFINITY,
): void {
  expect(summary.missing).toBe(0);
  expect(summary.delivered).toBe(summary.expected);
  expect(summary.duplicatesAcrossDeliveries).toBe(0);
  expect(summary.duplicates).toBeLessThanOrEqual(duplicateBound);
}
