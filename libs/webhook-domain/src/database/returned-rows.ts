/**
 * The rows of a raw statement, whatever it was. TypeORM's `query` (on an EntityManager, a DataSource or
 * a QueryRunner) answers an UPDATE or DELETE with `[rows, affectedCount]` and anything else (SELECT,
 * INSERT, a CTE) with the rows, so `RETURNING` rows sit at a different depth by command. The one
 * place that knows it: `returnedRows(await manager.query(sql, parameters))`.
 */
export function returnedRows<Row = unknown>(result: unknown): Row[] {
  const isPair =
    Array.isArray(result) && result.length === 2 && Array.isArray(result[0]) && typeof result[1] === 'number';
  return (isPair ? result[0] : result) as Row[];
}
