// `npm run bench:retention`: one retention run over 1,000,000 delivered events past the cutoff, on a
// Postgres server of its own (PrivatePostgres: the shared server is never disturbed), measured as an
// operator would: time, WAL written, dead tuples left behind, and the tables' size before and after
// (and after the VACUUM that row deletes need before their space is reused).
//   RETENTION_BENCH_EVENTS=100000 npm run bench:retention   smaller, for development
//   RETENTION_BENCH_LABEL=before                             names the results file (default: latest)
//   RETENTION_BENCH_MIGRATE=1   seeds before the partitioned log, then times its migration: retention
//                               then runs on the migrated rows (random ids: the default partitions)
//   RETENTION_BENCH_MIGRATE=events   the same for the partitioned events migration (events keep their
//                               timestamps, so they land in day partitions)
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { PrivatePostgres, repositoryRoot } from '@lms/testing';
import { buildDataSourceOptions, WEBHOOK_DOMAIN_MIGRATIONS } from '@lms/webhook-domain';
import { Client } from 'pg';
import { DataSource } from 'typeorm';
import { runRetention, RETENTION_IMPLEMENTATION } from './retention-run';
import { seedDeliveredHistory } from './retention-seed';

/** Tables whose rows retention removes (partitions included where they are partitioned). */
const LOG_TABLES = ['events', 'deliveries', 'delivery_attempts', 'delivery_events', 'lane_items'];

interface Snapshot {
  bytes: Record<string, number>;
  totalBytes: number;
}

async function main(): Promise<void> {
  const oldEvents = Number(process.env.RETENTION_BENCH_EVENTS ?? 1_000_000);
  const plan = { oldEvents, recentEvents: Math.round(oldEvents / 20), eventsPerRequest: 2, oldAgeDays: 8 };
  const label = process.env.RETENTION_BENCH_LABEL ?? 'latest';
  // The migration the seed runs before, when the bench times an upgrade.
  const migrated = { '1': 'PartitionedDeliveryLog1764800000500', events: 'PartitionedEvents1764800000800' }[
    process.env.RETENTION_BENCH_MIGRATE ?? ''
  ];
  const migrateAfterSeed = migrated !== undefined;
  // Autovacuum off: the dead tuples a run leaves are counted, not cleaned away mid-measurement (in
  // production autovacuum then spends the I/O this bench reports as the VACUUM step).
  const server = await PrivatePostgres.start({ settings: { autovacuum: 'off', max_wal_size: `'4GB'` } });
  try {
    const admin = new Client({ connectionString: server.adminUrl });
    await admin.connect();
    await admin.query('CREATE DATABASE retention_bench');
    await admin.end();
    const url = server.urlFor('retention_bench');
    const options = buildDataSourceOptions({ url, poolSize: 4, migrateOnBoot: true }, 'retention-bench');
    const dataSource = await new DataSource({
      ...options,
      migrations: migrateAfterSeed
        ? WEBHOOK_DOMAIN_MIGRATIONS.filter((migration) => migration.name !== migrated)
        : options.migrations,
    }).initialize();
    const sql = new Client({ connectionString: url });
    await sql.connect();
    try {
      await dataSource.runMigrations();
      // A table's own relation, or its partitions' when it is partitioned (pg_partition_tree of a
      // plain table is empty).
      await sql.query(`
        CREATE FUNCTION pg_temp.log_relations(t text) RETURNS SETOF regclass AS $$
          SELECT p.relid FROM pg_partition_tree(t::regclass) p WHERE p.isleaf
          UNION SELECT t::regclass WHERE (SELECT relkind FROM pg_class WHERE oid = t::regclass) <> 'p'
        $$ LANGUAGE sql`);
      const seedStarted = Date.now();
      await seedDeliveredHistory(sql, plan);
      console.log(`seeded ${plan.oldEvents + plan.recentEvents} events in ${Date.now() - seedStarted} ms`);
      let migrationMs: number | undefined;
      if (migrateAfterSeed) {
        const migrator = await new DataSource(options).initialize();
        const migrationStarted = Date.now();
        await migrator.runMigrations();
        migrationMs = Date.now() - migrationStarted;
        await migrator.destroy();
        console.log(`${migrated} over the seeded rows: ${migrationMs} ms`);
      }
      await sql.query('VACUUM ANALYZE');
      await sql.query('CHECKPOINT');
      const before = await snapshot(sql);
      const rowsBefore = await countRows(sql);
      const lsnBefore = await currentLsn(sql);
      const started = process.hrtime.bigint();
      const outcome = await runRetention(dataSource, 7);
      const retentionMs = Number(process.hrtime.bigint() - started) / 1e6;
      const walBytes = await walSince(sql, lsnBefore);
      await dataSource.destroy();
      const deadTuples = await deadTuplesSettled(sql);
      const after = await snapshot(sql);
      const rowsAfter = await countRows(sql);
      const vacuumStarted = Date.now();
      await sql.query('VACUUM');
      const vacuumMs = Date.now() - vacuumStarted;
      const afterVacuum = await snapshot(sql);
      const result = {
        label,
        implementation: RETENTION_IMPLEMENTATION,
        measuredAt: new Date().toISOString(),
        postgres: (await sql.query<{ v: string }>('SHOW server_version')).rows[0].v,
        plan,
        migration: migrated,
        migrationMs,
        outcome,
        retentionMs: Math.round(retentionMs),
        walBytes,
        deadTuples,
        rowsBefore,
        rowsAfter,
        sizeBefore: before,
        sizeAfter: after,
        vacuumAfterMs: vacuumMs,
        sizeAfterVacuum: afterVacuum,
      };
      const file = path.join(repositoryRoot(), 'bench', 'results', `retention-${label}.json`);
      mkdirSync(path.dirname(file), { recursive: true });
      writeFileSync(file, `${JSON.stringify(result, null, 2)}\n`);
      console.log(JSON.stringify(result, null, 2));
      console.log(`written to ${file}`);
    } finally {
      await sql.end();
      if (dataSource.isInitialized) await dataSource.destroy();
    }
  } finally {
    await server.remove();
  }
}

