import { randomInt, randomUUID } from 'node:crypto';
import type { LmsEvent } from '../lms-event';
import { findEventType, type EventName } from './event-catalogue';

export interface ExampleEventOverrides {
  accountId?: number;
  eventId?: string;
  /** Epoch milliseconds. */
  timestamp?: number;
}

const DEFAULT_ACCOUNT_ID = 1010;

/**
 * A complete, valid event built from the catalogue example (for tests, the demo and the produce
 * script). `data` is a fresh copy, so callers may change it freely.
 */
export function buildExampleEvent(name: EventName, overrides: ExampleEventOverrides = {}): LmsEvent {
  const definition = findEventType(name);
  if (definition === undefined) throw new Error(`Unknown event name "${String(name)}"`);
  const timestamp = overrides.timestamp ?? Date.now();
  return {
    accountId: overrides.accountId ?? DEFAULT_ACCOUNT_ID,
    eventId: overrides.eventId ?? randomUUID(),
    eventName: definition.name,
    realtime: definition.realtime,
    timestamp,
    // Same layout as the LMS's own eventInfo: "<ms>-<6 digits>-<5 digits>-0".
    eventInfo: `${timestamp}-${digits(6)}-${digits(5)}-0`,
    data: structuredClone(definition.example),
  };
}

function digits(count: number): string {
  return String(randomInt(0, 10 ** count)).padStart(count, '0');
}
