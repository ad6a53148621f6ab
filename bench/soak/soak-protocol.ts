/**
 * Messages between the soak driver and its receiver (a child process, as the bench's: counting and
 * answering requests never competes with the driver's producer). Event ids are `<run>-<sequence>`.
 */
import type { SparseHistogram } from './latency-histogram';
import type { ListenerKind, SoakPlan } from './soak-plan';

export type DriverToSoakReceiver =
  | { type: 'configure'; requestId: number; plan: SoakPlan; run: string; warmUpRun: string; events: number }
  | { type: 'window'; requestId: number }
  | { type: 'totals'; requestId: number; produced: number };

export type SoakReceiverToDriver =
  | { type: 'listening'; port: number }
  | { type: 'ack'; requestId: number }
  | { type: 'window'; requestId: number; window: SoakWindow }
  | { type: 'totals'; requestId: number; totals: SoakTotals };

/** What arrived since the previous window was closed (events of the soak run only). */
export interface SoakWindow {
  startedAt: number;
  endedAt: number;
  /** Healthy accounts: receive time minus the event's scheduled produce time, first acknowledged copy. */
  healthyLatency: SparseHistogram;
  /** Events acknowledged for the first time, per kind. */
  delivered: Record<ListenerKind, number>;
  requests: Record<ListenerKind, number>;
}

export interface SoakTotals {
  /** Of the first `produced` sequences: acknowledged at least once / never, per kind. */
  delivered: Record<ListenerKind, number>;
  missing: Record<ListenerKind, number>;
  /** Acknowledged copies beyond the first. */
  duplicates: number;
  requests: Record<ListenerKind, number>;
  /** Answered by status code. */
  statuses: Record<string, number>;
  orderViolations: { firstReceived: number; firstAcknowledged: number };
  orderViolationSample: string[];
  missingSample: string[];
  /** Warm-up events acknowledged (healthy accounts). */
  warmUpDelivered: number;
  unknownEvents: number;
}
