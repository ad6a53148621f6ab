import { randomUUID } from 'node:crypto';
import { createTestDatabase, insertDeliveredItems, type TestDatabase } from '@lms/testing';
import { Client } from 'pg';
import { DataSource } from 'typeorm';
import { PartitionedDeliveryLog1764800000500 } from './1764800000500-partitioned-delivery-log';
import { WEBHOOK_DOMAIN_MIGRATIONS } from './index';

const BEFORE = WEBHOOK_DOMAIN_MIGRATIONS.filter((m) => m !== PartitionedDeliveryLog1764800000500);

interface PlanNode {
  'Node Type': string;
  'Relation Name'?: string;
  'Actual Loops'?: number;
  Plans?: PlanNode[];
}

/** Relations of `prefix` a plan scans (with ANALYZE: only the scans that ran at least once). */
function relationsRead(plan: PlanNode, prefix: string): string[] {
  const scans = plan['Node Type'].includes('Scan') && plan['Relation Name']?.startsWith(prefix);
  const here = scans && (plan['Actual Loops'] ?? 1) > 0 ? [plan['Relation Name'] as string] : [];
  return [...here, ...(plan.Plans ?? []).flatMap((child) => relationsRead(child, prefix))];
}

/** The partitioned delivery log migration on rows written before it, up, down and up again. */
describe('migration: partitioned delivery log', () => {
  let database: TestDatabase;
  let dataSource: DataSource;
  const webhookId = randomUUID();
  const legacy = { closed: randomUUID(), open: randomUUID() };
  let eventPks: number[];

  const open = async (migrations: Array<new () => unknown>) => {
    const source = new DataSource({
      type: 'postgres',
      url: database.url,
      migrations: migrations as never,
      migrationsTableName: 'schema_migrations',
    });
    await source.initialize();
    await source.runMigrations();
    return source;
  };

  const relkind = async (table: string) =>
    (
      await dataSource.query<
        Array<{
          relkind: string;
        }>
      >(`SELECT relkind FROM pg_class WHERE relname = $1`, [table])
    )[0]?.relkind;
  const count = async (sql: string, params: unknown[] = []) =>
    (await dataSource.query<Array<{ n: number }>>(sql, params))[0].n;

  beforeAll(async () => {
    database = await createTestDatabase('partitioned_log');
    const before = await open(BEFORE);
    const sql = new Client({ connectionString: database.url });
    await sql.connect();
    await before.query(
      `INSERT INTO webhooks (id, account_id, name, target_url, auth_type, events, status)
       VALUES ($1, 7, 'log', 'https://93.184.215.14/', 'NONE', '{COURSE_ENROLLMENT}', 'ACTIVE')`,
      [webhookId],
    );
    eventPks = (
      await before.query<Array<{ id: string }>>(
        `INSERT INTO events (account_id, event_id, event_name, realtime, occurred_at, data)
         SELECT 7, 'e' || g, 'COURSE_ENROLLMENT', true, 1700000000000 + g, '{}' FROM generate_series(1, 3) g
         RETURNING id`,
      )
    ).map((row) => Number(row.id));
    for (const [id, status, events] of [
      [legacy.closed, 'SUCCEEDED', eventPks.slice(0, 2)],
      [legacy.open, 'RETRYING', eventPks.slice(2)],
    ] as const) {
      await before.query(
        `INSERT INTO deliveries (id, webhook_id, account_id, kind, status, event_count, attempt_count)
         VALUES ($1, $2, 7, 'REALTIME', $3, $4, 1)`,
        [id, webhookId, status, events.length],
      );
      await before.query(
        `INSERT INTO delivery_attempts (delivery_id, attempt_number, started_at, duration_ms, status_code)
         VALUES ($1, 1, now(), 5, 200)`,
        [id],
      );
      // Lane protocol v3: the request's events are its range of (consumed) lane items.
      await insertDeliveredItems(sql, {
        deliveryId: id,
        webhookId,
        accountId: 7,
        kind: 'REALTIME',
        eventPks: [...events],
      });
    }
    await sql.end();
    await before.destroy();
    dataSource = await open(WEBHOOK_DOMAIN_MIGRATIONS);
  });
  afterAll(async () => {
    await dataSource?.destroy();
    await database?.drop();
  });

  it('partitions deliveries and attempts by delivery id, keeping every row, id and request event', async () => {
    expect(await relkind('deliveries')).toBe('p');
    expect(await relkind('delivery_attempts')).toBe('p');
    expect(await relkind('delivery_events')).toBe('v');
    const ids = await dataSource.query<
      Array<{
        id: string;
        status: string;
      }>
    >(`SELECT id, status FROM deliveries ORDER BY status`);
    expect(ids).toEqual([
      { id: legacy.open, status: 'RETRYING' },
      { id: legacy.closed, status: 'SUCCEEDED' },
    ]);
    expect(await count(`SELECT count(*)::int AS n FROM delivery_attempts`)).toBe(2);
    expect(
      await dataSource.query<Array<{ event_pk: string }>>(
        `SELECT event_pk FROM delivery_events ORDER BY delivery_id = $1, position`,
        [legacy.open],
      ),
    ).toEqual(eventPks.map((pk) => ({ event_pk: String(pk) })));
    // Random (v4) ids of before the migration live in the default partitions.
    expect(await count(`SELECT count(*)::int AS n FROM deliveries_default`)).toBe(2);
  });

  it('keeps the indexes under their names and the foreign keys', async () => {
    const indexes = await dataSource.query<Array<{ indexname: string }>>(
      `SELECT indexname FROM pg_indexes WHERE tablename = 'deliveries' ORDER BY 1`,
    );
    expect(indexes.map((row) => row.indexname)).toEqual(
      expect.arrayContaining([
        'deliveries_pkey',
        'deliveries_due_idx',
        'deliveries_webhook_created_idx',
        'deliveries_created_idx',
        'deliveries_open_lane_idx',
      ]),
    );
    await expect(
      dataSource.query(
        `INSERT INTO delivery_attempts (delivery_id, attempt_number, started_at, duration_ms) VALUES ($1, 1, now(), 1)`,
        [randomUUID()],
      ),
    ).rejects.toThrow(/foreign key/);
  });

  it('creates partitions for today and tomorrow, and new deliveries get time-ordered ids in today’s', async () => {
    const days = await dataSource.query<
      Array<{
        day: string;
      }>
    >(`SELECT d::text AS day FROM log_partition_days() d`);
    const today = new Date().toISOString().slice(0, 10);
    expect(days[0].day).toBe(today);
    expect(days).toHaveLength(2);
    await dataSource.query(
      `INSERT INTO lane_items (webhook_id, kind, event_pk, event_occurred_at, account_id, body_bytes)
       SELECT $1, 'REALTIME', id, occurred_at, 7, 100 FROM events WHERE id = $2`,
      [webhookId, eventPks[0]],
    );
    await dataSource.query(`UPDATE deliveries SET status = 'DEAD' WHERE id = $1`, [legacy.open]);
    const [made] = await dataSource.query<Array<{ delivery_id: string }>>(
      `SELECT delivery_id FROM advance_lane($1, 'REALTIME', 100)`,
      [webhookId],
    );
    expect(made.delivery_id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-7/);
    const [where] = await dataSource.query<Array<{ part: string }>>(
      `SELECT tableoid::regclass::text AS part FROM deliveries WHERE id = $1`,
      [made.delivery_id],
    );
    expect(where.part).toBe(`deliveries_p${today.replaceAll('-', '')}`);
  });

  it('a lookup by id reads one partition, with a constant, a parameter, or a join on a list of ids', async () => {
    const id = (await dataSource.query<Array<{ id: string }>>(`SELECT uuidv7() AS id`))[0].id;
    const runner = dataSource.createQueryRunner();
    try {
      const explain = async (sql: string, params: unknown[] = []) => {
        const plan = (await runner.query(`EXPLAIN (ANALYZE, FORMAT JSON) ${sql}`, params)) as Array<{
          'QUERY PLAN': Array<{ Plan: PlanNode }>;
        }>;
        return plan[0]['QUERY PLAN'][0].Plan;
      };
      expect(
        relationsRead(await explain(`SELECT * FROM deliveries WHERE id = '${id}'`), 'deliveries'),
      ).toHaveLength(1);
      await runner.query(`SET plan_cache_mode = force_generic_plan`);
      expect(
        relationsRead(await explain(`SELECT * FROM deliveries WHERE id = $1`, [id]), 'deliveries'),
      ).toHaveLength(1);
      // The dispatcher's outcome statement: UPDATE ... FROM unnest(ids) WHERE d.id = u.id.
      const update = await explain(
        `UPDATE deliveries d SET updated_at = now() FROM unnest($1::uuid[]) AS u(id) WHERE d.id = u.id`,
        [[id]],
      );
      // A nested loop whose inner Append is pruned per outer row (run-time pruning).
      expect(relationsRead(update, 'deliveries')).toHaveLength(1);
      const attempts = await explain(
        `SELECT * FROM delivery_attempts WHERE delivery_id = $1 ORDER BY attempt_number`,
        [id],
      );
      expect(relationsRead(attempts, 'delivery_attempts')).toHaveLength(1);
    } finally {
      await runner.query(`RESET plan_cache_mode`);
      await runner.release();
    }
  });

  it('down puts plain tables back with every row, and up partitions them again', async () => {
    const before = await count(`SELECT count(*)::int AS n FROM deliveries`);
    await dataSource.undoLastMigration();
    expect(await relkind('deliveries')).toBe('r');
    expect(await relkind('delivery_attempts')).toBe('r');
    expect(await relkind('delivery_events')).toBe('v');
    expect(await count(`SELECT count(*)::int AS n FROM deliveries`)).toBe(before);
    expect(await count(`SELECT count(*)::int AS n FROM deliveries WHERE id = $1`, [legacy.closed])).toBe(1);
    expect(await count(`SELECT count(*)::int AS n FROM delivery_events`)).toBe(4);
    expect(await count(`SELECT count(*)::int AS n FROM pg_proc WHERE proname = 'uuidv7'`)).toBe(0);
    expect(
      await count(
        `SELECT count(*)::int AS n FROM pg_proc WHERE proname = 'lane_new_delivery_id' AND prosrc LIKE '%gen_random_uuid()%'`,
      ),
    ).toBe(1);
    await dataSource.runMigrations();
    expect(await relkind('deliveries')).toBe('p');
    expect(await count(`SELECT count(*)::int AS n FROM deliveries`)).toBe(before);
    expect(await count(`SELECT count(*)::int AS n FROM delivery_events`)).toBe(4);
  });
});
