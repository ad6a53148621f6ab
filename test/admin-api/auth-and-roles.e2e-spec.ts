import { generateKeyPairSync } from 'node:crypto';
import { JwtService } from '@nestjs/jwt';
import { mintAdminToken } from '@lms/testing';
import { startAdminApi, TEST_JWT_SECRET, type AdminApiHarness } from './support/admin-api-harness';

describe('admin API authentication and roles', () => {
  let api: AdminApiHarness;

  beforeAll(async () => {
    api = await startAdminApi('auth');
  });
  afterAll(async () => {
    await api.close();
  });

  const jwt = new JwtService();

  it('answers 401 UNAUTHORIZED without a token', async () => {
    const answer = await api.call('GET', '/api/v1/webhooks');
    expect(answer.status).toBe(401);
    expect(answer.body).toMatchObject({ statusCode: 401, code: 'UNAUTHORIZED' });
  });

  it.each([
    ['a malformed token', 'not-a-jwt'],
    [
      'a token signed with another secret',
      jwt.sign(
        { accountId: 1, roles: ['INTEGRATION_ADMIN'] },
        { secret: 'x'.repeat(40), subject: 'a', expiresIn: 60 },
      ),
    ],
    [
      'an expired token',
      jwt.sign(
        { accountId: 1, roles: ['INTEGRATION_ADMIN'], exp: Math.floor(Date.now() / 1000) - 10 },
        { secret: TEST_JWT_SECRET, subject: 'a' },
      ),
    ],
    [
      'a token without exp',
      jwt.sign({ accountId: 1, roles: ['INTEGRATION_ADMIN'] }, { secret: TEST_JWT_SECRET, subject: 'a' }),
    ],
    [
      'a token without accountId',
      jwt.sign({ roles: ['INTEGRATION_ADMIN'] }, { secret: TEST_JWT_SECRET, subject: 'a', expiresIn: 60 }),
    ],
    [
      'a token with accountId 0',
      jwt.sign(
        { accountId: 0, roles: ['INTEGRATION_ADMIN'] },
        { secret: TEST_JWT_SECRET, subject: 'a', expiresIn: 60 },
      ),
    ],
    [
      'a token with a string accountId',
      jwt.sign(
        { accountId: '1', roles: ['INTEGRATION_ADMIN'] },
        { secret: TEST_JWT_SECRET, subject: 'a', expiresIn: 60 },
      ),
    ],
    [
      'a token without sub',
      jwt.sign({ accountId: 1, roles: ['INTEGRATION_ADMIN'] }, { secret: TEST_JWT_SECRET, expiresIn: 60 }),
    ],
    [
      'a token whose roles is not an array',
      jwt.sign(
        { accountId: 1, roles: 'INTEGRATION_ADMIN' },
        { secret: TEST_JWT_SECRET, subject: 'a', expiresIn: 60 },
      ),
    ],
    [
      'an unsigned (alg none) token',
      unsignedToken({
        sub: 'a',
        accountId: 1,
        roles: ['INTEGRATION_ADMIN'],
        exp: Math.floor(Date.now() / 1000) + 60,
      }),
    ],
  ])('answers 401 for %s', async (_label, token) => {
    const answer = await api.call('GET', '/api/v1/webhooks', { token });
    expect(answer.status).toBe(401);
    expect(answer.body.code).toBe('UNAUTHORIZED');
  });

  it('answers 403 FORBIDDEN to a valid token without INTEGRATION_ADMIN, on every kind of route', async () => {
    const token = api.tokenFor(1010, { roles: ['LEARNER'] });
    for (const [method, path] of [
      ['GET', '/api/v1/webhooks'],
      ['POST', '/api/v1/webhooks'],
      ['GET', '/api/v1/event-types'],
      ['GET', '/api/v1/deliveries/00000000-0000-4000-8000-000000000000'],
    ] as const) {
      const answer = await api.call(method, path, { token, body: method === 'POST' ? {} : undefined });
      expect({ path, status: answer.status, code: answer.body.code }).toEqual({
        path,
        status: 403,
        code: 'FORBIDDEN',
      });
    }
  });

  it('lets INTEGRATION_ADMIN in', async () => {
    const answer = await api.call('GET', '/api/v1/webhooks', { token: api.tokenFor(1010) });
    expect(answer.status).toBe(200);
    expect(answer.body).toEqual([]);
  });

  it('keeps /health, /metrics and /docs public, outside /api/v1', async () => {
    expect((await api.call('GET', '/health/live')).status).toBe(200);
    expect((await api.call('GET', '/metrics')).status).toBe(200);
    expect((await api.call('GET', '/docs')).status).toBe(200);
    const spec = await api.call('GET', '/docs-json');
    expect(spec.status).toBe(200);
    expect(Object.keys(spec.body.paths)).toEqual(
      expect.arrayContaining([
        '/api/v1/webhooks',
        '/api/v1/webhooks/{id}',
        '/api/v1/webhooks/{id}/signature',
        '/api/v1/event-types',
      ]),
    );
  });

  it('answers 404 NOT_FOUND (after auth) for an unknown route', async () => {
    const answer = await api.call('GET', '/api/v1/nope', { token: api.tokenFor(1010) });
    expect(answer.status).toBe(404);
    expect(answer.body.code).toBe('NOT_FOUND');
  });

  it('serves the event catalogue at GET /event-types', async () => {
    const answer = await api.call('GET', '/api/v1/event-types', { token: api.tokenFor(1010) });
    expect(answer.status).toBe(200);
    const enrollment = answer.body.find((type: { name: string }) => type.name === 'COURSE_ENROLLMENT');
    expect(enrollment).toMatchObject({
      realtime: true,
      description: expect.any(String),
      schema: expect.any(Object),
      example: expect.any(Object),
    });
    expect(answer.body.find((type: { name: string }) => type.name === 'LEARNER_PROGRESS')).toMatchObject({
      realtime: false,
    });
  });
});

