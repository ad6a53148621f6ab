import { ExecutionContext, Inject, Injectable } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import {
  InjectThrottlerOptions,
  InjectThrottlerStorage,
  ThrottlerGuard,
  type ThrottlerLimitDetail,
  type ThrottlerModuleOptions,
  type ThrottlerStorage,
} from '@nestjs/throttler';
import type { AdminPrincipal } from '@lms/auth';
import { Metrics, PUBLIC_ROUTE } from '@lms/observability';
import { RateLimitExceededError } from './rate-limit-exceeded.error';
import { RATE_LIMITS, rateLimitKey, type RateLimitSettings } from './rate-limit-keys';

/** The throttler names of ThrottlerModule's options; each guard below runs one of them. */
export const CLIENT_THROTTLER = 'client';
export const ACCOUNT_THROTTLER = 'account';

/**
 * One of the admin API's two request limits, on @nestjs/throttler with the Redis storage (so the
 * count is shared by every replica). Public probes (/health, /metrics) are never limited; keys are
 * per scope and tracker for the whole API; a refusal is a RateLimitExceededError (429, Retry-After).
 */
@Injectable()
abstract class ApiRateLimitGuard extends ThrottlerGuard {
  protected abstract readonly scope: typeof CLIENT_THROTTLER | typeof ACCOUNT_THROTTLER;

  constructor(
    @InjectThrottlerOptions() options: ThrottlerModuleOptions,
    @InjectThrottlerStorage() storage: ThrottlerStorage,
    reflector: Reflector,
    @Inject(RATE_LIMITS) protected readonly settings: RateLimitSettings,
    private readonly metrics: Metrics,
  ) {
    super(options, storage, reflector);
  }

  override async onModuleInit(): Promise<void> {
    await super.onModuleInit();
    this.throttlers = this.throttlers.filter((throttler) => throttler.name === this.scope);
  }

  protected override shouldSkip(context: ExecutionContext): Promise<boolean> {
    const isPublic = this.reflector.getAllAndOverride<boolean>(PUBLIC_ROUTE, [
      context.getHandler(),
      context.getClass(),
    ]);
    return Promise.resolve(isPublic === true || context.getType() !== 'http');
  }

  protected override generateKey(_context: ExecutionContext, tracker: string, name: string): string {
    return rateLimitKey(this.settings, name, tracker);
  }

  protected override throwThrottlingException(
    _context: ExecutionContext,
    detail: ThrottlerLimitDetail,
  ): Promise<void> {
    this.metrics.adminRequestsLimited.inc({ limit: this.scope });
    throw RateLimitExceededError.requests(this.scope, detail.limit, detail.ttl, detail.timeToBlockExpire);
  }
}

/**
 * Per client IP, before authentication (registered before the access guard), so a flood of bad or
 * missing tokens is refused as cheaply as any other.
 */
@Injectable()
export class ClientRateLimitGuard extends ApiRateLimitGuard {
  protected readonly scope = CLIENT_THROTTLER;
}

/** Per account, after authentication (registered after the access guard): the token's accountId. */
@Injectable()
export class AccountRateLimitGuard extends ApiRateLimitGuard {
  protected readonly scope = ACCOUNT_THROTTLER;

  protected override getTracker(request: { user?: AdminPrincipal; ip?: string }): Promise<string> {
    // The access guard ran first, so a principal is there on every non-public route.
    const principal = request.user;
    if (!principal) return super.getTracker(request).then((ip) => `client-${ip}`);
    return Promise.resolve(String(principal.accountId));
  }
}
