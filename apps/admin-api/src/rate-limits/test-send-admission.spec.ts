import type { ThrottlerStorage } from '@nestjs/throttler';
import { Metrics } from '@lms/observability';
import type { RateLimitSettings } from './rate-limit-keys';
import { RateLimitExceededError } from './rate-limit-exceeded.error';
import { TestSendAdmission } from './test-send-admission';

/** Counts per key as the Redis storage does within one window: blocked once past the limit. */
class CountingStorage implements ThrottlerStorage {
  readonly hits = new Map<string, number>();
  increment(key: string, ttl: number, limit: number) {
    const totalHits = (this.hits.get(key) ?? 0) + 1;
    this.hits.set(key, totalHits);
    const isBlocked = totalHits > limit;
    return Promise.resolve({
      totalHits,
      timeToExpire: ttl / 1000,
      isBlocked,
      timeToBlockExpire: isBlocked ? 42 : 0,
    });
  }
}

const settings = (testSend: Partial<RateLimitSettings['testSend']> = {}): RateLimitSettings => ({
  keyPrefix: 'unit',
  perAccount: { limit: 100, windowMs: 60_000 },
  perClient: { limit: 100, windowMs: 60_000 },
  testSend: {
    perAccount: { limit: 2, windowMs: 60_000 },
    maxConcurrent: 3,
    maxConcurrentPerAccount: 1,
    ...testSend,
  },
  maxPendingEventsPerWebhook: 10,
});

function deferred(): { promise: Promise<string>; resolve: (value: string) => void } {
  let resolve: (value: string) => void = () => undefined;
  const promise = new Promise<string>((done) => (resolve = done));
  return { promise, resolve };
}

async function refusal(attempt: Promise<unknown>): Promise<RateLimitExceededError> {
  const error = await attempt.then(
    () => undefined,
    (reason: unknown) => reason,
  );
  if (!(error instanceof RateLimitExceededError)) throw new Error(`expected a refusal, got ${String(error)}`);
  return error;
}

describe('TestSendAdmission', () => {
  it("refuses an account's test-send beyond its concurrent share, not another account's", async () => {
    const admission = new TestSendAdmission(settings(), new CountingStorage(), new Metrics());
    const held = deferred();
    const first = admission.run(1, () => held.promise);
    const refused = await refusal(admission.run(1, () => Promise.resolve('second')));
    expect(refused).toMatchObject({ code: 'TOO_MANY_CONCURRENT_TEST_SENDS', retryAfterSeconds: 1 });
    expect(refused.message).toContain('1 test-sends in progress');
    await expect(admission.run(2, () => Promise.resolve('other account'))).resolves.toBe('other account');
    held.resolve('first');
    await expect(first).resolves.toBe('first');
    await expect(admission.run(1, () => Promise.resolve('after'))).resolves.toBe('after');
  });

  it('refuses beyond the whole capacity, naming it', async () => {
    const admission = new TestSendAdmission(
      settings({ maxConcurrent: 1 }),
      new CountingStorage(),
      new Metrics(),
    );
    const held = deferred();
    const first = admission.run(1, () => held.promise);
    const refused = await refusal(admission.run(2, () => Promise.resolve('x')));
    expect(refused.message).toContain('The admin API already has 1 test-sends in progress');
    held.resolve('done');
    await first;
  });

  it('counts test-sends per account and window, with the time to wait; a refused one sends nothing', async () => {
    const storage = new CountingStorage();
    const admission = new TestSendAdmission(settings(), storage, new Metrics());
    let sent = 0;
    const send = () => Promise.resolve(++sent);
    await admission.run(5, send);
    await admission.run(5, send);
    const refused = await refusal(admission.run(5, send));
    expect(refused).toMatchObject({ code: 'TOO_MANY_REQUESTS', scope: 'testSend', retryAfterSeconds: 42 });
    expect(refused.message).toBe(
      'Too many test-sends from this account: at most 2 per minute; retry after 42 s',
    );
    expect(sent).toBe(2);
    await admission.run(6, send);
    expect(sent).toBe(3);
    expect([...storage.hits.keys()]).toEqual(['unit:rate:test-send:5', 'unit:rate:test-send:6']);
  });

  it('frees the slot when the send fails', async () => {
    const admission = new TestSendAdmission(settings(), new CountingStorage(), new Metrics());
    await expect(admission.run(1, () => Promise.reject(new Error('boom')))).rejects.toThrow('boom');
    await expect(admission.run(1, () => Promise.resolve('next'))).resolves.toBe('next');
  });
});