describe('admin API with RS256 tokens, issuer and audience', () => {
  const { publicKey, privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  const publicPem = publicKey.export({ type: 'spki', format: 'pem' }).toString();
  const privatePem = privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();
  let api: AdminApiHarness;

  beforeAll(async () => {
    api = await startAdminApi('auth_rs256', {
      ADMIN_JWT_SECRET: '',
      ADMIN_JWT_PUBLIC_KEY: publicPem,
      ADMIN_JWT_ISSUER: 'https://idp.example.com',
      ADMIN_JWT_AUDIENCE: 'lms-webhooks',
    });
  });
  afterAll(async () => {
    await api.close();
  });

  const sign = (key: { issuer?: string; audience?: string }) =>
    mintAdminToken({ privateKey: privatePem, ...key }, { accountId: 7, roles: ['INTEGRATION_ADMIN'] });

  it('accepts an RS256 token with the configured issuer and audience', async () => {
    const answer = await api.call('GET', '/api/v1/webhooks', {
      token: sign({ issuer: 'https://idp.example.com', audience: 'lms-webhooks' }),
    });
    expect(answer.status).toBe(200);
  });

  it('refuses a wrong issuer, a wrong audience and an HS256 token', async () => {
    expect(
      (
        await api.call('GET', '/api/v1/webhooks', {
          token: sign({ issuer: 'https://evil.example', audience: 'lms-webhooks' }),
        })
      ).status,
    ).toBe(401);
    expect(
      (
        await api.call('GET', '/api/v1/webhooks', {
          token: sign({ issuer: 'https://idp.example.com', audience: 'other' }),
        })
      ).status,
    ).toBe(401);
    const hs256 = mintAdminToken(
      { secret: TEST_JWT_SECRET, issuer: 'https://idp.example.com', audience: 'lms-webhooks' },
      { accountId: 7 },
    );
    expect((await api.call('GET', '/api/v1/webhooks', { token: hs256 })).status).toBe(401);
  });
});

function unsignedToken(claims: Record<string, unknown>): string {
  const encode = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');
  return `${encode({ alg: 'none', typ: 'JWT' })}.${encode(claims)}.`;
}
