import { buildExampleEvent, type EventName } from '@lms/payload-schemas';
import { randomUUID } from 'node:crypto';

export type WireObject = Record<string, unknown>;

/** One event as an LMS puts it on Kafka (no `realtime` flag: that is derived from the catalogue). */
export function wireEvent(
  accountId: number,
  name: EventName = 'COURSE_ENROLLMENT',
  fields: WireObject = {},
): WireObject {
  const { realtime: _realtime, ...event } = buildExampleEvent(name, {
    accountId,
    eventId: `evt-${randomUUID()}`,
  });
  return { ...event, ...fields };
}

/** The envelope form: several events of one account in one message (events without accountId). */
export function wireEnvelope(accountId: number, events: WireObject[]): WireObject {
  return { accountId, events: events.map(({ accountId: _accountId, ...event }) => event) };
}

export function kafkaMessage(accountId: number, payload: unknown): { key: string; value: Buffer } {
  return { key: String(accountId), value: Buffer.from(JSON.stringify(payload), 'utf8') };
}
