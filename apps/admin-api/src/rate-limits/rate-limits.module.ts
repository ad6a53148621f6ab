import { DynamicModule, Inject, Module, OnApplicationShutdown } from '@nestjs/common';
import { ThrottlerStorageRedisService } from '@nest-lab/throttler-storage-redis';
import { ThrottlerModule } from '@nestjs/throttler';
import Redis from 'ioredis';
import type { AdminApiConfig } from '@lms/config';
import { ACCOUNT_THROTTLER, CLIENT_THROTTLER } from './api-rate-limit.guards';
import { RATE_LIMIT_REDIS, RATE_LIMITS, type RateLimitSettings } from './rate-limit-keys';
import { TestSendAdmission } from './test-send-admission';

/**
 * The admin API's limits: per client and per account request rates (ClientRateLimitGuard and
 * AccountRateLimitGuard, which the app module registers around its access guard), and test-send
 * admission. Counters live in Redis, so every replica of a
 * deployment enforces one limit, not one each.
 */
@Module({})
export class RateLimitsModule implements OnApplicationShutdown {
  constructor(@Inject(RATE_LIMIT_REDIS) private readonly redis: Redis) {}

  static forRoot(config: AdminApiConfig): DynamicModule {
    const settings: RateLimitSettings = { ...config.limits, keyPrefix: config.redis.queuePrefix };
    // One try per command: a Redis outage answers 500 at once instead of holding requests open.
    const redis = new Redis(config.redis.url, { lazyConnect: true, maxRetriesPerRequest: 1 });
    return {
      module: RateLimitsModule,
      imports: [
        ThrottlerModule.forRoot({
          storage: new ThrottlerStorageRedisService(redis),
          setHeaders: false,
          throttlers: [
            { name: CLIENT_THROTTLER, limit: settings.perClient.limit, ttl: settings.perClient.windowMs },
            { name: ACCOUNT_THROTTLER, limit: settings.perAccount.limit, ttl: settings.perAccount.windowMs },
          ],
        }),
      ],
      providers: [
        { provide: RATE_LIMITS, useValue: settings },
        { provide: RATE_LIMIT_REDIS, useValue: redis },
        TestSendAdmission,
      ],
      exports: [RATE_LIMITS, TestSendAdmission],
    };
  }

  async onApplicationShutdown(): Promise<void> {
    await this.redis.quit().catch(() => this.redis.disconnect());
  }
}