/** Bytes of each log table with its indexes, TOAST and partitions. */
async function snapshot(sql: Client): Promise<Snapshot> {
  const { rows } = await sql.query<{ table: string; bytes: string }>(
    `SELECT t AS table, (SELECT sum(pg_total_relation_size(r)) FROM pg_temp.log_relations(t) r) AS bytes
       FROM unnest($1::text[]) t WHERE to_regclass(t) IS NOT NULL`,
    [LOG_TABLES],
  );
  const bytes = Object.fromEntries(rows.map((row) => [row.table, Number(row.bytes)]));
  return { bytes, totalBytes: Object.values(bytes).reduce((sum, n) => sum + n, 0) };
}

async function countRows(sql: Client): Promise<Record<string, number>> {
  const counts: Record<string, number> = {};
  for (const table of LOG_TABLES) {
    const { rows } = await sql.query<{ n: number }>(
      `SELECT CASE WHEN to_regclass($1) IS NULL THEN -1 ELSE 0 END AS n`,
      [table],
    );
    if (rows[0].n < 0) continue;
    counts[table] = (await sql.query<{ n: number }>(`SELECT count(*)::int AS n FROM ${table}`)).rows[0].n;
  }
  return counts;
}

async function currentLsn(sql: Client): Promise<string> {
  return (await sql.query<{ lsn: string }>('SELECT pg_current_wal_insert_lsn() AS lsn')).rows[0].lsn;
}

async function walSince(sql: Client, lsn: string): Promise<number> {
  const { rows } = await sql.query<{ bytes: string }>(
    'SELECT pg_wal_lsn_diff(pg_current_wal_insert_lsn(), $1) AS bytes',
    [lsn],
  );
  return Number(rows[0].bytes);
}

/**
 * Dead tuples in the log tables (and their partitions). Read after the retention's connections have
 * closed (a session reports its counts when it ends), and until two reads agree.
 */
async function deadTuplesSettled(sql: Client): Promise<number> {
  let previous = -1;
  for (let round = 0; round < 20; round++) {
    await new Promise((resolve) => setTimeout(resolve, 1200));
    await sql.query('SELECT pg_stat_clear_snapshot()');
    const { rows } = await sql.query<{ dead: string }>(
      `SELECT coalesce(sum(s.n_dead_tup), 0) AS dead FROM pg_stat_user_tables s
        WHERE s.relid IN (SELECT r FROM unnest($1::text[]) t, pg_temp.log_relations(t) r WHERE to_regclass(t) IS NOT NULL)`,
      [LOG_TABLES],
    );
    const dead = Number(rows[0].dead);
    if (dead === previous) return dead;
    previous = dead;
  }
  return previous;
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
