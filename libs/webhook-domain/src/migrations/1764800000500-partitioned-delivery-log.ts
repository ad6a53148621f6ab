import { MigrationInterface, QueryRunner } from 'typeorm';
import {
  DROP_LOG_PARTITION_FUNCTIONS,
  LOG_PARTITION_FUNCTIONS,
  LOG_PARTITIONED_TABLES,
  UUIDV7_FUNCTIONS,
} from './log-partitions-sql';

/** Days the migration creates partitions for after today (UTC), as the retention scheduler does (LogRetention). */
const DAYS_CREATED_AHEAD = 1;

/**
 * A delivery log that never bloats (issue 17, item 4): `deliveries`, `delivery_attempts` (and
 * `delivery_events` while it is a table) become range-partitioned by delivery id, one partition per UTC
 * day, and retention drops a day's partitions instead of deleting its rows (see log-partitions-sql.ts).
 *
 * - Delivery ids become UUIDv7 (`uuidv7()`): time-ordered, so a day is a range of ids and the
 *   dispatcher's `WHERE id = $1` (and every join on a delivery id) prunes to one partition. The lane
 *   protocol makes ids in one function, `lane_new_delivery_id()` (lane-protocol-v3.sql), re-defined
 *   here; `down` puts gen_random_uuid() back. A later migration that reloads the lane protocol must
 *   keep it time-ordered (a random id still works: it lands in the default partition, and retention
 *   deletes it row by row).
 * - Existing rows move into the new tables with their ids (an id is the `webhook-id` a receiver
 *   dedupes on, and may be in a link): being random, almost all land in the default partitions, which
 *   retention empties row by row as they age out.
 * - Structure is copied, not restated: columns, defaults, checks (LIKE), then the primary and unique
 *   keys, indexes and foreign keys of the old table under their own names, then the views and the
 *   foreign keys of other tables that depended on it. Columns a later migration adds come along.
 * - Foreign keys are all kept: delivery_attempts refers to the partitioned deliveries (Postgres 12+),
 *   which is why a day's partitions are detached (children first) before they are dropped.
 *   `delivery_events` is a view over deliveries' lane item ranges since lane protocol v3: it is
 *   re-created over the new table (a table of that name, before v3, is partitioned with the family).
 * - `events` and `lane_items` are not partitioned here. events: its dedupe key would have to include the
 *   partition key, and the ingestion statement's `ON CONFLICT (account_id, event_id)`
 *   (lanes/lane.repository.ts) names the key; the claim reads events by id, which would then probe
 *   every partition. Their retention stays chunked DELETEs (LogRetention).
 */
export class PartitionedDeliveryLog1764800000500 implements MigrationInterface {
  name = 'PartitionedDeliveryLog1764800000500';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(UUIDV7_FUNCTIONS);
    const tables = await existingTables(queryRunner);
    const views = await dependentViews(queryRunner, tables);
    for (const view of [...views].reverse()) await queryRunner.query(`DROP VIEW ${view.name}`);
    for (const { table, key } of tables) await rebuild(queryRunner, table, key);
    await queryRunner.query(LOG_PARTITION_FUNCTIONS);
    await queryRunner.query(
      `SELECT log_partitions_create((now() AT TIME ZONE 'UTC')::date + d) FROM generate_series(0, $1) d`,
      [DAYS_CREATED_AHEAD],
    );
    for (const { table } of tables) await moveRows(queryRunner, table);
    await finishRebuild(
      queryRunner,
      tables.map((t) => t.table),
    );
    for (const view of views) await queryRunner.query(`CREATE VIEW ${view.name} AS ${view.definition}`);
    await queryRunner.query(LANE_NEW_DELIVERY_ID('uuidv7()'));
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(LANE_NEW_DELIVERY_ID('gen_random_uuid()'));
    const tables = await existingTables(queryRunner);
    const views = await dependentViews(queryRunner, tables);
    for (const view of [...views].reverse()) await queryRunner.query(`DROP VIEW ${view.name}`);
    for (const { table } of tables) await rebuild(queryRunner, table, null);
    for (const { table } of tables) await moveRows(queryRunner, table);
    await finishRebuild(
      queryRunner,
      tables.map((t) => t.table),
    );
    for (const view of views) await queryRunner.query(`CREATE VIEW ${view.name} AS ${view.definition}`);
    await queryRunner.query(DROP_LOG_PARTITION_FUNCTIONS);
  }
}

/** The family's tables that are tables now (delivery_events may be a view), parents first. */
async function existingTables(runner: QueryRunner): Promise<Array<{ table: string; key: string }>> {
  const found = await rows<{ name: string }>(
    runner,
    `SELECT relname AS name FROM pg_class
      WHERE relname = ANY($1) AND relkind IN ('r', 'p') AND relnamespace = current_schema()::regnamespace`,
    [LOG_PARTITIONED_TABLES.map((t) => t.table)],
  );
  const present = new Set(found.map((row) => row.name));
  return LOG_PARTITIONED_TABLES.filter((t) => present.has(t.table));
}

/** Views reading any of the tables, in creation order, with their definitions. */
async function dependentViews(
  runner: QueryRunner,
  tables: ReadonlyArray<{ table: string }>,
): Promise<Array<{ name: string; definition: string }>> {
  return rows<{ name: string; definition: string }>(
    runner,
    `SELECT DISTINCT v.oid, quote_ident(v.relname) AS name, pg_get_viewdef(v.oid) AS definition
       FROM pg_depend d
       JOIN pg_rewrite r ON r.oid = d.objid
       JOIN pg_class v ON v.oid = r.ev_class AND v.relkind = 'v'
      WHERE d.refobjid = ANY(SELECT oid FROM pg_class WHERE relname = ANY($1)
                               AND relnamespace = current_schema()::regnamespace)
        AND v.relname <> ALL($1)
      ORDER BY v.oid`,
    [tables.map((t) => t.table)],
  );
}

