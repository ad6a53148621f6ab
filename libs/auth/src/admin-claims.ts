import type { AdminPrincipal } from './admin-principal';

/**
 * Checks the claims of a signature-verified token and turns them into a principal; null when a claim
 * is missing or malformed. `exp` is required here because the JWT library only checks it when present,
 * and a token that never expires is not one we accept.
 */
export function principalFromClaims(claims: unknown): AdminPrincipal | null {
  if (typeof claims !== 'object' || claims === null) return null;
  const { sub, accountId, roles, exp } = claims as Record<string, unknown>;
  if (typeof exp !== 'number' || !Number.isFinite(exp)) return null;
  if (typeof sub !== 'string' || sub.length === 0 || sub.length > 255) return null;
  if (typeof accountId !== 'number' || !Number.isSafeInteger(accountId) || accountId <= 0) return null;
  if (!Array.isArray(roles) || !roles.every((role): role is string => typeof role === 'string')) return null;
  return { sub, accountId, roles: [...roles] };
}
