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

export async function inTransaction<T>(
  dataSource: DataSource,
  work: (runner: QueryRunner) => Promise<T>,
): Promise<T> {
  const runner = dataSource.createQueryRunner();
  await runner.connect();
  try {
    await runner.startTransaction();
    const result = await work(runner);
    await runner.commitTransaction();
    return result;
  } catch (error) {
    if (runner.isTransactionActive) await runner.rollbackTransaction().catch(() => undefined);
    throw error;
  } finally {
    await runner.release();
  }
}
