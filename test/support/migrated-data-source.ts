import { WEBHOOK_DOMAIN_MIGRATIONS } from '@lms/webhook-domain';
import { DataSource } from 'typeorm';
import type { TestDatabase } from './test-database';

/**
 * A TypeORM DataSource on a test database with the schema of `migrations` (all of them by default)
 * applied, as the apps' boot applies it: the one setup of the integration specs that call the
 * repositories and the lane SQL directly.
 */
export async function openMigratedDataSource(
  database: TestDatabase,
  migrations: ReadonlyArray<new () => unknown> = WEBHOOK_DOMAIN_MIGRATIONS,
): Promise<DataSource> {
  const dataSource = await new DataSource({
    type: 'postgres',
    url: database.url,
    migrations: [...migrations] as never,
    migrationsTableName: 'schema_migrations',
  }).initialize();
  await dataSource.runMigrations();
  return dataSource;
}
