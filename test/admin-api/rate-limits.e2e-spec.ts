import { randomBytes } from 'node:crypto';
import {
  createTestDatabase,
  mintAdminToken,
  startAppProcess,
  stopAppProcess,
  type AppProcess,
  type TestDatabase,
} from '@lms/testing';
import { REDIS_URL, startAdminApi, TEST_JWT_SECRET, type AdminApiHarness } from './support/admin-api-harness';

/**
 * Issue 15: the admin API limits each account and each client address, with 429, Retry-After and the
 * house error body, counted in Redis so the limit is one for all replicas. Public probes are never
 * limited. Limits are set low here; the defaults are far above what the other suites do.
 */
describe('admin API: request limits per account and per client', () => {
  describe('one process', () => {
    let api: AdminApiHarness;

    beforeAll(async () => {
      api = await startAdminApi('rate_limits', {
        ADMIN_RATE_LIMIT_PER_ACCOUNT: '5',
        ADMIN_RATE_LIMIT_PER_CLIENT: '12',
        ADMIN_RATE_LIMIT_WINDOW: '1h',
      });
    });
    afterAll(async () => {
      await api?.close();
    });

    it("refuses an account's 6th request in the window with 429, Retry-After and the reason; another account goes on", async () => {
      const busy = api.tokenFor(7001);
      const statuses: number[] = [];
      for (let call = 0; call < 5; call++) {
        statuses.push((await api.call('GET', '/api/v1/webhooks', { token: busy })).status);
      }
      expect(statuses).toEqual([200, 200, 200, 200, 200]);

      const refused = await api.call('GET', '/api/v1/event-types', { token: busy });
      expect(refused.status).toBe(429);
      expect(refused.body).toEqual({
        statusCode: 429,
        code: 'TOO_MANY_REQUESTS',
        message: expect.stringMatching(
          /^Too many requests from this account: at most 5 per hour; retry after \d+ s$/,
        ),
      });
      const retryAfter = Number(refused.headers.get('retry-after'));
      expect(retryAfter).toBeGreaterThan(3500);
      expect(retryAfter).toBeLessThanOrEqual(3600);
      // Every route counts for the same account, writes included.
      expect((await api.call('POST', '/api/v1/webhooks', { token: busy, body: {} })).status).toBe(429);

      // Same client address, another account: its own count.
      expect((await api.call('GET', '/api/v1/webhooks', { token: api.tokenFor(7002) })).status).toBe(200);
    });

    it('counts requests per client address before authentication, and never limits /health or /metrics', async () => {
      // 8 calls so far from 127.0.0.1 in this file; up to 12 pass, tokens or not.
      const answers: number[] = [];
      for (let call = 0; call < 6; call++) {
        answers.push((await api.call('GET', '/api/v1/webhooks', { token: null })).status);
      }
      expect(answers).toEqual([401, 401, 401, 401, 429, 429]);
      const refused = await api.call('GET', '/api/v1/webhooks', { token: 'not-a-jwt' });
      expect(refused.status).toBe(429);
      expect(refused.body.message).toMatch(/^Too many requests from this client address: at most 12 per/);
      expect(Number(refused.headers.get('retry-after'))).toBeGreaterThan(0);
      // A fresh account from the refused address is refused too: the address limit comes first.
      expect((await api.call('GET', '/api/v1/webhooks', { token: api.tokenFor(7003) })).status).toBe(429);
      // No proxy is trusted by default: naming another address in X-Forwarded-For changes nothing.
      const spoofed = await api.call('GET', '/api/v1/webhooks', {
        token: null,
        headers: { 'x-forwarded-for': '203.0.113.99' },
      });
      expect(spoofed.status).toBe(429);

      for (const probe of ['/health/live', '/health/ready', '/metrics']) {
        for (let call = 0; call < 3; call++) {
          expect({ probe, status: (await api.call('GET', probe)).status }).toEqual({ probe, status: 200 });
        }
      }
      // Each refusal is counted by the limit that made it.
      const metrics = (await api.call('GET', '/metrics')).text;
      expect(metrics).toContain('lmsw_admin_requests_limited_total{limit="account"} 2');
      expect(metrics).toContain('lmsw_admin_requests_limited_total{limit="client"} 5');
    });
  });

  describe('behind a trusted proxy (ADMIN_API_TRUST_PROXY)', () => {
    let api: AdminApiHarness;

    beforeAll(async () => {
      api = await startAdminApi('rate_limits_proxy', {
        ADMIN_RATE_LIMIT_PER_CLIENT: '3',
        ADMIN_RATE_LIMIT_WINDOW: '1h',
        ADMIN_API_TRUST_PROXY: 'loopback',
      });
    });
    afterAll(async () => {
      await api?.close();
    });

    it('counts each client the proxy names apart', async () => {
      const from = (client: string) =>
        api.call('GET', '/api/v1/webhooks', { token: null, headers: { 'x-forwarded-for': client } });
      const first: number[] = [];
      for (let call = 0; call < 4; call++) first.push((await from('203.0.113.7')).status);
      expect(first).toEqual([401, 401, 401, 429]);
      expect((await from('203.0.113.8')).status).toBe(401);
    });
  });

  describe('two admin-api processes sharing Redis', () => {
    let database: TestDatabase;
    const replicas: AppProcess[] = [];

    beforeAll(async () => {
      database = await createTestDatabase('rate_limit_replicas');
      // One deployment: same database, Redis and prefix; the limit is for both together.
      const env = {
        NODE_ENV: 'test',
        LOG_LEVEL: 'warn',
        DATABASE_URL: database.url,
        REDIS_URL,
        QUEUE_PREFIX: `lmsw-test-replicas-${randomBytes(4).toString('hex')}`,
        ADMIN_JWT_SECRET: TEST_JWT_SECRET,
        ADMIN_RATE_LIMIT_PER_ACCOUNT: '6',
        ADMIN_RATE_LIMIT_WINDOW: '1h',
      };
      replicas.push(await startAppProcess('admin-api', env));
      replicas.push(await startAppProcess('admin-api', env));
    });
    afterAll(async () => {
      for (const replica of replicas) await stopAppProcess(replica);
      await database?.drop();
    });

    it('holds one limit across both: 3 calls to each, then the 7th is refused by either', async () => {
      const token = mintAdminToken({ secret: TEST_JWT_SECRET }, { accountId: 7100, sub: 'scripted' });
      const get = async (replica: AppProcess) => {
        const response = await fetch(`http://127.0.0.1:${replica.port}/api/v1/webhooks`, {
          headers: { authorization: `Bearer ${token}` },
        });
        return { status: response.status, retryAfter: response.headers.get('retry-after') };
      };
      const [a, b] = replicas;
      const statuses: number[] = [];
      for (let round = 0; round < 3; round++) {
        statuses.push((await get(a)).status, (await get(b)).status);
      }
      expect(statuses).toEqual([200, 200, 200, 200, 200, 200]);
      const refusedByA = await get(a);
      const refusedByB = await get(b);
      expect([refusedByA.status, refusedByB.status]).toEqual([429, 429]);
      expect(Number(refusedByB.retryAfter)).toBeGreaterThan(0);
    });
  });
});
