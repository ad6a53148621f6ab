import type { DataSource, QueryRunner } from 'typeorm';

/** Runs `work` on one pooled connection, outside a transaction. */
export async function withConnection<T>(
  dataSource: DataSource,
  work: (runner: QueryRunner) => Promise<T>,
): Promise<T> {
  const runner = dataSource.createQueryRunner();
  try {
    return await work(runner);
  } finally {
    await runner.release();
  }
}
