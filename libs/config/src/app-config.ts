import { isIP } from 'node:net';
import { EnvReader } from './env-reader';
import {
  decodeKeyText,
  developmentSecretsKey,
  publishedJwtSecretProblem,
  publishedSecretsKeyProblem,
} from './published-secrets';

export type RuntimeEnv = 'development' | 'test' | 'production';
export type LogLevel = 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace' | 'silent';

export interface DatabaseConfig {
  url: string;
  poolSize: number;
  /** Run pending migrations at boot (under an advisory lock, so one replica migrates). */
  migrateOnBoot: boolean;
}

export interface RedisConfig {
  url: string;
  /** Bull key prefix: lets several stacks (or test runs) share one Redis without seeing each other's jobs. */
  queuePrefix: string;
}

export interface KafkaConfig {
  brokers: string[];
  clientId: string;
  eventsTopic: string;
  dlqTopic: string;
  eventsPartitions: number;
  consumerGroup: string;
  /** How long the group waits for a silent member before reassigning its partitions (crash recovery time). */
  sessionTimeoutMs: number;
  /** Cap on one record batch's decompressed size: a batch past it (a decompression bomb) is unreadable, not fatal. */
  maxDecompressedBatchBytes: number;
  /**
   * Cap on what all batches of one fetch decompress to together (≥ the batch cap); past it the rest
   * of the fetch is left undecoded and fetched again, so a fetch never holds dozens of capped batches.
   */
  maxDecompressedFetchBytes: number;
  /** Cap on the records one fetch decodes; a batch declaring more on its own is unreadable. */
  maxRecordsPerFetch: number;
}

export interface DeliveryHttpConfig {
  connectTimeoutMs: number;
  /** The headers, and every pause in the body, within this once the request is sent (the LMS documents 5 s). */
  responseTimeoutMs: number;
  /** One deadline per attempt: connect, headers and the whole body together (DELIVERY_TIMEOUT_MS). */
  attemptTimeoutMs: number;
  allowPrivateTargets: boolean;
  allowHttpTargets: boolean;
}

export interface CommonConfig {
  env: RuntimeEnv;
  logLevel: LogLevel;
  port: number;
  /**
   * Address the HTTP server listens on (BIND_HOST): undefined listens on every interface, as a
   * container needs; `npm start` passes 127.0.0.1 so a laptop's stack is not reachable from the network.
   */
  bindHost?: string;
  database: DatabaseConfig;
}

export interface AdminApiConfig extends CommonConfig {
  /** The per-account and per-client rate limits are counted here, across replicas. */
  redis: RedisConfig;
  /** maxLifetimeMs: a token whose `exp` lies further ahead than this is refused, whatever signed it. */
  jwt: { secret?: string; publicKey?: string; issuer?: string; audience?: string; maxLifetimeMs: number };
  secretsKey: Buffer;
  delivery: DeliveryHttpConfig;
  maxWebhooksPerAccount: number;
  secretRotationOverlapMs: number;
  limits: AdminApiLimitsConfig;
  /** Which proxies may name the client (X-Forwarded-For), for the per-client limit (ADMIN_API_TRUST_PROXY). */
  trustProxy: TrustProxyConfig;
}

/**
 * Proxies trusted to name the client: none (the client is the peer address), a number of hops, or
 * the proxies' addresses/CIDRs and Express's names for ranges (loopback, linklocal, uniquelocal).
 */
export type TrustProxyConfig = false | number | string[];

/** A fixed-window rate: at most `limit` in `windowMs`; past it, refused until the window ends. */
export interface RateLimitConfig {
  limit: number;
  windowMs: number;
}

/**
 * What one account or one client can ask of the admin API, so one tenant's admin (or script) cannot
 * take the shared API, its outgoing test-sends or a webhook's lanes from the others.
 */
