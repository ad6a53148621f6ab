import type { AdminApiLimitsConfig } from '@lms/config';

export const RATE_LIMITS = Symbol('RATE_LIMITS');
export const RATE_LIMIT_REDIS = Symbol('RATE_LIMIT_REDIS');

/** The limits this process enforces, and the Redis key prefix its replicas share them under. */
export interface RateLimitSettings extends AdminApiLimitsConfig {
  /** The deployment's QUEUE_PREFIX: replicas of one deployment count together, other stacks apart. */
  keyPrefix: string;
}

/** One counter per scope and tracker for the whole API (not per route, as @nestjs/throttler's default is). */
export function rateLimitKey(settings: RateLimitSettings, scope: string, tracker: string): string {
  return `${settings.keyPrefix}:rate:${scope}:${tracker}`;
}
