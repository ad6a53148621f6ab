import { DynamicModule, Module } from '@nestjs/common';
import { APP_FILTER, APP_GUARD } from '@nestjs/core';
import { AdminAuthModule } from '@lms/auth';
import type { AdminApiConfig } from '@lms/config';
import { ObservabilityModule } from '@lms/observability';
import { AdminAccessGuard } from '@lms/role-guards';
import { DatabaseModule, DEFAULT_MAX_REPLAY_EVENTS, DeliveryLogModule } from '@lms/webhook-domain';
import { WebhookManagementModule } from '@lms/webhook-domain/admin';
import { adminConsoleStaticModules, findAdminConsoleDir } from './console/admin-console-static';
import { DeliveriesController } from './deliveries/deliveries.controller';
import { EventTypesController } from './event-types/event-types.controller';
import { ApiExceptionFilter } from './http/api-exception.filter';
import { AccountRateLimitGuard, ClientRateLimitGuard } from './rate-limits/api-rate-limit.guards';
import { RateLimitsModule } from './rate-limits/rate-limits.module';
import { WebhookTestModule } from './webhook-test/webhook-test.module';
import { WebhooksController } from './webhooks/webhooks.controller';

/**
 * Wires the admin API: every route behind the global admin guard and the rate limits, errors through
 * one filter; the console's static files (public) at /console when it was built.
 */
@Module({})
export class AdminApiModule {
  static forRoot(config: AdminApiConfig): DynamicModule {
    const rateLimits = RateLimitsModule.forRoot(config);
    const webhookManagement = WebhookManagementModule.forRoot({
      secretsKey: config.secretsKey,
      maxWebhooksPerAccount: config.maxWebhooksPerAccount,
      secretRotationOverlapMs: config.secretRotationOverlapMs,
      targets: {
        allowPrivateTargets: config.delivery.allowPrivateTargets,
        allowHttpTargets: config.delivery.allowHttpTargets,
      },
    });
    return {
      module: AdminApiModule,
      imports: [
        ObservabilityModule.forRoot({
          serviceName: 'admin-api',
          logLevel: config.logLevel,
          readiness: { postgres: true, redisUrl: config.redis.url },
        }),
        DatabaseModule.forRoot(config.database, 'lms-webhooks-admin-api'),
        AdminAuthModule.forRoot(config.jwt),
        webhookManagement,
        rateLimits,
        DeliveryLogModule.forRoot({
          maxReplayEvents: DEFAULT_MAX_REPLAY_EVENTS,
          maxPendingEventsPerWebhook: config.limits.maxPendingEventsPerWebhook,
        }),
        WebhookTestModule.forRoot(config, webhookManagement, rateLimits),
        ...adminConsoleStaticModules(findAdminConsoleDir()),
      ],
      controllers: [EventTypesController, WebhooksController, DeliveriesController],
      // Global guards run in this order: the client limit before authentication (a flood of bad
      // tokens is refused as cheaply as any), the account limit after it (it needs the token).
      providers: [
        { provide: APP_GUARD, useClass: ClientRateLimitGuard },
        { provide: APP_GUARD, useClass: AdminAccessGuard },
        { provide: APP_GUARD, useClass: AccountRateLimitGuard },
        { provide: APP_FILTER, useClass: ApiExceptionFilter },
      ],
    };
  }
}
