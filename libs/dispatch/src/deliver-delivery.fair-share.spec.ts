import type { DispatcherConfig } from '@lms/config';
import type { SendOutcome, SendRequest, WebhookHttpSender } from '@lms/http-delivery';
import { Metrics } from '@lms/observability';
import type { DeliveryOutcome } from '@lms/webhook-domain';
import { AccountFairShare } from './account-fair-share';
import { DeliverDeliveryUseCase } from './deliver-delivery.use-case';
import type { DeliveryLoader, LoadedDelivery } from './delivery-loader';
import type { DeliveryOutcomeWriter } from './delivery-outcome-writer';
import type { LaneAdvancer } from './lane-advancer';
import { RetryDeliveryError } from './retry-delivery-error';
import { RetryPolicy } from './retry-policy';
import type { WebhookDisabler } from './webhook-disabler';
import type { WebhookRateLimiter } from './webhook-rate-limiter';
import type { WebhookTarget, WebhookTargetCache } from './webhook-target-cache';

const NOISY = 501;
const QUIET = 502;

function loadedDelivery(id: string, accountId: number): LoadedDelivery {
  return {
    id,
    webhookId: `hook-${accountId}`,
    accountId,
    kind: 'REALTIME',
    status: 'PENDING',
    attemptCount: 0,
    createdAt: new Date(),
    events: [
      { eventId: `e-${id}`, eventName: 'COURSE_COMPLETED', timestamp: 1, eventInfo: '', dataJson: '{}' },
    ],
  };
}

function target(accountId: number): WebhookTarget {
  return {
    id: `hook-${accountId}`,
    accountId,
    targetUrl: `http://127.0.0.1:9/${accountId}`,
    status: 'ACTIVE',
    deleted: false,
    rateLimitPerSecond: null,
    traceContextHeaders: true,
    authType: 'NONE',
    basicUsername: null,
    basicPassword: null,
    secrets: [],
  };
}

/** A sender whose requests stay open until the test answers them: a slow listener under the test's control. */
class HeldSender {
  readonly userAgent = 'spec';
  readonly sent: SendRequest[] = [];
  private readonly waiting: Array<(outcome: SendOutcome) => void> = [];

  send(request: SendRequest): Promise<SendOutcome> {
    this.sent.push(request);
    return new Promise((resolve) => this.waiting.push(resolve));
  }

  answerAll(): void {
    for (const resolve of this.waiting.splice(0)) {
      resolve({
        statusCode: 200,
        durationMs: 1,
        responseSnippet: '',
        failure: null,
        error: null,
        retryAfterMs: null,
      });
    }
  }

  close(): Promise<void> {
    return Promise.resolve();
  }
}

function useCase(fairShare: AccountFairShare) {
  const deliveries = new Map<string, LoadedDelivery>();
  const loads: string[] = [];
  const recorded: DeliveryOutcome[] = [];
  const sender = new HeldSender();
  const metrics = new Metrics();
  const loader = {
    load: (id: string) => {
      loads.push(id);
      return Promise.resolve(deliveries.get(id) ?? null);
    },
  } as unknown as DeliveryLoader;
  const targets = {
    get: (webhookId: string) => Promise.resolve(target(Number(webhookId.slice('hook-'.length)))),
  } as unknown as WebhookTargetCache;
  const record = (outcome: DeliveryOutcome) => {
    recorded.push(outcome);
    return Promise.resolve({ status: outcome.status, attemptNumber: 1 });
  };
  const writer = {
    record,
    recordAndClaim: async (outcome: DeliveryOutcome) => ({ written: await record(outcome), claimed: [] }),
  } as unknown as DeliveryOutcomeWriter;
  const lanes = {
    claim: () => Promise.resolve([]),
    requeueOpenDeliveries: () => Promise.resolve(0),
  } as unknown as LaneAdvancer;
  const deliver = new DeliverDeliveryUseCase(
    {} as DispatcherConfig,
    loader,
    targets,
    sender as unknown as WebhookHttpSender,
    writer,
    new RetryPolicy({ scheduleMs: [1_000], maxAgeMs: 60_000, jitterRatio: 0 }),
    {} as WebhookRateLimiter,
    {} as WebhookDisabler,
    lanes,
    fairShare,
    metrics,
  );
  const add = (id: string, accountId: number) => deliveries.set(id, loadedDelivery(id, accountId));
  return { deliver, add, sender, loads, recorded, metrics };
}

