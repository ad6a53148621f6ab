import { randomUUID } from 'node:crypto';
import { buildExampleEvent } from '@lms/payload-schemas';

export interface MalformedMessage {
  /** What is wrong with it, for the failure message. */
  label: string;
  value: Buffer | null;
}

const validData = buildExampleEvent('COURSE_ENROLLMENT').data;

function json(value: unknown): Buffer {
  return Buffer.from(JSON.stringify(value));
}

/**
 * One of each way an LMS (or anything else writing to the topic) can get a message wrong: bytes that
 * are not JSON, JSON that is not an event, events the catalogue does not know, documented fields
 * missing or mistyped, envelopes that are empty or not arrays. Each is unique (fresh event ids), so a
 * DLQ copy can be matched to what was sent.
 */
export function malformedCorpus(accountId: number): MalformedMessage[] {
  const event = (overrides: Record<string, unknown>) => ({
    accountId,
    eventId: randomUUID(),
    eventName: 'COURSE_ENROLLMENT',
    timestamp: Date.now(),
    data: validData,
    ...overrides,
  });
  return [
    { label: 'not JSON', value: Buffer.from(`{"accountId": ${accountId}, "eventId": "${randomUUID()}",`) },
    {
      label: 'binary garbage',
      value: Buffer.concat([Buffer.from([0xff, 0xfe, 0x00, 0x81]), Buffer.from(randomUUID())]),
    },
    { label: 'empty value', value: Buffer.alloc(0) },
    { label: 'tombstone (null value)', value: null },
    { label: 'JSON array', value: json([event({})]) },
    { label: 'JSON number', value: Buffer.from(String(Date.now())) },
    { label: 'accountId missing', value: json({ ...event({}), accountId: undefined }) },
    { label: 'accountId not a number', value: json(event({ accountId: 'acme' })) },
    { label: 'unknown event name', value: json(event({ eventName: 'COURSE_TELEPORTED' })) },
    { label: 'data field mistyped', value: json(event({ data: { ...validData, userId: 'four' } })) },
    { label: 'data field missing', value: json(event({ data: { loId: 'course:1', loType: 'course' } })) },
    { label: 'timestamp not a time', value: json(event({ timestamp: 'yesterday' })) },
    { label: 'envelope events not an array', value: json({ accountId, events: event({}) }) },
    { label: 'empty envelope', value: json({ accountId, events: [], note: randomUUID() }) },
  ];
}
