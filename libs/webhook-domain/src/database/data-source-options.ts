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
    // JIT off for every session: the apps run short statements only, and JIT compiles a plan whose
    // estimated cost passes jit_above_cost on every execution, cached plpgsql plans included. Measured:
    // the lane claim's payload, estimated high once a lane holds 300,000 items and events has three
    // partitions, spent 1,270 ms compiling to run 50 ms (lanes/README.md).
    extra: { max: config.poolSize, application_name: applicationName, options: '-c jit=off' },
  };
}
