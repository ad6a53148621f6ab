import { randomBytes } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import {
  repositoryRoot,
  stackEnv,
  startAppProcess,
  stopAppProcess,
  type AppName,
  type AppProcess,
} from '../app-processes';
import { createTestDatabase, type TestDatabase } from '../test-database';
import Redis from 'ioredis';
import type { Kafka } from 'kafkajs';
import { Client } from 'pg';
import { createEventsTopic, deleteTopics } from './event-load';
import {
  migrateDatabase,
  seedSignatureWebhooks,
  type SeededWebhook,
  type WebhookSpec,
} from './webhook-seeder';

export interface IsolatedStackOptions {
  label: string;
  kafka: Kafka;
  brokers: readonly string[];
  partitions: number;
  webhooks: (secretsKey: Buffer) => WebhookSpec[];
  /** Extra env for every app (concurrency, retry schedule, log level …). */
  env?: Record<string, string>;
  redisUrl?: string;
  /** The server the stack's database is created on (e.g. a PrivatePostgres's adminUrl); default testDatabaseAdminUrl(). */
  databaseAdminUrl?: string;
}

/**
 * One isolated stack: its own database, topic, consumer group, Bull prefix and secrets key, with the
 * apps started as real processes from dist/ (as production runs them). Used by the bench and the
 * fault suite (bench/ imports it from here; test/ never imports from bench/).
 */
export class IsolatedStack {
  ingestion: AppProcess[] = [];
  dispatchers: AppProcess[] = [];

  private constructor(
    readonly database: TestDatabase,
    readonly topic: string,
    readonly env: Record<string, string>,
    readonly webhooks: SeededWebhook[],
    private readonly options: IsolatedStackOptions,
  ) {}

  static async create(options: IsolatedStackOptions): Promise<IsolatedStack> {
    const database = await createTestDatabase(options.label, options.databaseAdminUrl);
    try {
      await migrateDatabase(database.url);
      const secretsKey = randomBytes(32);
      const webhooks = await seedSignatureWebhooks(database.url, secretsKey, options.webhooks(secretsKey));
      const suffix = randomBytes(4).toString('hex');
      const topic = `lms.events.${options.label}.${suffix}`;
      await createEventsTopic(options.kafka, topic, options.partitions);
      const env = stackEnv({
        databaseUrl: database.url,
        topic,
        group: `lmsw-${options.label}-${suffix}`,
        extra: {
          KAFKA_BROKERS: options.brokers.join(','),
          KAFKA_EVENTS_PARTITIONS: String(options.partitions),
          SECRETS_ENCRYPTION_KEY: secretsKey.toString('hex'),
          ...(options.redisUrl ? { REDIS_URL: options.redisUrl } : {}),
          ...options.env,
        },
      });
      return new IsolatedStack(database, topic, env, webhooks, options);
    } catch (error) {
      await database.drop().catch(() => undefined);
      throw error;
    }
  }

  get dlqTopic(): string {
    return `${this.topic}.dlq`;
  }

  get apps(): AppProcess[] {
    return [...this.ingestion, ...this.dispatchers];
  }

  async startIngestion(count = 1): Promise<AppProcess[]> {
    const started = await Promise.all(Array.from({ length: count }, () => this.start('event-ingestion')));
    this.ingestion.push(...started);
    return started;
  }

  async startDispatchers(count: number): Promise<AppProcess[]> {
    const started = await Promise.all(Array.from({ length: count }, () => this.start('dispatcher')));
    this.dispatchers.push(...started);
    return started;
  }

  async stopIngestion(signal: NodeJS.Signals = 'SIGTERM'): Promise<void> {
    await Promise.all(this.ingestion.map((app) => stopAppProcess(app, signal)));
    this.ingestion = [];
  }

  async stopDispatchers(signal: NodeJS.Signals = 'SIGTERM'): Promise<void> {
    await Promise.all(this.dispatchers.map((app) => stopAppProcess(app, signal)));
    this.dispatchers = [];
  }

  /** SIGKILL one app (no goodbye: no group leave, no job release) and forget it. */
  async kill(app: AppProcess): Promise<void> {
    await stopAppProcess(app, 'SIGKILL');
    this.ingestion = this.ingestion.filter((candidate) => candidate !== app);
    this.dispatchers = this.dispatchers.filter((candidate) => candidate !== app);
  }