/**
 * Renames `table` (and its indexes, with the keys they back) out of the way as `<table>_previous`, and
 * creates `table` again with the same columns, defaults and checks: partitioned by `key` (with a
 * default partition), or a plain table when key is null. Keys, indexes and foreign keys follow in
 * finishRebuild, once the rows are in.
 */
async function rebuild(runner: QueryRunner, table: string, key: string | null): Promise<void> {
  const old = `${table}_previous`;
  await runner.query(`ALTER TABLE ${table} RENAME TO ${old}`);
  const indexes = await rows<{ name: string }>(
    runner,
    `SELECT c.relname AS name FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid
      WHERE i.indrelid = $1::regclass`,
    [old],
  );
  for (const { name } of indexes) await runner.query(`ALTER INDEX ${name} RENAME TO ${name}_previous`);
  await runner.query(
    `CREATE TABLE ${table} (LIKE ${old} INCLUDING DEFAULTS INCLUDING CONSTRAINTS INCLUDING GENERATED
       INCLUDING IDENTITY INCLUDING STORAGE INCLUDING COMMENTS INCLUDING STATISTICS)
     ${key ? `PARTITION BY RANGE (${key})` : ''}`,
  );
  // Keys before the rows arrive: a partition created later inherits them, and foreign keys of the
  // family's children need their parent's key.
  const keys = await rows<{ name: string; definition: string }>(
    runner,
    `SELECT conname AS name, pg_get_constraintdef(oid) AS definition FROM pg_constraint
      WHERE conrelid = $1::regclass AND contype IN ('p', 'u') ORDER BY contype, conname`,
    [old],
  );
  for (const { name, definition } of keys) {
    // The constraint was renamed with its index.
    const original = name.replace(/_previous$/, '');
    await runner.query(`ALTER TABLE ${table} ADD CONSTRAINT ${original} ${definition}`);
  }
  if (key) await runner.query(`CREATE TABLE ${table}_default PARTITION OF ${table} DEFAULT`);
}

/** Rows of `<table>_previous` into the new table (routed to their partitions). */
async function moveRows(runner: QueryRunner, table: string): Promise<void> {
  await runner.query(`INSERT INTO ${table} SELECT * FROM ${table}_previous`);
}

/**
 * Indexes (under their own names), the tables' foreign keys and other tables' foreign keys onto them
 * move from the old tables to the new ones; then the old tables go.
 */
async function finishRebuild(runner: QueryRunner, tables: readonly string[]): Promise<void> {
  const olds = tables.map((table) => `${table}_previous`);
  const indexes = await rows<{ name: string; definition: string }>(
    runner,
    `SELECT c.relname AS name, pg_get_indexdef(i.indexrelid) AS definition
       FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid
      WHERE i.indrelid = ANY(SELECT oid FROM pg_class WHERE relname = ANY($1)
                               AND relnamespace = current_schema()::regnamespace)
        AND NOT EXISTS (SELECT 1 FROM pg_constraint k WHERE k.conindid = i.indexrelid)`,
    [olds],
  );
  const foreignKeys = await rows<{ name: string; owner: string; definition: string }>(
    runner,
    `SELECT k.conname AS name, k.conrelid::regclass::text AS owner, pg_get_constraintdef(k.oid) AS definition
       FROM pg_constraint k
      WHERE k.contype = 'f' AND k.conparentid = 0
        AND (k.conrelid = ANY(SELECT oid FROM pg_class WHERE relname = ANY($1))
             OR k.confrelid = ANY(SELECT oid FROM pg_class WHERE relname = ANY($1)))`,
    [olds],
  );
  for (const fk of foreignKeys) await runner.query(`ALTER TABLE ${fk.owner} DROP CONSTRAINT ${fk.name}`);
  for (const old of [...olds].reverse()) await runner.query(`DROP TABLE ${old}`);
  for (const { name, definition } of indexes) {
    const original = name.replace(/_previous$/, '');
    await runner.query(
      definition
        .replace(` INDEX ${name} ON `, ` INDEX ${original} ON `)
        .replace(/ ON (ONLY )?(\S+?)_previous /, ' ON $2 '),
    );
  }
  for (const fk of foreignKeys) {
    const owner = fk.owner.replace(/_previous$/, '');
    const definition = fk.definition.replace(/REFERENCES (\S+?)_previous\(/, 'REFERENCES $1(');
    await runner.query(`ALTER TABLE ${owner} ADD CONSTRAINT ${fk.name} ${definition}`);
  }
}

/** The lane protocol's one maker of delivery ids (lane-protocol-v3.sql), here made time-ordered or back. */
const LANE_NEW_DELIVERY_ID = (generator: string) => `
  CREATE OR REPLACE FUNCTION lane_new_delivery_id() RETURNS uuid AS $$
    SELECT ${generator}
  $$ LANGUAGE sql VOLATILE`;

/** A query's rows (QueryRunner.query answers `any`). */
async function rows<T>(runner: QueryRunner, sql: string, parameters?: unknown[]): Promise<T[]> {
  return (await runner.query(sql, parameters)) as T[];
}
