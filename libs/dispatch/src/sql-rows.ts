import type { DataSource, QueryRunner } from 'typeorm';

/**
 * Rows of a raw statement. TypeORM's plain `query` returns `[rows, count]` for UPDATE/DELETE and rows
 * otherwise; the structured result has the same shape for every command.
 */
export async function sqlRows<Row>(
  runner: QueryRunner,
  sql: string,
  parameters: unknown[] = [],
): Promise<Row[]> {
  const result = await runner.query(sql, parameters, true);
  return result.records as Row[];
}

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

/** One transaction primitive for the whole system (it lives beside withAdvisoryLock). */
export { inTransaction } from '@lms/webhook-domain';
