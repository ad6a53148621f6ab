import { DataSource } from 'typeorm';
import { ADVISORY_LOCK } from './advisory-locks';

/**
 * Runs pending migrations while holding a session advisory lock, so when several replicas boot at once
 * exactly one migrates and the others wait, then find nothing left to do.
 */
export async function runMigrationsLocked(dataSource: DataSource): Promise<string[]> {
  const lockRunner = dataSource.createQueryRunner();
  await lockRunner.connect();
  try {
    await lockRunner.query('SELECT pg_advisory_lock($1)', [ADVISORY_LOCK.MIGRATIONS]);
    const applied = await dataSource.runMigrations({ transaction: 'each' });
    return applied.map((migration) => migration.name);
  } finally {
    await lockRunner
      .query('SELECT pg_advisory_unlock($1)', [ADVISORY_LOCK.MIGRATIONS])
      .catch(() => undefined);
    await lockRunner.release();
  }
}
