import { randomBytes } from 'node:crypto';
import { ConfigValidationError } from './config-error';
import { loadAdminApiConfig, loadDispatcherConfig, loadIngestionConfig } from './app-config';

const validAdminEnv = (overrides: Record<string, string> = {}) => ({
  NODE_ENV: 'test',
  ADMIN_JWT_SECRET: 'x'.repeat(32),
  ...overrides,
});

/** A production admin API configured as an operator should: own random secrets, issuer and audience. */
const productionAdminEnv = (overrides: Record<string, string> = {}) => ({
  NODE_ENV: 'production',
  ADMIN_JWT_SECRET: randomBytes(48).toString('base64'),
  ADMIN_JWT_ISSUER: 'https://lms.example.org',
  ADMIN_JWT_AUDIENCE: 'lms-webhooks',
  SECRETS_ENCRYPTION_KEY: randomBytes(32).toString('base64'),
  ...overrides,
});

function problemsOf(load: () => unknown): string[] {
  try {
    load();
  } catch (error) {
    if (error instanceof ConfigValidationError) return error.problems.map((problem) => problem.variable);
    throw error;
  }
  throw new Error('expected the config to be rejected');
}

describe('app config', () => {
  it('applies documented defaults', () => {
    const config = loadDispatcherConfig({ NODE_ENV: 'test' });
    expect(config.port).toBe(3002);
    expect(config.retry.scheduleMs).toEqual([5000, 10000, 20000, 40000, 80000, 160000, 300000]);
    expect(config.retry.maxAgeMs).toBe(7 * 86_400_000);
    expect(config.delivery).toEqual({
      connectTimeoutMs: 10000,
      responseTimeoutMs: 5000,
      attemptTimeoutMs: 15000,
      allowPrivateTargets: false,
      allowHttpTargets: false,
    });
    expect(config.batchMaxEvents).toBe(100);
    expect(config.maxUnexpectedErrors).toBe(5);
  });

  it('reads one deadline per attempt from DELIVERY_TIMEOUT_MS, and refuses one a timer cannot hold', () => {
    const env = { NODE_ENV: 'test', DELIVERY_TIMEOUT_MS: '2s', DELIVERY_RESPONSE_TIMEOUT_MS: '1s' };
    expect(loadDispatcherConfig(env).delivery).toMatchObject({
      attemptTimeoutMs: 2000,
      responseTimeoutMs: 1000,
    });
    expect(problemsOf(() => loadDispatcherConfig({ NODE_ENV: 'test', DELIVERY_TIMEOUT_MS: '30d' }))).toEqual([
      'DELIVERY_TIMEOUT_MS',
    ]);
  });

  it('reads DELIVERY_MAX_UNEXPECTED_ERRORS and refuses 0 (a delivery would be given up without a try)', () => {
    expect(
      loadDispatcherConfig({ NODE_ENV: 'test', DELIVERY_MAX_UNEXPECTED_ERRORS: '2' }).maxUnexpectedErrors,
    ).toBe(2);
    expect(
      problemsOf(() => loadDispatcherConfig({ NODE_ENV: 'test', DELIVERY_MAX_UNEXPECTED_ERRORS: '0' })),
    ).toEqual(['DELIVERY_MAX_UNEXPECTED_ERRORS']);
  });

  it('refuses a cron expression the scheduler would reject, at boot', () => {
    expect(
      problemsOf(() => loadDispatcherConfig({ NODE_ENV: 'test', BATCH_CRON: 'every 5 minutes' })),
    ).toEqual(['BATCH_CRON']);
    expect(
      problemsOf(() => loadDispatcherConfig({ NODE_ENV: 'test', RETENTION_CRON: '61 * * * *' })),
    ).toEqual(['RETENTION_CRON']);
    expect(loadDispatcherConfig({ NODE_ENV: 'test', BATCH_CRON: '*/10 * * * * *' }).batchCron).toBe(
      '*/10 * * * * *',
    );
  });

  it('names every bad variable at once', () => {
    const problems = problemsOf(() =>
      loadIngestionConfig({
        KAFKA_EVENTS_PARTITIONS: 'many',
        DATABASE_URL: 'mysql://x',
        KAFKA_SESSION_TIMEOUT_MS: 'soon',
      }),
    );
    expect(problems.sort()).toEqual(['DATABASE_URL', 'KAFKA_EVENTS_PARTITIONS', 'KAFKA_SESSION_TIMEOUT_MS']);
  });

  it('gives the outbox relay its schedule on the dispatcher, which runs it (ingestion no longer reads it)', () => {
    expect(loadDispatcherConfig({ NODE_ENV: 'test' })).toMatchObject({
      relayIntervalMs: 5_000,
      relayGraceMs: 30_000,
    });
    expect(
      loadDispatcherConfig({ NODE_ENV: 'test', RELAY_INTERVAL_MS: '1s', RELAY_GRACE_MS: '2s' }),
    ).toMatchObject({ relayIntervalMs: 1_000, relayGraceMs: 2_000 });
    expect(problemsOf(() => loadDispatcherConfig({ NODE_ENV: 'test', RELAY_INTERVAL_MS: 'soon' }))).toEqual([
      'RELAY_INTERVAL_MS',
    ]);
    expect(loadIngestionConfig({ NODE_ENV: 'test', RELAY_INTERVAL_MS: 'soon' })).not.toHaveProperty(
      'relayIntervalMs',
    );
  });

  it('reads REDIS_URL and QUEUE_PREFIX for the admin API and dispatcher, which use Redis, and refuses a bad URL', () => {
    const expected = { url: 'rediss://cache.internal:6380', queuePrefix: 'stack-b' };
    const redisEnv = { REDIS_URL: expected.url, QUEUE_PREFIX: expected.queuePrefix };
    expect(loadAdminApiConfig(validAdminEnv(redisEnv)).redis).toEqual(expected);
    expect(loadDispatcherConfig({ NODE_ENV: 'test', ...redisEnv }).redis).toEqual(expected);
    expect(loadDispatcherConfig({ NODE_ENV: 'test' }).redis).toEqual({
      url: 'redis://127.0.0.1:6379',
      queuePrefix: 'lmsw',
    });
    expect(problemsOf(() => loadAdminApiConfig(validAdminEnv({ REDIS_URL: 'http://x' })))).toEqual([
      'REDIS_URL',
    ]);
    expect(problemsOf(() => loadDispatcherConfig({ NODE_ENV: 'test', REDIS_URL: 'http://x' }))).toEqual([
      'REDIS_URL',
    ]);
  });

  it('boots ingestion without REDIS_URL or QUEUE_PREFIX, and never reads them (it queues nothing)', () => {
    const read: string[] = [];
    const recording = new Proxy<Record<string, string | undefined>>(
      { NODE_ENV: 'production', REDIS_URL: 'http://not-redis', QUEUE_PREFIX: '' },
      {
        get(target, name) {
          if (typeof name === 'string') read.push(name);
          return target[name as string];
        },
      },
    );
    expect(loadIngestionConfig(recording)).not.toHaveProperty('redis');
    expect(read).toEqual(expect.arrayContaining(['NODE_ENV', 'DATABASE_URL', 'KAFKA_BROKERS']));
    expect(read).not.toContain('REDIS_URL');
    expect(read).not.toContain('QUEUE_PREFIX');

    const withoutRedis = loadIngestionConfig({ NODE_ENV: 'production' });
    expect(withoutRedis).not.toHaveProperty('redis');
    expect(withoutRedis.env).toBe('production');
  });

  it('derives the DLQ topic from the events topic', () => {
    expect(loadIngestionConfig({ KAFKA_EVENTS_TOPIC: 'x.events' }).kafka.dlqTopic).toBe('x.events.dlq');
  });

  it('requires a JWT secret or public key for the admin API', () => {
    expect(problemsOf(() => loadAdminApiConfig({ NODE_ENV: 'test' }))).toEqual(['ADMIN_JWT_SECRET']);
    expect(loadAdminApiConfig(validAdminEnv()).jwt.secret).toHaveLength(32);
  });

  it('caps admin token lifetime at ADMIN_JWT_MAX_LIFETIME (24h by default) and refuses a bad value', () => {
    expect(loadAdminApiConfig(validAdminEnv()).jwt.maxLifetimeMs).toBe(86_400_000);
    expect(loadAdminApiConfig(validAdminEnv({ ADMIN_JWT_MAX_LIFETIME: '15m' })).jwt.maxLifetimeMs).toBe(
      900_000,
    );
    expect(
      problemsOf(() => loadAdminApiConfig(validAdminEnv({ ADMIN_JWT_MAX_LIFETIME: 'forever' }))),
    ).toEqual(['ADMIN_JWT_MAX_LIFETIME']);
  });

  it('refuses to boot in production without an encryption key, and checks its length', () => {
    expect(problemsOf(() => loadAdminApiConfig(productionAdminEnv({ SECRETS_ENCRYPTION_KEY: '' })))).toEqual([
      'SECRETS_ENCRYPTION_KEY',
    ]);
    expect(
      problemsOf(() =>
        loadAdminApiConfig(validAdminEnv({ SECRETS_ENCRYPTION_KEY: Buffer.alloc(16).toString('base64') })),
      ),
    ).toEqual(['SECRETS_ENCRYPTION_KEY']);
    const hexKey = 'ab'.repeat(32);
    expect(
      loadAdminApiConfig(validAdminEnv({ SECRETS_ENCRYPTION_KEY: hexKey })).secretsKey.toString('hex'),
    ).toBe(hexKey);
  });

  it('parses retry schedules and rejects junk in them', () => {
    expect(loadDispatcherConfig({ NODE_ENV: 'test', RETRY_SCHEDULE: '100ms, 1s' }).retry.scheduleMs).toEqual([
      100, 1000,
    ]);
    expect(problemsOf(() => loadDispatcherConfig({ NODE_ENV: 'test', RETRY_SCHEDULE: '1s,,x' }))).toEqual([
      'RETRY_SCHEDULE',
    ]);
  });
});