export interface AdminApiLimitsConfig {
  /** Every authenticated request, counted per account (the token's accountId) across replicas. */
  perAccount: RateLimitConfig;
  /** Every request but the public probes, counted per client IP before authentication. */
  perClient: RateLimitConfig;
  testSend: {
    /** Test-sends that go out (past validation), counted per account across replicas. */
    perAccount: RateLimitConfig;
    /** Test-sends one admin-api process has open at once, all accounts together. */
    maxConcurrent: number;
    /** An account's share of maxConcurrent. */
    maxConcurrentPerAccount: number;
  };
  /** Replay and redeliver never take a webhook's waiting lane items past this; ingestion is not limited. */
  maxPendingEventsPerWebhook: number;
}

export interface IngestionConfig extends CommonConfig {
  kafka: KafkaConfig;
}

export interface RetryConfig {
  /** Delays between attempts; the last one repeats until maxAgeMs. */
  scheduleMs: number[];
  maxAgeMs: number;
  jitterRatio: number;
}

export interface DispatcherConfig extends CommonConfig {
  /** Bull: retries, deferrals and recovery jobs; the per-webhook rate limit. */
  redis: RedisConfig;
  secretsKey: Buffer;
  delivery: DeliveryHttpConfig;
  concurrency: number;
  /** Unexpected errors (not a failed attempt: a bug, a refused write) after which a delivery is given up as DEAD. */
  maxUnexpectedErrors: number;
  /** Fair share: one account's requests in flight at once, at most this percent of `concurrency` (at least one). */
  accountMaxSharePercent: number;
  /** Cap on one request's body: a request takes fewer than maxEventsPerRequest events to stay under it. */
  maxRequestBodyBytes: number;
  retry: RetryConfig;
  autoDisableAfterMs: number;
  batchCron: string;
  batchMaxEvents: number;
  shutdownGraceMs: number;
  /** Bull job lock: a replica killed mid-job loses its lock after lockDurationMs; stalled checks run every stalledIntervalMs. */
  queue: { lockDurationMs: number; stalledIntervalMs: number };
  /** How often webhooks failing for longer than autoDisableAfterMs are looked for. */
  autoDisableCheckIntervalMs: number;
  /** Deliveries (with their attempts) and events older than this many days are removed. */
  retentionDays: number;
  /** When retention runs (one replica at a time): partitions ahead created, expired days dropped. */
  retentionCron: string;
  /** How often the outbox relay (one holder across replicas) looks for work that has no job. */
  relayIntervalMs: number;
  /** An open request due this long ago with no live driver, or a busy lane this still, is assumed not queued. */
  relayGraceMs: number;
}

const LOG_LEVELS: readonly LogLevel[] = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'];
const RUNTIME_ENVS: readonly RuntimeEnv[] = ['development', 'test', 'production'];
/** 5 s doubling to a 5-minute cap, as the LMS documents; the last step repeats. */
export const DEFAULT_RETRY_SCHEDULE = '5s,10s,20s,40s,80s,160s,5m';

function readCommon(reader: EnvReader, portVariable: string, defaultPort: number): CommonConfig {
  return {
    env: reader.oneOf('NODE_ENV', RUNTIME_ENVS, 'production'),
    logLevel: reader.oneOf('LOG_LEVEL', LOG_LEVELS, 'info'),
    port: reader.int(portVariable, defaultPort, { min: 0, max: 65535 }),
    bindHost: readBindHost(reader),
    database: {
      url: reader.url('DATABASE_URL', 'postgres://postgres@127.0.0.1:5432/lms_webhooks', [
        'postgres:',
        'postgresql:',
      ]),
      poolSize: reader.int('DATABASE_POOL_SIZE', 10, { min: 1, max: 200 }),
      migrateOnBoot: reader.bool('MIGRATE_ON_BOOT', true),
    },
  };
}

/**
 * Admin API and dispatcher only. Ingestion queues nothing (its commits wake lanes through Postgres), so
 * it does not read REDIS_URL or QUEUE_PREFIX and a bad or missing value cannot stop it.
 */
