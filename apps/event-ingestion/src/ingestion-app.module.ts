import type { IngestionConfig } from '@lms/config';
import { IngestionModule } from '@lms/ingestion';
import { ObservabilityModule } from '@lms/observability';
import { DatabaseModule } from '@lms/webhook-domain';
import { DynamicModule, Module } from '@nestjs/common';

/** The event-ingestion app: a Kafka consumer with no HTTP surface but /health/* and /metrics. */
@Module({})
export class IngestionAppModule {
  static forRoot(config: IngestionConfig): DynamicModule {
    return {
      module: IngestionAppModule,
      imports: [
        ObservabilityModule.forRoot({
          serviceName: 'event-ingestion',
          logLevel: config.logLevel,
          // No Redis: ingestion queues nothing (its commits announce woken lanes in Postgres).
          readiness: { postgres: true, kafkaBrokers: config.kafka.brokers },
        }),
        DatabaseModule.forRoot(config.database, 'lms-webhooks-ingestion'),
        IngestionModule.forRoot(config),
      ],
    };
  }
}