describe('admin API limits', () => {
  it('has defaults: 1200 requests/min per account, 2400 per client, 30 test-sends/min and 2 of 20 at once per account, 50,000 waiting events per webhook', () => {
    expect(loadAdminApiConfig(validAdminEnv()).limits).toEqual({
      perAccount: { limit: 1200, windowMs: 60_000 },
      perClient: { limit: 2400, windowMs: 60_000 },
      testSend: {
        perAccount: { limit: 30, windowMs: 60_000 },
        maxConcurrent: 20,
        maxConcurrentPerAccount: 2,
      },
      maxPendingEventsPerWebhook: 50_000,
    });
  });

  it('reads every limit and names each bad one', () => {
    const limits = loadAdminApiConfig(
      validAdminEnv({
        ADMIN_RATE_LIMIT_WINDOW: '10s',
        ADMIN_RATE_LIMIT_PER_ACCOUNT: '50',
        ADMIN_RATE_LIMIT_PER_CLIENT: '80',
        TEST_SEND_RATE_LIMIT_WINDOW: '1h',
        TEST_SEND_RATE_LIMIT_PER_ACCOUNT: '5',
        TEST_SEND_MAX_CONCURRENT: '4',
        TEST_SEND_MAX_CONCURRENT_PER_ACCOUNT: '4',
        MAX_PENDING_EVENTS_PER_WEBHOOK: '100',
      }),
    ).limits;
    expect(limits).toEqual({
      perAccount: { limit: 50, windowMs: 10_000 },
      perClient: { limit: 80, windowMs: 10_000 },
      testSend: {
        perAccount: { limit: 5, windowMs: 3_600_000 },
        maxConcurrent: 4,
        maxConcurrentPerAccount: 4,
      },
      maxPendingEventsPerWebhook: 100,
    });
    expect(
      problemsOf(() =>
        loadAdminApiConfig(
          validAdminEnv({
            ADMIN_RATE_LIMIT_WINDOW: '10ms',
            ADMIN_RATE_LIMIT_PER_ACCOUNT: '0',
            ADMIN_RATE_LIMIT_PER_CLIENT: 'many',
            TEST_SEND_RATE_LIMIT_PER_ACCOUNT: '-1',
            MAX_PENDING_EVENTS_PER_WEBHOOK: '1.5',
          }),
        ),
      ),
    ).toEqual([
      'ADMIN_RATE_LIMIT_WINDOW',
      'ADMIN_RATE_LIMIT_PER_ACCOUNT',
      'ADMIN_RATE_LIMIT_PER_CLIENT',
      'TEST_SEND_RATE_LIMIT_PER_ACCOUNT',
      'MAX_PENDING_EVENTS_PER_WEBHOOK',
    ]);
  });

  it('trusts no proxy by default; takes hops or proxy addresses, and refuses "true"', () => {
    expect(loadAdminApiConfig(validAdminEnv()).trustProxy).toBe(false);
    expect(loadAdminApiConfig(validAdminEnv({ ADMIN_API_TRUST_PROXY: '2' })).trustProxy).toBe(2);
    expect(
      loadAdminApiConfig(validAdminEnv({ ADMIN_API_TRUST_PROXY: 'loopback, 10.0.0.0/8, fd00::1' }))
        .trustProxy,
    ).toEqual(['loopback', '10.0.0.0/8', 'fd00::1']);
    for (const bad of ['true', '0', '10.0.0.0/33', 'proxy.internal', '10.0.0.1/8/1']) {
      expect({
        bad,
        problems: problemsOf(() => loadAdminApiConfig(validAdminEnv({ ADMIN_API_TRUST_PROXY: bad }))),
      }).toEqual({
        bad,
        problems: ['ADMIN_API_TRUST_PROXY'],
      });
    }
  });

  it("refuses an account's concurrent test-send share larger than the whole", () => {
    expect(
      problemsOf(() =>
        loadAdminApiConfig(
          validAdminEnv({ TEST_SEND_MAX_CONCURRENT: '3', TEST_SEND_MAX_CONCURRENT_PER_ACCOUNT: '4' }),
        ),
      ),
    ).toEqual(['TEST_SEND_MAX_CONCURRENT_PER_ACCOUNT']);
  });
});
