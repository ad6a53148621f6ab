/** One event as it appears in the body a receiver gets. */
export interface EnvelopeEvent {
  eventId: string;
  eventName: string;
  timestamp: number;
  eventInfo: string;
  /** The event's data as stored: JSON text, inserted verbatim so receivers get what the LMS produced. */
  dataJson: string;
}

/**
 * The request body: `{"accountId":…,"events":[{eventId,eventName,timestamp,eventInfo,data}]}`. Built by
 * string concatenation around the stored data text, once per delivery: no parse/stringify round trip
 * of `data`, and the bytes signed are the bytes sent.
 */
export function serializeEnvelope(accountId: number, events: readonly EnvelopeEvent[]): Buffer {
  const parts = events.map(
    (event) =>
      `{"eventId":${JSON.stringify(event.eventId)},"eventName":${JSON.stringify(event.eventName)},` +
      `"timestamp":${event.timestamp},"eventInfo":${JSON.stringify(event.eventInfo)},"data":${event.dataJson}}`,
  );
  return Buffer.from(`{"accountId":${accountId},"events":[${parts.join(',')}]}`);
}
