/** How admin tokens are verified: HS256 with a shared secret, or RS256 with a public key when one is set. */
export interface AdminJwtOptions {
  secret?: string;
  publicKey?: string;
  issuer?: string;
  audience?: string;
  /** Tokens valid for longer than this (from now, or from their `iat`) are refused. */
  maxLifetimeMs: number;
}

export const ADMIN_JWT_OPTIONS = Symbol('ADMIN_JWT_OPTIONS');

/** Passport strategy name of the admin JWT. */
export const ADMIN_JWT_STRATEGY = 'admin-jwt';
