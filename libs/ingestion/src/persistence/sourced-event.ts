import type { ReceivedLmsEvent } from '@lms/payload-schemas';

/** A validated event and the Kafka position it was read from (stored for tracing). */
export interface SourcedEvent {
  event: ReceivedLmsEvent;
  partition: number;
  offset: string;
  /** The record's Kafka timestamp (ms): where the event's time in the platform starts (stage metrics). */
  kafkaTimestampMs: number;
  /** The W3C traceparent the event is ingested under (the consume span's or the record's), if any. */
  traceParent?: string;
}
