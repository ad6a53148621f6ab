import { DomainError } from '../errors/domain-error';

/** Position in a newest-first list of deliveries: created_at as Postgres text (microseconds kept) and id. */
export interface DeliveryCursor {
  createdAt: string;
  id: string;
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const PG_TIMESTAMPTZ = /^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}(\.\d{1,6})?[+-]\d{2}(:\d{2}){0,2}$/;

/** Opaque to clients: base64url of JSON, so the format can change without breaking their code. */
export function encodeDeliveryCursor(cursor: DeliveryCursor): string {
  return Buffer.from(JSON.stringify([cursor.createdAt, cursor.id])).toString('base64url');
}

export function decodeDeliveryCursor(raw: string): DeliveryCursor {
  try {
    const parsed: unknown = JSON.parse(Buffer.from(raw, 'base64url').toString('utf8'));
    if (Array.isArray(parsed) && parsed.length === 2) {
      const [createdAt, id] = parsed as unknown[];
      if (
        typeof createdAt === 'string' &&
        typeof id === 'string' &&
        UUID.test(id) &&
        PG_TIMESTAMPTZ.test(createdAt) &&
        !Number.isNaN(Date.parse(createdAt.replace(' ', 'T').replace(/([+-]\d{2})$/, '$1:00')))
      ) {
        return { createdAt, id };
      }
    }
  } catch {
    // fall through: any decoding problem is the same client error
  }
  throw DomainError.invalid('cursor is not a cursor this API returned', [
    { field: 'cursor', message: 'must be a nextCursor value from a previous page' },
  ]);
}
