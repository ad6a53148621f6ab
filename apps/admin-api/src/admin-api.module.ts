import { BullModule } from '@nestjs/bull';
import { DynamicModule, Module } from '@nestjs/common';
import { APP_FILTER, APP_GUARD } from '@nestjs/core';
import { AdminAuthModule } from '@lms/auth';
import type { AdminApiConfig } from '@lms/config';
import { ObservabilityModule } from '@lms/observability';
import { DELIVERY_QUEUE } from '@lms/queue-contract';
import { AdminAccessGuard } from '@lms/role-guards';
import {
  DatabaseModule,
  DEFAULT_MAX_REPLAY_EVENTS,
  DeliveryLogModule,
  WebhookManagementModule,
} from '@lms/webhook-domain';
import { adminConsoleStaticModules, findAdminConsoleDir } from './console/admin-console-static';
import { BullDeliveryWakeUp } from './deliveries/bull-delivery-wake-up';
import { DeliveriesController } from './deliveries/deliveries.controller';
import { EventTypesController } from './event-types/event-types.controller';
import { ApiExceptionFilter } from './http/api-exception.filter';
import { WebhookTestModule } from './webhook-test/webhook-test.module';
import { WebhooksController } from './webhooks/webhooks.controller';

/**
 * Wires the admin API: every route behind the global admin guard, errors through one filter; the
 * console's static files (public) at /console when it was built.
 */
@Module({})
export class AdminApiModule {
  static forRoot(config: AdminApiConfig): DynamicModule {
    const deliveryQueue = BullModule.registerQueue({ name: DELIVERY_QUEUE });
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
        BullModule.forRoot({ redis: config.redis.url, prefix: config.redis.queuePrefix }),
        deliveryQueue,
        webhookManagement,
        DeliveryLogModule.forRoot({
          maxReplayEvents: DEFAULT_MAX_REPLAY_EVENTS,
          wakeUp: BullDeliveryWakeUp,
          imports: [deliveryQueue],
        }),
        WebhookTestModule.forRoot(config, webhookManagement),
        ...adminConsoleStaticModules(findAdminConsoleDir()),
      ],
      controllers: [EventTypesController, WebhooksController, DeliveriesController],
      providers: [
        { provide: APP_GUARD, useClass: AdminAccessGuard },
        { provide: APP_FILTER, useClass: ApiExceptionFilter },
      ],
    };
  }
}
