import { DynamicModule, Inject, Module, OnModuleDestroy } from '@nestjs/common';
import { TerminusModule } from '@nestjs/terminus';
import { DataSource } from 'typeorm';
import { AppLogger } from './app-logger';
import { HealthController } from './health.controller';
import { Metrics } from './metrics';
import { MetricsController } from './metrics.controller';
import { READINESS_PROBES, ReadinessProbe } from './readiness-probe';
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
  constructor(@Inject(READINESS_PROBES) private readonly probes: ReadinessProbe[]) {}

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
          provide: READINESS_PROBES,
          inject: postgres ? [DataSource] : [],
          useFactory: (dataSource?: DataSource): ReadinessProbe[] => [
            ...(dataSource ? [postgresProbe(dataSource)] : []),
            ...(redisUrl ? [redisProbe(redisUrl)] : []),
            ...(kafkaBrokers ? [kafkaProbe(kafkaBrokers)] : []),
          ],
        },
      ],
      exports: [Metrics, AppLogger],
    };
  }

  async onModuleDestroy(): Promise<void> {
    await Promise.all(this.probes.map((probe) => probe.close?.() ?? Promise.resolve()));
  }
}
