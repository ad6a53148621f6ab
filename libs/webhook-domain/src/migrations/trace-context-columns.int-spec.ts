import { createTestDatabase, type TestDatabase } from '@lms/testing';
import { DataSource } from 'typeorm';
import { TraceContextColumns1764800000300 } from './1764800000300-trace-context-columns';
import { WEBHOOK_DOMAIN_MIGRATIONS } from '.';

/**
 * Migration TraceContextColumns1764800000300: up leaves exactly one lane_record_outcomes and one
 * lane_record_and_claim, both taking the trace ids; down gives v2's two back and leaves the rest of the
 * lane protocol (v3's lane_claim) as it was; up again works.
 */
describe('migration TraceContextColumns1764800000300', () => {
  let database: TestDatabase;
  let source: DataSource;

  const signatures = async () =>
    (
      await source.query<Array<{ signature: string }>>(
        `SELECT p.proname || '(' || pg_get_function_identity_arguments(p.oid) || ')' AS signature
           FROM pg_proc p WHERE p.proname IN ('lane_record_outcomes', 'lane_record_and_claim')
          ORDER BY 1`,
      )
    ).map((row) => row.signature.replace(/p_\w+ /g, ''));
  const columns = async () =>
    (
      await source.query<Array<{ name: string }>>(
        // Partitions (delivery_attempts is partitioned by day) carry their parent's columns.
        `SELECT table_name || '.' || column_name AS name FROM information_schema.columns
          WHERE column_name IN ('trace_id', 'trace_context_headers')
            AND table_name NOT IN (SELECT relname FROM pg_class WHERE relispartition) ORDER BY 1`,
      )
    ).map((row) => row.name);
  const laneClaimReadsLaneItems = async () => {
    const [row] = await source.query<Array<{ prosrc: string }>>(
      `SELECT prosrc FROM pg_proc WHERE proname = 'lane_claim'`,
    );
    return row.prosrc.includes('lane_items');
  };

  beforeAll(async () => {
    database = await createTestDatabase('trace_context_columns_migration');
    source = await new DataSource({
      type: 'postgres',
      url: database.url,
      migrations: WEBHOOK_DOMAIN_MIGRATIONS,
      migrationsTableName: 'schema_migrations',
    }).initialize();
    await source.runMigrations();
  });

  afterAll(async () => {
    await source?.destroy();
    await database?.drop();
  });

  it('up: one function of each name, taking the trace ids; both columns', async () => {
    const arrays =
      'uuid[], text[], timestamp with time zone[], integer[], text[], text[], timestamp with time zone[], integer[], text[], integer, integer, uuid[], uuid[], text[]';
    expect(await signatures()).toEqual([
      `lane_record_and_claim(${arrays}, integer, bigint, integer)`,
      `lane_record_outcomes(${arrays})`,
    ]);
    expect(await columns()).toEqual(['delivery_attempts.trace_id', 'webhooks.trace_context_headers']);
  });

  it("down: v2's two functions back, v3's lane_claim untouched, no columns; up again", async () => {
    // Undo this migration and any that came after it.
    const applied = async () =>
      (await source.query<Array<{ n: number }>>(`SELECT count(*)::int AS n FROM schema_migrations`))[0].n;
    const index = WEBHOOK_DOMAIN_MIGRATIONS.indexOf(TraceContextColumns1764800000300);
    while ((await applied()) > index) await source.undoLastMigration();
    const arrays =
      'uuid[], text[], timestamp with time zone[], integer[], text[], text[], timestamp with time zone[], integer[], text[], integer, integer, uuid[], uuid[]';
    expect(await signatures()).toEqual([
      `lane_record_and_claim(${arrays}, integer, bigint, integer)`,
      `lane_record_outcomes(${arrays})`,
    ]);
    expect(await columns()).toEqual([]);
    expect(await laneClaimReadsLaneItems()).toBe(true);
    expect((await source.runMigrations()).map((migration) => migration.name)).toContain(
      TraceContextColumns1764800000300.name,
    );
    expect(await columns()).toHaveLength(2);
  });
});
