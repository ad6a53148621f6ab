import { DynamicModule, Module, OnModuleDestroy } from '@nestjs/common';
import { TerminusModule } from '@nestjs/terminus';
import { DataSource } from 'typeorm';
import { AppLogger } from './app-logger';
import { HealthController } from './health.controller';
import { Metrics } from './metrics';
import { MetricsController } from './metrics.controller';
import { ReadinessProbes } from './readiness-probe';
import { kafkaProbe, postgresProbe, redisProbe } from './readiness-probes';

export interface ObservabilityOptions {
  serviceName: string;
  logLevel: string;
  /** What /health/ready checks. Postgres needs the app's TypeORM DataSource (DatabaseModule). */
  readiness: { postgres?: boolean; redisUrl?: string; kafkaBrokers?: string[] };
}

/** /health/live, /health/ready, /metrics and the JSON logger, the same in every app. */
@Module({})
export class ObservabilityModule implements OnModuleDestroy {
  constructor(private readonly readiness: ReadinessProbes) {}

  static forRoot(options: ObservabilityOptions): DynamicModule {
    const { postgres, redisUrl, kafkaBrokers } = options.readiness;
    return {
      module: ObservabilityModule,
      global: true,
      imports: [TerminusModule.forRoot({ logger: false })],
      controllers: [HealthController, MetricsController],
      providers: [
        Metrics,
        { provide: AppLogger, useValue: AppLogger.create(options.serviceName, options.logLevel) },
        {
          provide: ReadinessProbes,
          inject: postgres ? [DataSource] : [],
          useFactory: (dataSource?: DataSource) =>
            new ReadinessProbes([
              ...(dataSource ? [postgresProbe(dataSource)] : []),
              ...(redisUrl ? [redisProbe(redisUrl)] : []),
              ...(kafkaBrokers ? [kafkaProbe(kafkaBrokers)] : []),
            ]),
        },
      ],
      exports: [Metrics, AppLogger, ReadinessProbes],
    };
  }

  async onModuleDestroy(): Promise<void> {
    await Promise.all(this.readiness.list().map((probe) => probe.close?.() ?? Promise.resolve()));
  }
}
