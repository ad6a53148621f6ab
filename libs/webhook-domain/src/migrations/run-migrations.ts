/* `npm run migration:run`: applies pending migrations to DATABASE_URL and exits. */
import { DataSource } from 'typeorm';
import { buildDataSourceOptions } from '../database/data-source-options';
import { runMigrationsLocked } from '../database/run-migrations-locked';

async function main(): Promise<void> {
  const url = process.env.DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/lms_webhooks';
  const dataSource = await new DataSource(
    buildDataSourceOptions({ url, poolSize: 2, migrateOnBoot: true }, 'lms-webhooks-migrate'),
  ).initialize();
  try {
    const applied = await runMigrationsLocked(dataSource);
    console.log(applied.length > 0 ? `applied: ${applied.join(', ')}` : 'schema is up to date');
  } finally {
    await dataSource.destroy();
  }
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