function readRedis(reader: EnvReader): RedisConfig {
  return {
    url: reader.url('REDIS_URL', 'redis://127.0.0.1:6379', ['redis:', 'rediss:']),
    queuePrefix: reader.string('QUEUE_PREFIX', 'lmsw'),
  };
}

/**
 * 15 s: the LMS documents 10 s to connect and 5 s for the response, so a listener within both is never
 * cut off; a listener that drips its answer byte by byte is (each pause alone is under 5 s).
 */
function readAttemptTimeout(reader: EnvReader): number {
  const timeoutMs = reader.duration('DELIVERY_TIMEOUT_MS', '15000', { min: 1 });
  // A timer longer than 2^31-1 ms fires at once; an attempt that long would hold a lane for minutes anyway.
  if (timeoutMs > 600_000) reader.problem('DELIVERY_TIMEOUT_MS', `must be at most 10m (got ${timeoutMs}ms)`);
  return timeoutMs;
}

function readDeliveryHttp(reader: EnvReader): DeliveryHttpConfig {
  return {
    connectTimeoutMs: reader.duration('DELIVERY_CONNECT_TIMEOUT_MS', '10000', { min: 1 }),
    responseTimeoutMs: reader.duration('DELIVERY_RESPONSE_TIMEOUT_MS', '5000', { min: 1 }),
    attemptTimeoutMs: readAttemptTimeout(reader),
    allowPrivateTargets: reader.bool('ALLOW_PRIVATE_TARGETS', false),
    allowHttpTargets: reader.bool('ALLOW_HTTP_TARGETS', false),
  };
}

/** An IP address or a host name; not a URL and not a port (those are the *_PORT variables). */
function readBindHost(reader: EnvReader): string | undefined {
  const raw = reader.optionalString('BIND_HOST');
  if (raw === undefined) return undefined;
  if (isIP(raw) === 0 && !/^[a-z0-9]([a-z0-9-]*[a-z0-9])?(\.[a-z0-9]([a-z0-9-]*[a-z0-9])?)*$/i.test(raw)) {
    reader.problem(
      'BIND_HOST',
      `must be an IP address or a host name, such as 127.0.0.1 or 0.0.0.0 (got "${raw}")`,
    );
  }
  return raw;
}

/**
 * The ALLOW_* switches that loosen what a webhook may target, by variable name. Production may need
 * them (a receiver on the company network), so they are allowed, but reported at boot and on /metrics.
 */
export function allowFlags(delivery: DeliveryHttpConfig): Record<string, boolean> {
  return {
    ALLOW_PRIVATE_TARGETS: delivery.allowPrivateTargets,
    ALLOW_HTTP_TARGETS: delivery.allowHttpTargets,
  };
}

/**
 * AES-256-GCM key for secrets at rest: 32 bytes as base64 or hex. Outside production a missing key
 * falls back to a fixed development key, so `npm start` works on a fresh clone; production refuses to
 * boot without a key, and with any key published in this repository.
 */
function readSecretsKey(reader: EnvReader, env: RuntimeEnv): Buffer {
  const raw = reader.optionalString('SECRETS_ENCRYPTION_KEY');
  if (raw === undefined) {
    if (env !== 'production') return developmentSecretsKey();
    reader.problem('SECRETS_ENCRYPTION_KEY', 'is required in production (32 bytes, base64 or hex)');
    return Buffer.alloc(32);
  }
  const key = decodeKeyText(raw);
  if (key.length !== 32) {
    reader.problem('SECRETS_ENCRYPTION_KEY', `must decode to 32 bytes (base64 or hex); got ${key.length}`);
    return key;
  }
  const published = env === 'production' ? publishedSecretsKeyProblem(raw, key) : undefined;
  if (published) reader.problem('SECRETS_ENCRYPTION_KEY', published);
  return key;
}

/**
 * In production a token must name who issued it and for whom, and the HS256 secret must not be one
 * anyone can read in this repository: otherwise a token signed with a published value would be accepted.
 */
