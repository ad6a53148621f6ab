import { randomUUID } from 'node:crypto';
import { createTestDatabase, type TestDatabase } from '@lms/testing';
import { DataSource } from 'typeorm';
import { InitialSchema1764300000000 } from './1764300000000-initial-schema';
import { WEBHOOK_DOMAIN_MIGRATIONS } from './index';

/** The two issue-12 migrations on data written before them: secrets piled up, names differing in case or form. */
describe('migrations: at most two signing secrets, case-insensitive NFC names', () => {
  let database: TestDatabase;
  let dataSource: DataSource;

  const open = async (migrations: Array<new () => unknown>) => {
    const source = new DataSource({
      type: 'postgres',
      url: database.url,
      migrations: migrations as never,
      migrationsTableName: 'schema_migrations',
    });
    await source.initialize();
    await source.runMigrations();
    return source;
  };

  beforeAll(async () => {
    database = await createTestDatabase('migrations_issue12');
    const before = await open([InitialSchema1764300000000]);
    const insertWebhook = async (name: string, accountId = 7, deleted = false) => {
      const id = randomUUID();
      await before.query(
        `INSERT INTO webhooks (id, account_id, name, target_url, auth_type, events, status, created_at, deleted_at)
         VALUES ($1, $2, $3, 'https://93.184.215.14/', 'SIGNATURE', '{COURSE_ENROLLMENT}', 'ACTIVE', clock_timestamp(), $4)`,
        [id, accountId, name, deleted ? new Date() : null],
      );
      return id;
    };
    const signed = await insertWebhook('HR sync');
    const secret = (expiresIn: string | null, label: string) =>
      before.query(
        `INSERT INTO webhook_secrets (id, webhook_id, secret_enc, created_at, expires_at)
         VALUES ($1, $2, $3, clock_timestamp(), now() + $4::interval)`,
        [randomUUID(), signed, label, expiresIn],
      );
    // What 3 rotations in a row left behind: three rotated-out secrets, one already expired, plus the current.
    await secret('-1 hour', 'expired');
    await secret('23 hours', 'older-previous');
    await secret('24 hours', 'previous');
    await secret(null, 'current');
    await insertWebhook('hr SYNC');
    await insertWebhook('Cafe\u0301');
    await insertWebhook('HR SYNC', 7, true);
    await insertWebhook('HR sync', 8);
    await before.destroy();
    dataSource = await open(WEBHOOK_DOMAIN_MIGRATIONS);
  });
  afterAll(async () => {
    await dataSource?.destroy();
    await database?.drop();
  });

  it('keeps the current secret and the most recently rotated-out one', async () => {
    const rows = await dataSource.query(`SELECT secret_enc FROM webhook_secrets ORDER BY created_at`);
    expect(rows.map((row: { secret_enc: string }) => row.secret_enc)).toEqual(['previous', 'current']);
  });

  it('normalises names to NFC and renames the newer of two live names that differ only in case', async () => {
    const rows = await dataSource.query(
      `SELECT account_id::int AS account, name, deleted_at IS NOT NULL AS deleted FROM webhooks ORDER BY created_at`,
    );
    expect(rows).toEqual([
      { account: 7, name: 'HR sync', deleted: false },
      { account: 7, name: expect.stringMatching(/^hr SYNC \([0-9a-f]{8}\)$/), deleted: false },
      { account: 7, name: 'Caf\u00e9', deleted: false },
      { account: 7, name: 'HR SYNC', deleted: true },
      { account: 8, name: 'HR sync', deleted: false },
    ]);
  });
});
