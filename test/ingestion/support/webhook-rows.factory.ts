import { randomUUID } from 'node:crypto';
import type { Client } from 'pg';

export interface WebhookRowOverrides {
  accountId: number;
  events: string[];
  status?: 'ACTIVE' | 'INACTIVE' | 'DISABLED';
  deleted?: boolean;
  name?: string;
  /** Where the dispatcher sends (a test listener); the default is never reached. */
  targetUrl?: string;
}

/**
 * Inserts a webhook row directly (the admin API is not part of these tests). Only the columns
 * ingestion reads matter; the rest get plausible values.
 */
export async function insertWebhook(db: Client, overrides: WebhookRowOverrides): Promise<string> {
  const id = randomUUID();
  await db.query(
    `INSERT INTO webhooks (id, account_id, name, target_url, auth_type, events, status, deleted_at)
     VALUES ($1, $2, $3, $4, 'NONE', $5::text[], $6, $7)`,
    [
      id,
      overrides.accountId,
      overrides.name ?? `hook-${id.slice(0, 8)}`,
      overrides.targetUrl ?? 'https://listener.example.test/hook',
      overrides.events,
      overrides.status ?? 'ACTIVE',
      overrides.deleted ? new Date() : null,
    ],
  );
  return id;
}