function checkProductionJwt(
  reader: EnvReader,
  jwt: { secret?: string; publicKey?: string; issuer?: string; audience?: string },
): void {
  if (jwt.secret && !jwt.publicKey) {
    const published = publishedJwtSecretProblem(jwt.secret);
    if (published) reader.problem('ADMIN_JWT_SECRET', published);
  }
  if (!jwt.issuer)
    reader.problem('ADMIN_JWT_ISSUER', 'is required in production (the iss your tokens carry)');
  if (!jwt.audience) {
    reader.problem('ADMIN_JWT_AUDIENCE', 'is required in production (the aud your tokens carry)');
  }
}

export function loadAdminApiConfig(env: Record<string, string | undefined> = process.env): AdminApiConfig {
  const reader = new EnvReader(env);
  const common = readCommon(reader, 'ADMIN_API_PORT', 3000);
  const jwt = {
    secret: reader.optionalString('ADMIN_JWT_SECRET'),
    publicKey: reader.optionalString('ADMIN_JWT_PUBLIC_KEY')?.replace(/\\n/g, '\n'),
    issuer: reader.optionalString('ADMIN_JWT_ISSUER'),
    audience: reader.optionalString('ADMIN_JWT_AUDIENCE'),
    maxLifetimeMs: reader.duration('ADMIN_JWT_MAX_LIFETIME', '24h', { min: 1000 }),
  };
  if (!jwt.secret && !jwt.publicKey) {
    reader.problem('ADMIN_JWT_SECRET', 'is required unless ADMIN_JWT_PUBLIC_KEY is set');
  }
  if (jwt.secret && !jwt.publicKey && jwt.secret.length < 32) {
    reader.problem('ADMIN_JWT_SECRET', 'must be at least 32 characters');
  }
  if (common.env === 'production') checkProductionJwt(reader, jwt);
  const config: AdminApiConfig = {
    ...common,
    redis: readRedis(reader),
    jwt,
    secretsKey: readSecretsKey(reader, common.env),
    delivery: readDeliveryHttp(reader),
    maxWebhooksPerAccount: reader.int('MAX_WEBHOOKS_PER_ACCOUNT', 5, { min: 1, max: 1000 }),
    secretRotationOverlapMs: reader.duration('SECRET_ROTATION_OVERLAP', '24h', { min: 0 }),
    limits: readAdminApiLimits(reader),
    trustProxy: readTrustProxy(reader),
  };
  reader.done();
  return config;
}

const TRUST_PROXY_RANGES = ['loopback', 'linklocal', 'uniquelocal'];

/**
 * Off by default: behind a proxy every client then shares the proxy's address (one per-client count),
 * which is safe; trusting X-Forwarded-For from anyone would let each request choose its own address.
 */
function readTrustProxy(reader: EnvReader): TrustProxyConfig {
  const raw = reader.optionalString('ADMIN_API_TRUST_PROXY')?.trim();
  if (raw === undefined || raw === '' || raw === 'false') return false;
  if (/^\d+$/.test(raw)) {
    const hops = Number(raw);
    if (hops < 1 || hops > 10) reader.problem('ADMIN_API_TRUST_PROXY', `hops must be 1-10 (got ${raw})`);
    return hops;
  }
  const entries = raw.split(',').map((entry) => entry.trim());
  const bad = entries.filter((entry) => !isTrustedProxyEntry(entry));
  if (bad.length > 0) {
    reader.problem(
      'ADMIN_API_TRUST_PROXY',
      `must be a number of hops (1-10) or a list of proxy addresses, CIDRs, ${TRUST_PROXY_RANGES.join(', ')}; "true" would let every client pick its address (got "${bad.join('", "')}")`,
    );
  }
  return entries;
}

function isTrustedProxyEntry(entry: string): boolean {
  if (TRUST_PROXY_RANGES.includes(entry)) return true;
  const [address, prefix, ...rest] = entry.split('/');
  const family = isIP(address ?? '');
  if (family === 0 || rest.length > 0) return false;
  if (prefix === undefined) return true;
  return /^\d+$/.test(prefix) && Number(prefix) <= (family === 4 ? 32 : 128);
}

