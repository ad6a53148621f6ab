import { randomBytes } from 'node:crypto';
import {
  connectLmsProducer,
  createEventsTopic,
  createTestDatabase,
  deleteQueueKeys,
  deleteTopics,
  migrateDatabase,
  mintAdminToken,
  stackEnv,
  startAppProcess,
  stopAppProcess,
  testKafka,
  type AppProcess,
  type TestDatabase,
} from '@lms/testing';
import type { Producer } from 'kafkajs';
import { consoleUrl } from '../../../scripts/mint-token';

export interface ApiAnswer {
  status: number;
  // Tests read the JSON they expect; a typed client would hide what the API really answered.
  body: any; // eslint-disable-line @typescript-eslint/no-explicit-any
}

/**
 * The whole system as `npm start` runs it, for one browser suite: admin-api (serving the built
 * console at /console), event-ingestion and a dispatcher as real processes from dist/, on a database,
 * topic, consumer group and Bull prefix of their own, plus an LMS-like Kafka producer.
 */
export class ConsoleStack {
  private constructor(
    readonly database: TestDatabase,
    readonly env: Record<string, string>,
    readonly adminApi: AppProcess,
    readonly apps: AppProcess[],
    private readonly producer: Producer,
  ) {}

  static async start(label: string): Promise<ConsoleStack> {
    const database = await createTestDatabase(label);
    const suffix = randomBytes(4).toString('hex');
    const topic = `lms.events.${label}.${suffix}`;
    const kafka = testKafka(`lmsw-${label}`);
    const env = stackEnv({
      databaseUrl: database.url,
      topic,
      group: `lmsw-${label}-${suffix}`,
      extra: {
        SECRETS_ENCRYPTION_KEY: randomBytes(32).toString('hex'),
        // The loopback listener is an http:// target on a private address.
        ALLOW_PRIVATE_TARGETS: 'true',
        ALLOW_HTTP_TARGETS: 'true',
        RETRY_SCHEDULE: '200ms,500ms',
        MIGRATE_ON_BOOT: 'false',
      },
    });
    const started: AppProcess[] = [];
    let producer: Producer | undefined;
    try {
      // Migrated once here, so the three apps boot side by side without queueing on the lock.
      await migrateDatabase(database.url);
      await createEventsTopic(kafka, topic, 3);
      const apps = await Promise.all(
        (['admin-api', 'event-ingestion', 'dispatcher'] as const).map(async (name) => {
          const app = await startAppProcess(name, env, 90_000);
          started.push(app);
          return app;
        }),
      );
      producer = await connectLmsProducer(kafka);
      return new ConsoleStack(database, env, apps[0], apps, producer);
    } catch (error) {
      await Promise.all(started.map((app) => stopAppProcess(app, 'SIGKILL')));
      await producer?.disconnect();
      await deleteTopics(kafka, [topic, `${topic}.dlq`]).catch(() => undefined);
      await database.drop().catch(() => undefined);
      throw error;
    }
  }

  get baseUrl(): string {
    return `http://127.0.0.1:${this.adminApi.port}`;
  }

  /** The console URL `npm run token -- --console` prints for this admin API (token in the fragment). */
  consoleUrl(token: string): string {
    return consoleUrl(token, { ADMIN_API_PORT: String(this.adminApi.port) });
  }

  tokenFor(accountId: number, options: { sub?: string; roles?: string[]; ttlSeconds?: number } = {}): string {
    return mintAdminToken({ secret: this.env.ADMIN_JWT_SECRET }, { accountId, ...options });
  }

  async call(method: string, apiPath: string, token: string, body?: unknown): Promise<ApiAnswer> {
    const response = await fetch(`${this.baseUrl}/api/v1${apiPath}`, {
      method,
      headers: {
        authorization: `Bearer ${token}`,
        ...(body === undefined ? {} : { 'content-type': 'application/json' }),
      },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const text = await response.text();
    return { status: response.status, body: text ? JSON.parse(text) : undefined };
  }

  /** Writes events to Kafka as the LMS does: key = accountId, one JSON event per record. */
  async produce(accountId: number, events: Record<string, unknown>[]): Promise<void> {
    await this.producer.send({
      topic: this.env.KAFKA_EVENTS_TOPIC,
      messages: events.map((event) => ({ key: String(accountId), value: JSON.stringify(event) })),
    });
  }

  /** The apps' recent output, for a failure message. */
  output(): string {
    return this.apps.map((app) => `--- ${app.name} ---\n${app.output.join('').slice(-3000)}`).join('\n');
  }

  async close(): Promise<void> {
    await this.producer.disconnect().catch(() => undefined);
    await Promise.all(this.apps.map((app) => stopAppProcess(app, 'SIGTERM', 10_000)));
    const topic = this.env.KAFKA_EVENTS_TOPIC;
    await deleteTopics(testKafka('lmsw-console-cleanup'), [topic, `${topic}.dlq`]).catch(() => undefined);
    await deleteQueueKeys(this.env.REDIS_URL, this.env.QUEUE_PREFIX).catch(() => undefined);
    await this.database.drop().catch(() => undefined);
  }
}
