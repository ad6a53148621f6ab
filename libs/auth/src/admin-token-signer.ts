import { JwtService } from '@nestjs/jwt';
import { INTEGRATION_ADMIN_ROLE } from './admin-principal';

export interface AdminTokenRequest {
  accountId: number;
  sub?: string;
  roles?: string[];
  /** Lifetime in seconds. */
  ttlSeconds?: number;
}

export interface AdminTokenSigningKey {
  /** HS256 shared secret, or an RS256 private key (PEM). */
  secret?: string;
  privateKey?: string;
  issuer?: string;
  audience?: string;
}

/** Signs an admin token the way an identity provider would: for the dev token script and the tests. */
export function signAdminToken(key: AdminTokenSigningKey, request: AdminTokenRequest): string {
  const jwt = new JwtService();
  const payload = {
    accountId: request.accountId,
    roles: request.roles ?? [INTEGRATION_ADMIN_ROLE],
  };
  const options = {
    subject: request.sub ?? `admin-${request.accountId}`,
    expiresIn: request.ttlSeconds ?? 3600,
    ...(key.issuer ? { issuer: key.issuer } : {}),
    ...(key.audience ? { audience: key.audience } : {}),
  };
  if (key.privateKey)
    return jwt.sign(payload, { ...options, privateKey: key.privateKey, algorithm: 'RS256' });
  if (!key.secret) throw new Error('signAdminToken needs a secret or a private key');
  return jwt.sign(payload, { ...options, secret: key.secret, algorithm: 'HS256' });
}
