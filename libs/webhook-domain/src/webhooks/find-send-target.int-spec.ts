import { randomUUID } from 'node:crypto';
import { createTestDatabase, insertWebhookRow, type TestDatabase } from '@lms/testing';
import { DataSource } from 'typeorm';
import { buildDataSourceOptions } from '../database/data-source-options';
import { runMigrationsLocked } from '../database/run-migrations-locked';
import { LaneAppendRepository } from '../lanes/lane-append.repository';
import { LaneRepository } from '../lanes/lane.repository';
import { WebhookRepository } from './webhook.repository';

/** What the dispatcher's WebhookTargetCache loads on a miss: one query, through the repository. */
describe('WebhookRepository.findSendTarget (real Postgres)', () => {
  let database: TestDatabase;
  let dataSource: DataSource;
  let webhooks: WebhookRepository;

  beforeAll(async () => {
    database = await createTestDatabase('send_target');
    dataSource = await new DataSource(
      buildDataSourceOptions({ url: database.url, poolSize: 2, migrateOnBoot: true }, 'send-target-test'),
    ).initialize();
    await runMigrationsLocked(dataSource);
    webhooks = new WebhookRepository(
      dataSource,
      new LaneRepository(dataSource),
      new LaneAppendRepository(dataSource),
    );
  });
  afterAll(async () => {
    await dataSource?.destroy();
    await database?.drop();
  });

  it('answers the row with every secret, oldest first, expired ones included, still encrypted', async () => {
    const id = await insertWebhookRow(dataSource, {
      accountId: 7,
      targetUrl: 'https://hooks.example/a',
      authType: 'SIGNATURE',
      rateLimitPerSecond: 25,
    });
    const expiresAt = new Date('2030-01-02T03:04:05.678Z');
    await dataSource.query(
      `INSERT INTO webhook_secrets (id, webhook_id, secret_enc, created_at, expires_at)
       VALUES ($1, $3, 'v2:old', now() - interval '1 hour', $4), ($2, $3, 'v2:new', now(), NULL)`,
      [randomUUID(), randomUUID(), id, expiresAt],
    );
    expect(await webhooks.findSendTarget(id)).toEqual({
      id,
      accountId: 7,
      targetUrl: 'https://hooks.example/a',
      status: 'ACTIVE',
      deleted: false,
      rateLimitPerSecond: 25,
      traceContextHeaders: true,
      credentials: {
        webhookId: id,
        authType: 'SIGNATURE',
        basicUsername: null,
        basicPasswordEnc: null,
        secrets: [
          { secretEnc: 'v2:old', expiresAt },
          { secretEnc: 'v2:new', expiresAt: null },
        ],
      },
    });
  });

  it('answers a deleted webhook as deleted (its deliveries must learn it), and null for no row', async () => {
    const id = await insertWebhookRow(dataSource, {
      accountId: 8,
      authType: 'BASIC',
      basicUsername: 'lms',
      basicPasswordEnc: 'v2:password',
      status: 'INACTIVE',
      traceContextHeaders: false,
      deletedAt: new Date(),
    });
    expect(await webhooks.findSendTarget(id)).toMatchObject({
      accountId: 8,
      status: 'INACTIVE',
      deleted: true,
      rateLimitPerSecond: null,
      traceContextHeaders: false,
      credentials: { authType: 'BASIC', basicUsername: 'lms', basicPasswordEnc: 'v2:password', secrets: [] },
    });
    expect(await webhooks.findSendTarget(randomUUID())).toBeNull();
  });
});
