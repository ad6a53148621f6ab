import { randomUUID } from 'node:crypto';

/** Anything that runs one parameterised statement: a pg Client or Pool, a TypeORM DataSource or manager. */
export interface SqlStatementRunner {
  query(text: string, values?: unknown[]): Promise<unknown>;
}

export interface WebhookRow {
  /** Chosen by the caller when something must name the webhook first (a ciphertext bound to its id). */
  id?: string;
  accountId: number;
  name?: string;
  /** Where the dispatcher sends; the default (loopback discard port) is never listened on. */
  targetUrl?: string;
  authType?: 'NONE' | 'BASIC' | 'SIGNATURE';
  basicUsername?: string | null;
  /** Already encrypted (SecretCipher, bound to this id and `basic_password`). */
  basicPasswordEnc?: string | null;
  events?: readonly string[];
  status?: 'ACTIVE' | 'INACTIVE' | 'DISABLED';
  rateLimitPerSecond?: number | null;
  maxInFlight?: number;
  maxEventsPerRequest?: number;
  traceContextHeaders?: boolean;
  deletedAt?: Date | null;
}

// Row field -> column. Only the fields a test sets are written, so every other column keeps the
// schema's default and a new NOT NULL column with a default needs no change here.
const OPTIONAL_COLUMNS = {
  basicUsername: 'basic_username',
  basicPasswordEnc: 'basic_password_enc',
  rateLimitPerSecond: 'rate_limit_per_second',
  maxInFlight: 'max_in_flight',
  maxEventsPerRequest: 'max_events_per_request',
  traceContextHeaders: 'trace_context_headers',
  deletedAt: 'deleted_at',
} as const satisfies Partial<Record<keyof WebhookRow, string>>;

/**
 * The one way tests write a webhook row straight to the table (what the admin API would have stored,
 * or a row it would refuse today); returns its id. Secrets and lanes are the caller's.
 */
export async function insertWebhookRow(sql: SqlStatementRunner, row: WebhookRow): Promise<string> {
  const id = row.id ?? randomUUID();
  const values: Record<string, unknown> = {
    id,
    account_id: row.accountId,
    name: row.name ?? `hook-${id.slice(0, 8)}`,
    target_url: row.targetUrl ?? 'http://127.0.0.1:9/hook',
    auth_type: row.authType ?? 'NONE',
    events: row.events ?? ['COURSE_ENROLLMENT'],
    status: row.status ?? 'ACTIVE',
  };
  for (const [field, column] of Object.entries(OPTIONAL_COLUMNS)) {
    const value = row[field as keyof typeof OPTIONAL_COLUMNS];
    if (value !== undefined) values[column] = value;
  }
  const columns = Object.keys(values);
  await sql.query(
    `INSERT INTO webhooks (${columns.join(', ')}) VALUES (${columns.map((_, index) => `$${index + 1}`).join(', ')})`,
    Object.values(values),
  );
  return id;
}
