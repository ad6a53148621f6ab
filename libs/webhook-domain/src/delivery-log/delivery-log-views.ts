import type { DeliveryKind, DeliveryStatus } from '../entities';

export interface DeliverySummaryView {
  id: string;
  webhookId: string;
  kind: DeliveryKind;
  status: DeliveryStatus;
  eventCount: number;
  eventNames: string[];
  attemptCount: number;
  nextAttemptAt: Date | null;
  lastAttemptAt: Date | null;
  lastStatusCode: number | null;
  lastError: string | null;
  cancelledBy: string | null;
  redeliveryOf: string | null;
  createdAt: Date;
  updatedAt: Date;
  deliveredAt: Date | null;
}

export interface DeliveryAttemptView {
  attemptNumber: number;
  startedAt: Date;
  durationMs: number;
  statusCode: number | null;
  error: string | null;
  responseSnippet: string | null;
  /** The trace id of the attempt's span: where to look in the trace backend; null when not traced. */
  traceId: string | null;
}

export interface DeliveryDetailView extends DeliverySummaryView {
  /** The request body as sent (or to be sent): the same bytes, parsed. */
  payload: unknown;
  events: Array<{ eventId: string; eventName: string; timestamp: number }>;
  attempts: DeliveryAttemptView[];
}

export interface DeliveryPage {
  items: DeliverySummaryView[];
  /** Pass as `cursor` for the next (older) page; null on the last page. */
  nextCursor: string | null;
}

export interface DeliveryListFilter {
  status?: DeliveryStatus;
  eventName?: string;
  from?: Date;
  to?: Date;
  limit: number;
  cursor?: string;
}

export interface ReplayResult {
  /** Events re-sent: appended to the real-time lane plus queued for the next batch release. */
  count: number;
  realtimeEvents: number;
  batchedEvents: number;
}

/** A redelivery is appended to its lane; the delivery that carries it (`redeliveryOf`) follows in the log. */
export interface RedeliveryResult {
  redeliveryOf: string;
  status: 'QUEUED';
  eventCount: number;
}
