/** The validated DispatcherConfig, provided once by DispatchModule.forRoot. */
export const DISPATCHER_CONFIG = Symbol('DISPATCHER_CONFIG');
/** A dedicated ioredis client for the cross-replica rate limiter (not one of Bull's connections). */
export const RATE_LIMIT_REDIS = Symbol('RATE_LIMIT_REDIS');
