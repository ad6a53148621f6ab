import { LaneAppendRepository } from '../lanes/lane-append.repository';
import { LaneReadModel } from '../lanes/lane-read-model';
import { LaneRepository } from '../lanes/lane.repository';
import { DynamicModule, Module } from '@nestjs/common';
import { LegacySecretRewriter } from '../crypto/legacy-secret-rewriter';
import { SecretCipher } from '../crypto/secret-cipher';
import { TargetUrlPolicy } from './target-url-policy';
import { WEBHOOK_MANAGEMENT_OPTIONS, type WebhookManagementOptions } from './webhook-management-options';
import { WebhookCredentialsReader } from './webhook-credentials-reader';
import { WebhookLifecycle } from './webhook-lifecycle';
import { WebhookManagementService } from './webhook-management.service';
import { WebhookSignatureService } from './webhook-signature.service';
import { WebhookRepository } from './webhook.repository';

/** Webhook management use cases for the admin API. Needs DatabaseModule (the DataSource) in the app. */
@Module({})
export class WebhookManagementModule {
  static forRoot(options: WebhookManagementOptions): DynamicModule {
    return {
      module: WebhookManagementModule,
      providers: [
        { provide: WEBHOOK_MANAGEMENT_OPTIONS, useValue: options },
        { provide: SecretCipher, useFactory: () => new SecretCipher(options.secretsKey) },
        { provide: TargetUrlPolicy, useFactory: () => new TargetUrlPolicy(options.targets) },
        LaneRepository,
        LaneAppendRepository,
        LaneReadModel,
        WebhookRepository,
        WebhookLifecycle,
        WebhookCredentialsReader,
        WebhookManagementService,
        WebhookSignatureService,
        // Rewrites secrets stored before they were bound to their webhook, once, at boot.
        LegacySecretRewriter,
      ],
      exports: [
        WebhookManagementService,
        WebhookCredentialsReader,
        WebhookSignatureService,
        TargetUrlPolicy,
        SecretCipher,
        WEBHOOK_MANAGEMENT_OPTIONS,
      ],
    };
  }
}
