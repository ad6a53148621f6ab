import type { Webhook } from '../entities';

/** The plain fields an update may change, in the order the audit row names them. */
const UPDATABLE_FIELDS = [
  'name',
  'description',
  'targetUrl',
  'events',
  'rateLimitPerSecond',
  // The lane reads both when it next advances: a change applies from the next request on.
  'maxInFlight',
  'maxEventsPerRequest',
  // The dispatcher's webhook cache is evicted on the change: from the next attempt on.
  'traceContextHeaders',
] as const satisfies ReadonlyArray<keyof Webhook>;

export type UpdatableField = (typeof UPDATABLE_FIELDS)[number];

/** What an update asks for; undefined leaves a field as it is. */
export type FieldChanges = { [K in UpdatableField]?: Webhook[K] };

/** How two values of a field compare; events are an ordered list (the order is what the admin chose). */
const SAME: { [K in UpdatableField]?: (a: Webhook[K], b: Webhook[K]) => boolean } = {
  events: (a, b) => a.length === b.length && a.every((item, index) => item === b[index]),
};

/** The fields `changes` gives a value that differs from the webhook's, in table order. Reads only. */
export function changedFields(
  webhook: Pick<Webhook, UpdatableField>,
  changes: FieldChanges,
): UpdatableField[] {
  return UPDATABLE_FIELDS.filter((field) => {
    const next = changes[field];
    if (next === undefined) return false;
    const same = (SAME[field] ?? strictlyEqual) as (a: unknown, b: unknown) => boolean;
    return !same(next, webhook[field]);
  });
}

/** Assigns the given fields' new values (from `changedFields`) to the webhook. */
export function assignFields(
  webhook: Pick<Webhook, UpdatableField>,
  changes: FieldChanges,
  fields: readonly UpdatableField[],
): void {
  for (const field of fields) {
    (webhook as Record<UpdatableField, unknown>)[field] = changes[field];
  }
}

function strictlyEqual(a: unknown, b: unknown): boolean {
  return a === b;
}
