import type { DatabaseConfig } from '@lms/config';
import { DynamicModule, Logger, Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import { buildDataSourceOptions } from './data-source-options';
import { runMigrationsLocked } from './run-migrations-locked';

/**
 * The Postgres connection of an app. Migrations run inside the DataSource factory, so nothing that
 * depends on the DataSource starts before the schema is current.
 */
@Module({})
export class DatabaseModule {
  static forRoot(config: DatabaseConfig, applicationName: string): DynamicModule {
    return {
      module: DatabaseModule,
      global: true,
      imports: [
        TypeOrmModule.forRootAsync({
          useFactory: () => buildDataSourceOptions(config, applicationName),
          dataSourceFactory: async (options) => {
            const dataSource = await new DataSource(options!).initialize();
            if (config.migrateOnBoot) {
              const applied = await runMigrationsLocked(dataSource);
              if (applied.length > 0)
                new Logger('DatabaseModule').log(`applied migrations: ${applied.join(', ')}`);
            }
            return dataSource;
          },
        }),
      ],
    };
  }
}
