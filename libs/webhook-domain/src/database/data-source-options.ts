import type { DatabaseConfig } from '@lms/config';
import { DataSourceOptions } from 'typeorm';
import { WEBHOOK_DOMAIN_ENTITIES } from '../entities';
import { WEBHOOK_DOMAIN_MIGRATIONS } from '../migrations';

export function buildDataSourceOptions(config: DatabaseConfig, applicationName: string): DataSourceOptions {
  return {
    type: 'postgres',
    url: config.url,
    entities: WEBHOOK_DOMAIN_ENTITIES,
    migrations: WEBHOOK_DOMAIN_MIGRATIONS,
    migrationsTableName: 'schema_migrations',
    // Schema changes are migrations, always: see runMigrationsLocked.
    synchronize: false,
    migrationsRun: false,
    logging: ['error'],
    extra: { max: config.poolSize, application_name: applicationName },
  };
}
