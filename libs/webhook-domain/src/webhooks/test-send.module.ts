import { DynamicModule, Inject, Module, OnApplicationShutdown } from '@nestjs/common';
import { WebhookHttpSender, type WebhookHttpSenderOptions } from '@lms/http-delivery';
import { TestSendUseCase } from './test-send.use-case';

/** Test-send: the dispatcher's sender, configured as the dispatcher configures it, and its use case. */
@Module({})
export class TestSendModule implements OnApplicationShutdown {
  constructor(@Inject(WebhookHttpSender) private readonly sender: WebhookHttpSender) {}

  /** `webhookManagement`: the app's WebhookManagementModule (the same instance, not a second one). */
  static forRoot(sender: WebhookHttpSenderOptions, webhookManagement: DynamicModule): DynamicModule {
    return {
      module: TestSendModule,
      imports: [webhookManagement],
      providers: [
        { provide: WebhookHttpSender, useFactory: () => new WebhookHttpSender(sender) },
        TestSendUseCase,
      ],
      exports: [TestSendUseCase],
    };
  }

  async onApplicationShutdown(): Promise<void> {
    await this.sender.close();
  }
}
