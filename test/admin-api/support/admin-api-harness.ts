import { randomBytes } from 'node:crypto';
import type { INestApplication } from '@nestjs/common';
import { Client } from 'pg';
import Redis from 'ioredis';
import { createAdminApiApp } from '../../../apps/admin-api/src/admin-api.bootstrap';
import { loadAdminApiConfig, type AdminApiConfig } from '@lms/config';
import { createTestDatabase, mintAdminToken, type TestDatabase } from '@lms/testing';

export const TEST_JWT_SECRET = 'test-only-admin-jwt-secret-0123456789abcdef';
export const REDIS_URL = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';

export interface AdminApiHarness {
  baseUrl: string;
  config: AdminApiConfig;
  database: TestDatabase;
  /** A pg client on the test database, for arranging rows and reading raw ones. */
  sql: Client;
  queuePrefix: string;
  tokenFor(accountId: number, options?: { roles?: string[]; sub?: string; ttlSeconds?: number }): string;
  /** fetch against the API with a bearer token (or none when token is null). */
  call(
    method: string,
    path: string,
    options?: { token?: string | null; body?: unknown; rawBody?: string; headers?: Record<string, string> },
  ): Promise<ApiAnswer>;
  close(): Promise<void>;
}

export interface ApiAnswer {
  status: number;
  headers: Headers;
  // Tests read the JSON they expect; a typed client would hide what the API really answered.
  body: any; // eslint-disable-line @typescript-eslint/no-explicit-any
  text: string;
}

/**
 * Boots the real admin API in-process on an ephemeral port against a fresh database and a Bull prefix
 * of its own, so test files run side by side. `env` overrides the configuration variables.
 */
export async function startAdminApi(
  label: string,
  env: Record<string, string> = {},
): Promise<AdminApiHarness> {
  const database = await createTestDatabase(label);
  const queuePrefix = `lmsw_test_${label}_${randomBytes(4).toString('hex')}`;
  const config = loadAdminApiConfig({
    NODE_ENV: 'test',
    LOG_LEVEL: 'error',
    ADMIN_API_PORT: '0',
    DATABASE_URL: database.url,
    DATABASE_POOL_SIZE: '20',
    REDIS_URL,
    QUEUE_PREFIX: queuePrefix,
    ADMIN_JWT_SECRET: TEST_JWT_SECRET,
    ...env,
  });
  let app: INestApplication | undefined;
  const sql = new Client({ connectionString: database.url });
  try {
    app = await createAdminApiApp(config);
    await app.listen(0, '127.0.0.1');
    await sql.connect();
  } catch (error) {
    await app?.close();
    await database.drop();
    throw error;
  }
  const address = app.getHttpServer().address() as { port: number };
  const baseUrl = `http://127.0.0.1:${address.port}`;
  const started = app;

  return {
    baseUrl,
    config,
    database,
    sql,
    queuePrefix,
    tokenFor: (accountId, options = {}) =>
      mintAdminToken(
        { secret: TEST_JWT_SECRET, issuer: config.jwt.issuer, audience: config.jwt.audience },
        {
          accountId,
          roles: options.roles,
          sub: options.sub ?? `admin-of-${accountId}`,
          ttlSeconds: options.ttlSeconds,
        },
      ),
    async call(method, path, options = {}) {
      const headers: Record<string, string> = { ...(options.headers ?? {}) };
      if (options.token) headers.authorization = `Bearer ${options.token}`;
      let body: string | undefined;
      if (options.rawBody !== undefined) body = options.rawBody;
      else if (options.body !== undefined) body = JSON.stringify(options.body);
      if (body !== undefined && !headers['content-type']) headers['content-type'] = 'application/json';
      const response = await fetch(`${baseUrl}${path}`, { method, headers, body });
      const text = await response.text();
      let parsed: unknown;
      try {
        parsed = text.length > 0 ? JSON.parse(text) : undefined;
      } catch {
        parsed = undefined;
      }
      return { status: response.status, headers: response.headers, body: parsed, text };
    },
    async close() {
      await started.close();
      await sql.end();
      await database.drop();
      await deleteQueueKeys(queuePrefix);
    },
  };
}

async function deleteQueueKeys(prefix: string): Promise<void> {
  const redis = new Redis(REDIS_URL, { lazyConnect: true, maxRetriesPerRequest: 1 });
  try {
    await redis.connect();
    const keys = await redis.keys(`${prefix}:*`);
    if (keys.length > 0) await redis.del(...keys);
  } finally {
    redis.disconnect();
  }
}