async function deferralsCounted(metrics: Metrics): Promise<number> {
  return (await metrics.accountShareDeferrals.get()).values.reduce((sum, value) => sum + value.value, 0);
}

describe('DeliverDeliveryUseCase within its account’s fair share', () => {
  it('sends at most the account’s share at once; the rest are put back unsent, with no attempt recorded', async () => {
    const share = new AccountFairShare({ slotsPerAccount: 2, minDeferralMs: 50, maxDeferralMs: 1_000 });
    const { deliver, add, sender, recorded, metrics } = useCase(share);
    for (let i = 0; i < 5; i += 1) add(`noisy-${i}`, NOISY);

    const runs = Array.from({ length: 5 }, (_, i) => deliver.execute(`noisy-${i}`));
    const settled = await Promise.allSettled(runs.slice(2));

    expect(sender.sent).toHaveLength(2);
    for (const result of settled) {
      expect(result.status).toBe('rejected');
      const error = (result as PromiseRejectedResult).reason as RetryDeliveryError;
      expect(error).toBeInstanceOf(RetryDeliveryError);
      expect(error.retryInMs).toBeGreaterThanOrEqual(50);
      expect(error.retryInMs).toBeLessThanOrEqual(1_500);
    }
    expect(recorded).toHaveLength(0);
    expect(await deferralsCounted(metrics)).toBe(3);

    sender.answerAll();
    await expect(Promise.all(runs.slice(0, 2))).resolves.toEqual([
      { result: 'succeeded', next: [] },
      { result: 'succeeded', next: [] },
    ]);
    expect(recorded.map((outcome) => outcome.deliveryId)).toEqual(['noisy-0', 'noisy-1']);
  });

  it('lets another account send while one account holds its whole share', async () => {
    const share = new AccountFairShare({ slotsPerAccount: 2, minDeferralMs: 50, maxDeferralMs: 1_000 });
    const { deliver, add, sender } = useCase(share);
    for (let i = 0; i < 2; i += 1) add(`noisy-${i}`, NOISY);
    add('quiet-0', QUIET);

    const noisy = [deliver.execute('noisy-0'), deliver.execute('noisy-1')];
    const quiet = deliver.execute('quiet-0');
    await new Promise((resolve) => setImmediate(resolve));
    expect(sender.sent.map((request) => request.url)).toEqual([
      target(NOISY).targetUrl,
      target(NOISY).targetUrl,
      target(QUIET).targetUrl,
    ]);
    sender.answerAll();
    await expect(quiet).resolves.toEqual({ result: 'succeeded', next: [] });
    await Promise.all(noisy);
  });

  it('puts a deferred request back again without loading it while its account is still full', async () => {
    const share = new AccountFairShare({ slotsPerAccount: 1, minDeferralMs: 50, maxDeferralMs: 1_000 });
    const { deliver, add, sender, loads } = useCase(share);
    add('noisy-0', NOISY);
    add('noisy-1', NOISY);
    const first = deliver.execute('noisy-0');
    await expect(deliver.execute('noisy-1')).rejects.toBeInstanceOf(RetryDeliveryError);
    await expect(deliver.execute('noisy-1')).rejects.toBeInstanceOf(RetryDeliveryError);
    expect(loads.filter((id) => id === 'noisy-1')).toHaveLength(1);

    sender.answerAll();
    await first;
    const second = deliver.execute('noisy-1');
    await new Promise((resolve) => setImmediate(resolve));
    expect(sender.sent).toHaveLength(2);
    sender.answerAll();
    await expect(second).resolves.toEqual({ result: 'succeeded', next: [] });
  });
});
