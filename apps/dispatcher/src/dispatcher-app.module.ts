import { DynamicModule, Module } from '@nestjs/common';
import type { DispatcherConfig } from '@lms/config';
import { DispatchModule } from '@lms/dispatch';
import { ObservabilityModule } from '@lms/observability';
import { DatabaseModule } from '@lms/webhook-domain';

/** Wiring only: database, observability (/health, /metrics) and the delivery engine. */
@Module({})
export class DispatcherAppModule {
  static forRoot(config: DispatcherConfig): DynamicModule {
    return {
      module: DispatcherAppModule,
      imports: [
        DatabaseModule.forRoot(config.database, 'lms-webhooks-dispatcher'),
        ObservabilityModule.forRoot({
          serviceName: 'dispatcher',
          logLevel: config.logLevel,
          readiness: { postgres: true, redisUrl: config.redis.url },
        }),
        DispatchModule.forRoot(config),
      ],
    };
  }
}