  async query<T extends Record<string, unknown>>(sql: string, params: unknown[] = []): Promise<T[]> {
    const client = new Client({ connectionString: this.database.url });
    await client.connect();
    try {
      return (await client.query<T>(sql, params)).rows;
    } finally {
      await client.end();
    }
  }

  /** Events of one run persisted, and when the first was written (transaction start, ms). */
  async persistedEvents(run: string): Promise<{ count: number; firstAt: number | null }> {
    const [row] = await this.query<{ count: string; first_at: Date | null }>(
      `SELECT count(*) AS count, min(received_at) AS first_at FROM events WHERE event_id LIKE $1`,
      [`${run}-%`],
    );
    return { count: Number(row.count), firstAt: row.first_at ? row.first_at.getTime() : null };
  }

  /** The processes worth watching during a scenario: our apps, and the shared services behind them. */
  async watchedProcesses(
    extra: { name: string; pid: number }[] = [],
  ): Promise<{ name: string; pid: number }[]> {
    const watched = [
      ...this.ingestion.map((app) => ({ name: 'event-ingestion', pid: app.child.pid ?? 0 })),
      ...this.dispatchers.map((app) => ({ name: 'dispatcher', pid: app.child.pid ?? 0 })),
      ...extra,
    ];
    const backends = await this.query<{ pid: number }>(
      `SELECT pid FROM pg_stat_activity WHERE datname = $1 AND pid <> pg_backend_pid()`,
      [this.database.name],
    ).catch(() => []);
    watched.push(...backends.map(({ pid }) => ({ name: 'postgres (this db)', pid })));
    // WAL writer, checkpointer, background writer: the commit cost every app pays ends up here.
    const background = await this.query<{ pid: number }>(
      `SELECT pid FROM pg_stat_activity WHERE backend_type <> 'client backend'`,
    ).catch(() => []);
    watched.push(...background.map(({ pid }) => ({ name: 'postgres (background)', pid })));
    const brokerPid = readBrokerPid();
    if (brokerPid) watched.push({ name: 'kafka broker', pid: brokerPid });
    const redisPid = await readRedisPid(this.env.REDIS_URL);
    if (redisPid) watched.push({ name: 'redis (shared)', pid: redisPid });
    return watched;
  }

  async close(): Promise<void> {
    await Promise.all(this.apps.map((app) => stopAppProcess(app, 'SIGTERM', 10_000)));
    this.ingestion = [];
    this.dispatchers = [];
    await deleteTopics(this.options.kafka, [this.topic, this.dlqTopic]);
    await deleteQueueKeys(this.env.REDIS_URL, this.env.QUEUE_PREFIX);
    await this.database.drop().catch(() => undefined);
  }

  private start(name: AppName): Promise<AppProcess> {
    return startAppProcess(name, this.env, 90_000);
  }
}

function readBrokerPid(): number | undefined {
  const file = path.join(process.env.KAFKA_DIR ?? path.join(repositoryRoot(), '.kafka'), 'broker.pid');
  if (!existsSync(file)) return undefined;
  const pid = Number(readFileSync(file, 'utf8').trim());
  return Number.isInteger(pid) && pid > 0 ? pid : undefined;
}

async function readRedisPid(url: string): Promise<number | undefined> {
  const redis = new Redis(url, { lazyConnect: true, maxRetriesPerRequest: 1 });
  try {
    await redis.connect();
    const match = /process_id:(\d+)/.exec(await redis.info('server'));
    return match ? Number(match[1]) : undefined;
  } catch {
    return undefined;
  } finally {
    redis.disconnect();
  }
}

/** Removes this stack's Bull keys so a run leaves nothing behind in a shared Redis. */
export async function deleteQueueKeys(url: string, prefix: string): Promise<void> {
  const redis = new Redis(url, { lazyConnect: true, maxRetriesPerRequest: 1 });
  try {
    await redis.connect();
    let cursor = '0';
    do {
      const [next, keys] = await redis.scan(cursor, 'MATCH', `${prefix}:*`, 'COUNT', 1000);
      cursor = next;
      if (keys.length > 0) await redis.del(...keys);
    } while (cursor !== '0');
  } catch {
    // Best effort: a stopped private Redis has nothing to clean.
  } finally {
    redis.disconnect();
  }
}
