/**
 * Messages between the bench driver and the benchmark receiver (a child process, so counting and
 * answering requests never competes with the driver's event loop, and the driver's timers never slow
 * the receiver down).
 *
 * Event ids are `<run>-<sequence>`: the receiver groups everything it sees by run, and the driver
 * knows how many events of each run it produced, so every run can be balanced.
 */
export type DriverToReceiver =
  | { type: 'configure'; requestId: number; secretsByPath: Record<string, string>; verifyEvery: number }
  | { type: 'stats'; requestId: number; run: string; expected: number; listMissing?: number }
  | { type: 'ceiling-stats'; requestId: number }
  | { type: 'forget'; requestId: number; run: string };

export type ReceiverToDriver =
  | { type: 'listening'; port: number }
  | { type: 'ack'; requestId: number }
  | { type: 'stats'; requestId: number; stats: RunStats }
  | {
      type: 'ceiling-stats';
      requestId: number;
      requests: number;
      firstAt: number | null;
      lastAt: number | null;
    };

export interface LatencySummary {
  count: number;
  p50: number;
  p95: number;
  p99: number;
  max: number;
  mean: number;
}

/** Everything the receiver saw of one run. Times are epoch milliseconds. */
export interface RunStats {
  run: string;
  requests: number;
  /** Distinct `webhook-id` headers (= distinct deliveries). */
  uniqueDeliveries: number;
  /** Requests whose `webhook-id` was seen before (a delivery sent again). */
  repeatedDeliveries: number;
  uniqueEvents: number;
  /** Event occurrences beyond the first, per event id. */
  duplicateEvents: number;
  /** Event ids of this run outside 0..expected-1: the run cannot balance if any. */
  unknownEvents: number;
  /** Up to `listMissing` sequence numbers never received. */
  missingSample: number[];
  firstReceivedAt: number | null;
  lastReceivedAt: number | null;
  /** Receive time minus each event's scheduled produce time (its `timestamp`), first copy only. */
  latencyMs: LatencySummary | null;
  /** Events of the run in each request body (every request, repeats included). */
  eventsPerRequest: LatencySummary | null;
  signaturesChecked: number;
  signatureFailures: number;
  malformedRequests: number;
}
