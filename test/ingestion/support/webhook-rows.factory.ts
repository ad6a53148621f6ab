import { insertWebhookRow } from '@lms/testing';
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
  return insertWebhookRow(db, {
    accountId: overrides.accountId,
    name: overrides.name,
    targetUrl: overrides.targetUrl ?? 'https://listener.example.test/hook',
    events: overrides.events,
    status: overrides.status ?? 'ACTIVE',
    deletedAt: overrides.deleted ? new Date() : null,
  });
}
