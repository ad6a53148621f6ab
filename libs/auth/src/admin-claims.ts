import type { AdminPrincipal } from './admin-principal';

export interface TokenLifetimeRule {
  /** A token may not be valid for longer than this from now (nor from its `iat`, when it has one). */
  maxLifetimeMs: number;
  nowMs: number;
}

/**
 * Checks the claims of a signature-verified token and turns them into a principal; null when a claim
 * is missing or malformed. `exp` is required here because the JWT library only checks it when present,
 * and a token that never expires is not one we accept; nor is one that expires in a thousand years
 * (`exp: 1e300`): a leaked long-lived token cannot be revoked.
 */
export function principalFromClaims(claims: unknown, lifetime?: TokenLifetimeRule): AdminPrincipal | null {
  if (typeof claims !== 'object' || claims === null) return null;
  const { sub, accountId, roles, exp, iat } = claims as Record<string, unknown>;
  if (typeof exp !== 'number' || !Number.isFinite(exp)) return null;
  if (lifetime) {
    const maxSeconds = lifetime.maxLifetimeMs / 1000;
    if (exp - lifetime.nowMs / 1000 > maxSeconds) return null;
    if (typeof iat === 'number' && exp - iat > maxSeconds) return null;
  }
  if (typeof sub !== 'string' || sub.length === 0 || sub.length > 255) return null;
  if (typeof accountId !== 'number' || !Number.isSafeInteger(accountId) || accountId <= 0) return null;
  if (!Array.isArray(roles) || !roles.every((role): role is string => typeof role === 'string')) return null;
  return { sub, accountId, roles: [...roles] };
}
