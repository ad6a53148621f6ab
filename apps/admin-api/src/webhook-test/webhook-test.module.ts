import { DynamicModule, Inject, Module, OnApplicationShutdown } from '@nestjs/common';
import type { AdminApiConfig } from '@lms/config';
import { DEFAULT_USER_AGENT, WebhookHttpSender } from '@lms/http-delivery';
import { WebhookTestController } from './webhook-test.controller';
import { WebhookTestService } from './webhook-test.service';

/** The test-send feature: the dispatcher's sender, configured as the dispatcher configures it. */
@Module({})
export class WebhookTestModule implements OnApplicationShutdown {
  constructor(@Inject(WebhookHttpSender) private readonly sender: WebhookHttpSender) {}

  /** `webhookManagement`: the app's WebhookManagementModule (the same instance, not a second one). */
  static forRoot(config: AdminApiConfig, webhookManagement: DynamicModule): DynamicModule {
    return {
      module: WebhookTestModule,
      imports: [webhookManagement],
      controllers: [WebhookTestController],
      providers: [
        {
          provide: WebhookHttpSender,
          useFactory: () =>
            new WebhookHttpSender({
              connectTimeoutMs: config.delivery.connectTimeoutMs,
              responseTimeoutMs: config.delivery.responseTimeoutMs,
              allowPrivateTargets: config.delivery.allowPrivateTargets,
              allowHttpTargets: config.delivery.allowHttpTargets,
              userAgent: DEFAULT_USER_AGENT,
            }),
        },
        WebhookTestService,
      ],
    };
  }

  async onApplicationShutdown(): Promise<void> {
    await this.sender.close();
  }
}