/**
 * Defaults: far above what a person in the console does (a page load is a handful of calls) and above
 * a busy script's bursts, well below what would let one account crowd the others out.
 */
function readAdminApiLimits(reader: EnvReader): AdminApiLimitsConfig {
  const windowMs = reader.duration('ADMIN_RATE_LIMIT_WINDOW', '1m', { min: 1000 });
  const testSendWindowMs = reader.duration('TEST_SEND_RATE_LIMIT_WINDOW', '1m', { min: 1000 });
  const maxConcurrent = reader.int('TEST_SEND_MAX_CONCURRENT', 20, { min: 1, max: 1000 });
  const maxConcurrentPerAccount = reader.int('TEST_SEND_MAX_CONCURRENT_PER_ACCOUNT', 2, {
    min: 1,
    max: 1000,
  });
  if (maxConcurrentPerAccount > maxConcurrent) {
    reader.problem(
      'TEST_SEND_MAX_CONCURRENT_PER_ACCOUNT',
      `must be ≤ TEST_SEND_MAX_CONCURRENT (${maxConcurrent}): it is one account's share of it`,
    );
  }
  return {
    perAccount: {
      limit: reader.int('ADMIN_RATE_LIMIT_PER_ACCOUNT', 1200, { min: 1, max: 1_000_000 }),
      windowMs,
    },
    perClient: {
      limit: reader.int('ADMIN_RATE_LIMIT_PER_CLIENT', 2400, { min: 1, max: 1_000_000 }),
      windowMs,
    },
    testSend: {
      perAccount: {
        limit: reader.int('TEST_SEND_RATE_LIMIT_PER_ACCOUNT', 30, { min: 1, max: 100_000 }),
        windowMs: testSendWindowMs,
      },
      maxConcurrent,
      maxConcurrentPerAccount,
    },
    maxPendingEventsPerWebhook: reader.int('MAX_PENDING_EVENTS_PER_WEBHOOK', 50_000, {
      min: 1,
      max: 10_000_000,
    }),
  };
}

export function loadIngestionConfig(env: Record<string, string | undefined> = process.env): IngestionConfig {
  const reader = new EnvReader(env);
  const eventsTopic = reader.string('KAFKA_EVENTS_TOPIC', 'lms.events');
  const config: IngestionConfig = {
    ...readCommon(reader, 'INGESTION_PORT', 3001),
    kafka: {
      brokers: reader.list('KAFKA_BROKERS', '127.0.0.1:9092'),
      clientId: reader.string('KAFKA_CLIENT_ID', 'lms-webhooks-ingestion'),
      eventsTopic,
      dlqTopic: reader.string('KAFKA_DLQ_TOPIC', `${eventsTopic}.dlq`),
      eventsPartitions: reader.int('KAFKA_EVENTS_PARTITIONS', 12, { min: 1, max: 1000 }),
      consumerGroup: reader.string('KAFKA_CONSUMER_GROUP', 'lms-webhooks-ingestion'),
      sessionTimeoutMs: reader.duration('KAFKA_SESSION_TIMEOUT_MS', '30s', { min: 6000 }),
      ...readKafkaDecodeLimits(reader),
    },
  };
  reader.done();
  return config;
}

/**
 * How much one Kafka fetch may decode. Defaults: a batch 64 MiB, a fetch 128 MiB (a fetch is at most
 * 32 MiB compressed; LMS events compress ~5-10×), 100,000 records a fetch (~40 MB of events; a Java
 * batch of LMS events holds a few thousand).
 */
