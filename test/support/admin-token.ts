import { createHmac } from 'node:crypto';

const base64url = (value: string | Buffer) => Buffer.from(value).toString('base64url');

/**
 * An HS256 JWT as an identity provider would issue for an Integration Admin. Written out here (not via
 * the app's own token script) so end-to-end tests check the API against the documented token contract.
 */
export function signAdminToken(
  secret: string,
  claims: { accountId: number; sub?: string; roles?: string[]; ttlSeconds?: number },
): string {
  const now = Math.floor(Date.now() / 1000);
  const header = base64url(JSON.stringify({ alg: 'HS256', typ: 'JWT' }));
  const payload = base64url(
    JSON.stringify({
      sub: claims.sub ?? `admin-${claims.accountId}`,
      accountId: claims.accountId,
      roles: claims.roles ?? ['INTEGRATION_ADMIN'],
      iat: now,
      exp: now + (claims.ttlSeconds ?? 3600),
    }),
  );
  const signature = base64url(createHmac('sha256', secret).update(`${header}.${payload}`).digest());
  return `${header}.${payload}.${signature}`;
}
