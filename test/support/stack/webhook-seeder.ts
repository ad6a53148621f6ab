import { randomUUID } from 'node:crypto';
import { generateSigningSecret } from '@lms/http-delivery';
import { buildDataSourceOptions, runMigrationsLocked, SecretCipher } from '@lms/webhook-domain';
import { Client } from 'pg';
import { DataSource } from 'typeorm';
import { insertWebhookRow } from '../webhook-rows';

export interface WebhookSpec {
  accountId: number;
  name: string;
  targetUrl: string;
  events: readonly string[];
}

export interface SeededWebhook extends WebhookSpec {
  id: string;
  /** The signing secret in clear (`whsec_…`), as the admin would download it. */
  secret: string;
}

/** Applies the schema the way the apps do at boot (same migrations, same lock). */
export async function migrateDatabase(databaseUrl: string): Promise<void> {
  const dataSource = new DataSource(
    buildDataSourceOptions({ url: databaseUrl, poolSize: 2, migrateOnBoot: true }, 'lmsw-bench-migrate'),
  );
  await dataSource.initialize();
  try {
    await runMigrationsLocked(dataSource);
  } finally {
    await dataSource.destroy();
  }
}

/**
 * Active SIGNATURE webhooks written straight to the tables (what the admin API would store), each with
 * one current secret encrypted under `secretsKey`, the key the apps are given. Faster and independent
 * of the admin API, which the bench does not measure.
 */
export async function seedSignatureWebhooks(
  databaseUrl: string,
  secretsKey: Buffer,
  specs: readonly WebhookSpec[],
): Promise<SeededWebhook[]> {
  const cipher = new SecretCipher(secretsKey);
  const seeded = specs.map((spec) => ({ ...spec, id: randomUUID(), secret: generateSigningSecret() }));
  const client = new Client({ connectionString: databaseUrl });
  await client.connect();
  try {
    await client.query('BEGIN');
    for (const webhook of seeded) {
      await insertWebhookRow(client, {
        id: webhook.id,
        accountId: webhook.accountId,
        name: webhook.name,
        targetUrl: webhook.targetUrl,
        authType: 'SIGNATURE',
        events: webhook.events,
        status: 'ACTIVE',
      });
      await client.query(`INSERT INTO webhook_secrets (id, webhook_id, secret_enc) VALUES ($1, $2, $3)`, [
        randomUUID(),
        webhook.id,
        cipher.encrypt(webhook.secret, { webhookId: webhook.id, field: 'signing_secret' }),
      ]);
    }
    await client.query('COMMIT');
  } catch (error) {
    await client.query('ROLLBACK').catch(() => undefined);
    throw error;
  } finally {
    await client.end();
  }
  return seeded;
}
