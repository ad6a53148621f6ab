import { Inject, Injectable } from '@nestjs/common';
import { InjectThrottlerStorage, type ThrottlerStorage } from '@nestjs/throttler';
import { Metrics } from '@lms/observability';
import { ConcurrencyShares } from './concurrency-shares';
import { RateLimitExceededError } from './rate-limit-exceeded.error';
import { RATE_LIMITS, rateLimitKey, type RateLimitSettings } from './rate-limit-keys';

const TEST_SEND_THROTTLER = 'test-send';

/**
 * Lets a test-send go out, or refuses it with a 429: an account has at most its share of this
 * process's concurrent test-sends, and at most so many test-sends per window across replicas (the
 * same Redis counters as the request limits). It runs after validation, so it counts sends, not
 * refused bodies: every test-send is a request to a host the admin chose, and that is what it bounds.
 */
@Injectable()
export class TestSendAdmission {
  private readonly slots: ConcurrencyShares;

  constructor(
    @Inject(RATE_LIMITS) private readonly settings: RateLimitSettings,
    @InjectThrottlerStorage() private readonly storage: ThrottlerStorage,
    private readonly metrics: Metrics,
  ) {
    this.slots = new ConcurrencyShares(
      settings.testSend.maxConcurrent,
      settings.testSend.maxConcurrentPerAccount,
    );
  }

  async run<T>(accountId: number, send: () => Promise<T>): Promise<T> {
    const slot = this.slots.tryAcquire(accountId);
    if (typeof slot === 'string') {
      this.metrics.adminRequestsLimited.inc({ limit: 'testSendConcurrency' });
      const { maxConcurrent, maxConcurrentPerAccount } = this.settings.testSend;
      throw RateLimitExceededError.concurrentTestSends(
        slot,
        slot === 'ACCOUNT_SHARE' ? maxConcurrentPerAccount : maxConcurrent,
      );
    }
    try {
      await this.count(accountId);
      return await send();
    } finally {
      slot();
    }
  }

  private async count(accountId: number): Promise<void> {
    const { limit, windowMs } = this.settings.testSend.perAccount;
    const record = await this.storage.increment(
      rateLimitKey(this.settings, TEST_SEND_THROTTLER, String(accountId)),
      windowMs,
      limit,
      windowMs,
      TEST_SEND_THROTTLER,
    );
    if (record.isBlocked) {
      this.metrics.adminRequestsLimited.inc({ limit: 'testSend' });
      throw RateLimitExceededError.requests('testSend', limit, windowMs, record.timeToBlockExpire);
    }
  }
}
