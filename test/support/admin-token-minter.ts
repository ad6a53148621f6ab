import { createHmac, createSign } from 'node:crypto';

export interface TestTokenKey {
  /** HS256 shared secret, or an RS256 private key (PEM). */
  secret?: string;
  privateKey?: string;
  issuer?: string;
  audience?: string;
}

export interface TestTokenClaims {
  accountId: number;
  sub?: string;
  roles?: string[];
  /** Lifetime in seconds (default one hour). */
  ttlSeconds?: number;
}

const base64url = (value: string | Buffer) => Buffer.from(value).toString('base64url');

/**
 * The one test token minter: a JWT as an identity provider would issue for an Integration Admin.
 * Written out with node:crypto (not the app's signAdminToken) so end-to-end tests check the API
 * against the documented token contract, not against its own signer.
 */
export function mintAdminToken(key: TestTokenKey, claims: TestTokenClaims): string {
  const algorithm = key.privateKey ? 'RS256' : 'HS256';
  const now = Math.floor(Date.now() / 1000);
  const header = base64url(JSON.stringify({ alg: algorithm, typ: 'JWT' }));
  const payload = base64url(
    JSON.stringify({
      sub: claims.sub ?? `admin-${claims.accountId}`,
      accountId: claims.accountId,
      roles: claims.roles ?? ['INTEGRATION_ADMIN'],
      iat: now,
      exp: now + (claims.ttlSeconds ?? 3600),
      ...(key.issuer ? { iss: key.issuer } : {}),
      ...(key.audience ? { aud: key.audience } : {}),
    }),
  );
  const signingInput = `${header}.${payload}`;
  let signature: Buffer;
  if (key.privateKey) {
    signature = createSign('RSA-SHA256').update(signingInput).sign(key.privateKey);
  } else if (key.secret) {
    signature = createHmac('sha256', key.secret).update(signingInput).digest();
  } else {
    throw new Error('mintAdminToken needs a secret or a private key');
  }
  return `${signingInput}.${base64url(signature)}`;
}
