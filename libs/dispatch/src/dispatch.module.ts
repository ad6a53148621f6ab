import { BullModule, getQueueToken } from '@nestjs/bull';
import { DynamicModule, Module } from '@nestjs/common';
import { ScheduleModule } from '@nestjs/schedule';
import type { DispatcherConfig } from '@lms/config';
import { DEFAULT_USER_AGENT, WebhookHttpSender } from '@lms/http-delivery';
import { DELIVERY_BACKOFF_STRATEGY, DELIVERY_QUEUE } from '@lms/queue-contract';
import {
  LaneAppendRepository,
  LaneReadModel,
  LaneRepository,
  SecretCipher,
  WebhookChangeFeed,
  WebhookCredentialsReader,
  WebhookLifecycle,
  WebhookRepository,
} from '@lms/webhook-domain';
import type { Queue } from 'bull';
import Redis from 'ioredis';
import { AccountFairShare, accountSlotsPerDispatcher } from './account-fair-share';
import { AutoDisableScheduler } from './auto-disable.scheduler';
import { AdvanceLaneJobHandler } from './advance-lane-job.handler';
import { BatchReleaseScheduler } from './batch-release.scheduler';
import { DeliverDeliveryUseCase } from './deliver-delivery.use-case';
import { DeliverJobHandler } from './deliver-job.handler';
import { DELIVERY_JOB_HANDLERS } from './delivery-job-handler';
import { DeliveryEnqueuer } from './delivery-enqueuer';
import { DeliveryLoader } from './delivery-loader';
import { DeliveryOutcomeWriter } from './delivery-outcome-writer';
import { DeliveryQueueWorker } from './delivery-queue-worker';
import { DISPATCHER_CONFIG, RATE_LIMIT_REDIS } from './dispatch-tokens';
import { LaneAdvancer } from './lane-advancer';
import { LaneDriver } from './lane-driver';
import { LaneDriverIdentity } from './lane-driver-identity';
import { LaneWakeListener } from './lane-wake-listener';
import { OutboxRelay } from './outbox-relay';
import { LogRetention } from './retention/log-retention';
import { backoffFromError } from './retry-delivery-error';
import { RetryPolicy } from './retry-policy';
import { WebhookDisabler } from './webhook-disabler';
import { WebhookRateLimiter } from './webhook-rate-limiter';
import { WebhookTargetCache } from './webhook-target-cache';

/**
 * A request over its account's share comes back at about its turn among the account's waiting requests
 * (AccountFairShare.deferralDelayMs), or sooner when a slot of its account frees (onTurn): never
 * sooner than 50 ms (no hot loop through Redis), and within 15 s ±50 % jitter, so that hundreds of an
 * account's requests behind slow listeners cost a few re-checks a second in all.
 */
const ACCOUNT_DEFERRAL_BOUNDS = { minDeferralMs: 50, maxDeferralMs: 15_000 };

/**
 * A freed slot's turn: the deferred deliver job (job id = delivery id) leaves Bull's delayed set now.
 * One that is no longer delayed (running, waiting, retried on another replica, gone) is left as it is.
 */
async function promoteDelayedJob(queue: Queue, jobId: string): Promise<void> {
  try {
    await (await queue.getJob(jobId))?.promote();
  } catch {
    // Not in the delayed set any more: it runs anyway.
  }
}

/**
 * The delivery engine: queue worker, lane advancer and driver, sender, outcome writer, batch release,
 * auto-disable, the outbox relay and log retention. Needs the
 * global DatabaseModule (DataSource) and ObservabilityModule (Metrics) from the app.
 */
@Module({})
export class DispatchModule {
  static forRoot(config: DispatcherConfig): DynamicModule {
    return {
      module: DispatchModule,
      imports: [
        ScheduleModule.forRoot(),
        BullModule.forRoot({
          redis: config.redis.url,
          prefix: config.redis.queuePrefix,
          settings: {
            // The handler decides each delay (schedule, Retry-After, rate limit) and carries it on the error.
            backoffStrategies: { [DELIVERY_BACKOFF_STRATEGY]: backoffFromError },
            // A killed replica's jobs come back after the lock expires (renewed at half of it while alive).
            lockDuration: config.queue.lockDurationMs,
            stalledInterval: config.queue.stalledIntervalMs,
            // Postgres decides when a delivery is dead; Bull must never drop a stalled wake-up call.
            maxStalledCount: 1_000_000,
          },
        }),
        BullModule.registerQueue({ name: DELIVERY_QUEUE }),
      ],
      providers: [
        { provide: DISPATCHER_CONFIG, useValue: config },
        { provide: SecretCipher, useFactory: () => new SecretCipher(config.secretsKey) },
        // Starts itself once, when the module initialises.
        { provide: WebhookChangeFeed, useFactory: () => new WebhookChangeFeed(config.database.url) },
        {
          provide: WebhookHttpSender,
          useFactory: () => new WebhookHttpSender({ ...config.delivery, userAgent: DEFAULT_USER_AGENT }),
        },
        { provide: RetryPolicy, useFactory: () => new RetryPolicy(config.retry) },
        {
          provide: AccountFairShare,
          useFactory: (queue: Queue) =>
            new AccountFairShare({
              slotsPerAccount: accountSlotsPerDispatcher(config.concurrency, config.accountMaxSharePercent),
              ...ACCOUNT_DEFERRAL_BOUNDS,
              onTurn: (deliveryId) => void promoteDelayedJob(queue, deliveryId),
            }),
          inject: [getQueueToken(DELIVERY_QUEUE)],
        },
        {
          provide: RATE_LIMIT_REDIS,
          useFactory: () =>
            new Redis(config.redis.url, { maxRetriesPerRequest: 3, connectionName: 'lmsw-rate-limit' }),
        },
        DeliveryLoader,
        WebhookTargetCache,
        DeliveryOutcomeWriter,
        WebhookRepository,
        WebhookLifecycle,
        WebhookCredentialsReader,
        WebhookDisabler,
        WebhookRateLimiter,
        LaneRepository,
        LaneAppendRepository,
        LaneReadModel,
        LaneAdvancer,
        LaneDriver,
        { provide: LaneDriverIdentity, useValue: new LaneDriverIdentity() },
        LaneWakeListener,
        DeliverDeliveryUseCase,
        DeliverJobHandler,
        AdvanceLaneJobHandler,
        {
          provide: DELIVERY_JOB_HANDLERS,
          useFactory: (deliver: DeliverJobHandler, advance: AdvanceLaneJobHandler) => [deliver, advance],
          inject: [DeliverJobHandler, AdvanceLaneJobHandler],
        },
        DeliveryQueueWorker,
        BatchReleaseScheduler,
        AutoDisableScheduler,
        LogRetention,
        // The net behind the lane sweep, on the dispatcher's rows: one holder across replicas.
        DeliveryEnqueuer,
        OutboxRelay,
      ],
      exports: [
        DeliveryQueueWorker,
        BatchReleaseScheduler,
        AutoDisableScheduler,
        LogRetention,
        WebhookTargetCache,
        LaneAdvancer,
        OutboxRelay,
      ],
    };
  }
}
