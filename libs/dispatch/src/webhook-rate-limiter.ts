import { Inject, Injectable, OnModuleDestroy } from '@nestjs/common';
import type { DispatcherConfig } from '@lms/config';
import Redis from 'ioredis';
import { DISPATCHER_CONFIG, RATE_LIMIT_REDIS } from './dispatch-tokens';

/**
 * Per-webhook requests-per-second, enforced across every replica: a fixed one-second window counted in
 * Redis (INCR + EXPIRE). A fixed window lets up to 2× through around a window edge; receivers asking for
 * a limit care about sustained rate, and this costs one round trip per send.
 */
@Injectable()
export class WebhookRateLimiter implements OnModuleDestroy {
  constructor(
    @Inject(RATE_LIMIT_REDIS) private readonly redis: Redis,
    @Inject(DISPATCHER_CONFIG) private readonly config: DispatcherConfig,
  ) {}

  /** 0 when the request may go now; otherwise ms until the next window opens. */
  async acquire(webhookId: string, limitPerSecond: number, now: number = Date.now()): Promise<number> {
    const second = Math.floor(now / 1000);
    const key = `${this.config.redis.queuePrefix}:rate:${webhookId}:${second}`;
    const [[, count]] = (await this.redis.multi().incr(key).expire(key, 2).exec()) as [
      [Error | null, number],
      unknown,
    ];
    if (count <= limitPerSecond) return 0;
    // The n-th request over the limit waits for the window it would fit in, so a burst spreads out
    // instead of every refused job coming back at the same instant.
    const windowsAhead = Math.floor((count - limitPerSecond - 1) / limitPerSecond);
    return (second + 1 + windowsAhead) * 1000 - now + Math.floor(Math.random() * 50);
  }

  onModuleDestroy(): void {
    this.redis.disconnect();
  }
}