function readKafkaDecodeLimits(
  reader: EnvReader,
): Pick<KafkaConfig, 'maxDecompressedBatchBytes' | 'maxDecompressedFetchBytes' | 'maxRecordsPerFetch'> {
  const maxDecompressedBatchBytes = reader.int('KAFKA_MAX_DECOMPRESSED_BATCH_BYTES', 64 * 1024 * 1024, {
    min: 64 * 1024,
    max: 1024 * 1024 * 1024,
  });
  const maxDecompressedFetchBytes = reader.int('KAFKA_MAX_DECOMPRESSED_FETCH_BYTES', 128 * 1024 * 1024, {
    min: 64 * 1024,
    max: 4 * 1024 * 1024 * 1024,
  });
  // A fetch below the batch cap could never hold a batch the batch cap lets through.
  if (maxDecompressedFetchBytes < maxDecompressedBatchBytes) {
    reader.problem(
      'KAFKA_MAX_DECOMPRESSED_FETCH_BYTES',
      `must be ≥ KAFKA_MAX_DECOMPRESSED_BATCH_BYTES (${maxDecompressedBatchBytes}); got ${maxDecompressedFetchBytes}`,
    );
  }
  const maxRecordsPerFetch = reader.int('KAFKA_MAX_RECORDS_PER_FETCH', 100_000, {
    min: 100,
    max: 10_000_000,
  });
  return { maxDecompressedBatchBytes, maxDecompressedFetchBytes, maxRecordsPerFetch };
}

export function loadDispatcherConfig(
  env: Record<string, string | undefined> = process.env,
): DispatcherConfig {
  const reader = new EnvReader(env);
  const common = readCommon(reader, 'DISPATCHER_PORT', 3002);
  const config: DispatcherConfig = {
    ...common,
    redis: readRedis(reader),
    secretsKey: readSecretsKey(reader, common.env),
    delivery: readDeliveryHttp(reader),
    concurrency: reader.int('DISPATCH_CONCURRENCY', 100, { min: 1, max: 10_000 }),
    maxUnexpectedErrors: reader.int('DELIVERY_MAX_UNEXPECTED_ERRORS', 5, { min: 1, max: 1000 }),
    accountMaxSharePercent: reader.int('DISPATCH_ACCOUNT_MAX_SHARE_PERCENT', 25, { min: 1, max: 100 }),
    // At least 2 MiB: an event is at most 1 MiB at ingestion, so one event always fits under the cap.
    // At most 256 MiB: the body is one JS string, and V8 refuses strings of ~512 MiB.
    maxRequestBodyBytes: reader.int('MAX_REQUEST_BODY_BYTES', 4 * 1024 * 1024, {
      min: 2 * 1024 * 1024,
      max: 256 * 1024 * 1024,
    }),
    retry: {
      scheduleMs: reader.durationList('RETRY_SCHEDULE', DEFAULT_RETRY_SCHEDULE),
      maxAgeMs: reader.duration('RETRY_MAX_AGE', '7d', { min: 1 }),
      jitterRatio: reader.int('RETRY_JITTER_PERCENT', 20, { min: 0, max: 100 }) / 100,
    },
    autoDisableAfterMs: reader.duration('AUTO_DISABLE_AFTER', '7d', { min: 1 }),
    batchCron: reader.cron('BATCH_CRON', '*/5 * * * *'),
    batchMaxEvents: reader.int('BATCH_MAX_EVENTS', 100, { min: 1, max: 10_000 }),
    shutdownGraceMs: reader.duration('SHUTDOWN_GRACE_MS', '15s', { min: 0 }),
    queue: {
      lockDurationMs: reader.duration('QUEUE_LOCK_DURATION_MS', '30s', { min: 1000 }),
      stalledIntervalMs: reader.duration('QUEUE_STALLED_INTERVAL_MS', '15s', { min: 500 }),
    },
    autoDisableCheckIntervalMs: reader.duration('AUTO_DISABLE_CHECK_INTERVAL_MS', '1m', { min: 100 }),
    retentionDays: reader.int('RETENTION_DAYS', 7, { min: 1, max: 3650 }),
    retentionCron: reader.cron('RETENTION_CRON', '17 * * * *'),
    relayIntervalMs: reader.duration('RELAY_INTERVAL_MS', '5s', { min: 100 }),
    relayGraceMs: reader.duration('RELAY_GRACE_MS', '30s', { min: 0 }),
  };
  reader.done();
  return config;
}
