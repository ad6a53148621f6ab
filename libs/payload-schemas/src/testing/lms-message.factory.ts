// Test-only factories for what the LMS puts on Kafka, built from the catalogue examples.
import { buildExampleEvent, type ExampleEventOverrides } from '../catalogue/build-example-event';
import type { EventName } from '../catalogue/event-catalogue';

export type WireObject = Record<string, unknown>;

export const TEST_ACCOUNT_ID = 1010;

/** One event as the LMS sends it on its own (with accountId, without our `realtime` flag). */
export function wireEvent(
  name: EventName = 'COURSE_ENROLLMENT',
  fields: WireObject = {},
  overrides: ExampleEventOverrides = {},
): WireObject {
  const { realtime: _realtime, ...event } = buildExampleEvent(name, {
    accountId: TEST_ACCOUNT_ID,
    ...overrides,
  });
  return { ...event, ...fields };
}

/** An event as it sits inside an envelope (no accountId of its own). */
export function envelopeEvent(name: EventName = 'COURSE_ENROLLMENT', fields: WireObject = {}): WireObject {
  const { accountId: _accountId, ...event } = wireEvent(name);
  return { ...event, ...fields };
}

export function envelope(events: unknown[], fields: WireObject = {}): WireObject {
  return { accountId: TEST_ACCOUNT_ID, events, ...fields };
}

/** Replaces `data` fields (undefined removes the field, as JSON would drop it). */
export function withData(event: WireObject, data: WireObject): WireObject {
  return { ...event, data: { ...(event.data as WireObject), ...data } };
}

export function kafkaValue(payload: unknown): Buffer {
  return Buffer.from(JSON.stringify(payload), 'utf8');
}
