import { Inject, Injectable } from '@nestjs/common';
import { PassportStrategy } from '@nestjs/passport';
import { ExtractJwt, Strategy } from 'passport-jwt';
import { principalFromClaims } from './admin-claims';
import { ADMIN_JWT_OPTIONS, ADMIN_JWT_STRATEGY, type AdminJwtOptions } from './admin-jwt-options';
import type { AdminPrincipal } from './admin-principal';

/**
 * `Authorization: Bearer <JWT>`. The algorithm is pinned (RS256 when a public key is configured, HS256
 * otherwise) so a token cannot choose its own verification, e.g. `alg: none` or HS256 keyed with the
 * public key.
 */
@Injectable()
export class AdminJwtStrategy extends PassportStrategy(Strategy, ADMIN_JWT_STRATEGY) {
  private readonly maxLifetimeMs: number;

  constructor(@Inject(ADMIN_JWT_OPTIONS) options: AdminJwtOptions) {
    const key = options.publicKey ?? options.secret;
    if (!key) throw new Error('Admin JWT verification needs ADMIN_JWT_SECRET or ADMIN_JWT_PUBLIC_KEY');
    super({
      jwtFromRequest: ExtractJwt.fromAuthHeaderAsBearerToken(),
      secretOrKey: key,
      algorithms: options.publicKey ? ['RS256'] : ['HS256'],
      issuer: options.issuer,
      audience: options.audience,
      ignoreExpiration: false,
    });
    this.maxLifetimeMs = options.maxLifetimeMs;
  }

  /** Returning false makes Passport answer 401. */
  validate(claims: unknown): AdminPrincipal | false {
    return principalFromClaims(claims, { maxLifetimeMs: this.maxLifetimeMs, nowMs: Date.now() }) ?? false;
  }
}
