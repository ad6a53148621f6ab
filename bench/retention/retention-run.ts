import type { IngestionConfig } from '@lms/config';
import { RetentionPurger } from '@lms/ingestion';
import { SchedulerRegistry } from '@nestjs/schedule';
import type { DataSource } from 'typeorm';

/** Which retention the bench measures (kept in the results file). */
export const RETENTION_IMPLEMENTATION = 'row DELETEs in chunks of 5,000 (libs/ingestion RetentionPurger)';

/** Runs retention until a run removes nothing more; answers what each run removed. */
export async function runRetention(dataSource: DataSource, retentionDays: number): Promise<unknown[]> {
  const purger = new RetentionPurger(dataSource, new SchedulerRegistry(), {
    retentionDays,
  } as IngestionConfig);
  const runs: unknown[] = [];
  for (;;) {
    const result = await purger.purgeOnce();
    runs.push(result);
    if (!result || result.deliveries + result.events === 0) return runs;
  }
}
