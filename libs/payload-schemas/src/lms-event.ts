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
  /** Exactly what the LMS produced, unknown fields included. */
  data: Record<string, unknown>;
}
