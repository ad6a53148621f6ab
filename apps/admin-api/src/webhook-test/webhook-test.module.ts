import { DynamicModule, Module } from '@nestjs/common';
import type { AdminApiConfig } from '@lms/config';
import { DEFAULT_USER_AGENT } from '@lms/http-delivery';
import { TestSendModule } from '@lms/webhook-domain/admin';
import { WebhookTestController } from './webhook-test.controller';

/** The test-send routes; the use case and its sender (configured as the dispatcher's) live in the domain. */
@Module({})
export class WebhookTestModule {
  /**
   * `webhookManagement`, `rateLimits`: the app's WebhookManagementModule and RateLimitsModule (the same
   * instances, not second ones: one sender, one set of test-send slots).
   */
  static forRoot(
    config: AdminApiConfig,
    webhookManagement: DynamicModule,
    rateLimits: DynamicModule,
  ): DynamicModule {
    return {
      module: WebhookTestModule,
      imports: [
        TestSendModule.forRoot(
          {
            connectTimeoutMs: config.delivery.connectTimeoutMs,
            responseTimeoutMs: config.delivery.responseTimeoutMs,
            attemptTimeoutMs: config.delivery.attemptTimeoutMs,
            allowPrivateTargets: config.delivery.allowPrivateTargets,
            allowHttpTargets: config.delivery.allowHttpTargets,
            userAgent: DEFAULT_USER_AGENT,
          },
          webhookManagement,
        ),
        rateLimits,
      ],
      controllers: [WebhookTestController],
    };
  }
}
