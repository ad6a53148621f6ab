import type { EventName } from './catalogue/event-catalogue';

/** One validated LMS event, as the ingestion edge hands it on. */
export interface LmsEvent {
  accountId: number;
  eventId: string;
  eventName: EventName;
  realtime: boolean;
  /** Epoch milliseconds (integer), whatever form the LMS sent. */
  timestamp: number;
  eventInfo: string;
  /** What the LMS produced, unknown fields included, as a parsed value (for validation and tests). */
  data: Record<string, unknown>;
}

/**
 * An event as read off Kafka. `dataJson` is the exact source text of its `data` member: what is stored
 * and sent, so integers beyond 2^53, `1.0`, escapes and whitespace reach receivers as produced.
 */
export interface ReceivedLmsEvent extends LmsEvent {
  dataJson: string;
}
