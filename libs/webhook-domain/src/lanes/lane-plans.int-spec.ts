import { randomUUID } from 'node:crypto';
import {
  createTestDatabase,
  insertWebhookRow,
  openMigratedDataSource,
  type TestDatabase,
} from '@lms/testing';
import { Client } from 'pg';
import type { DataSource } from 'typeorm';

const ACCOUNT = 6161;
const ITEMS_PER_LANE = 20_000;

/**
 * The lane reads keep their shape however large the lane log grows (lanes/sql/lane-plans.sql): every
 * read of lane_items is a range of its (webhook_id, kind, id) key for one lane, and the claim's payload
 * never joins whole tables. The plans are read with auto_explain (nested statements included) under
 * generic plans, which is what plpgsql settles on after a few calls and where a soak found a lane step
 * walking the whole log for an empty lane.
 */
describe('lane plans on a large lane log', () => {
  let database: TestDatabase;
  let dataSource: DataSource;
  let busy: string;
  let empty: string;
  let webhook: () => Promise<string>;

  beforeAll(async () => {
    database = await createTestDatabase('lane_plans');
    dataSource = await openMigratedDataSource(database);
    webhook = async () => {
      const id = randomUUID();
      await insertWebhookRow(dataSource, {
        id,
        accountId: ACCOUNT,
        name: `plans ${id}`,
        targetUrl: 'http://127.0.0.1:9/hooks',
        events: ['COURSE_COMPLETED'],
        status: 'ACTIVE',
        maxInFlight: 2,
      });
      return id;
    };
    busy = await webhook();
    empty = await webhook();
    const other = await webhook();
    // Two lanes' items interleaved (the busy one and another), all but the last 150 of the busy lane
    // already sent: the cursor sits near the end, and the empty lane's cursor at the very start.
    await dataSource.query(
      `WITH e AS (
         INSERT INTO events (account_id, event_id, event_name, realtime, occurred_at, data)
         SELECT $1, 'plan-' || g, 'COURSE_COMPLETED', true, g, '{"n": 1}'::json FROM generate_series(1, $2::int) g
         RETURNING id, occurred_at)
       INSERT INTO lane_items (webhook_id, kind, event_pk, event_occurred_at, account_id, body_bytes)
       SELECT w, 'REALTIME', e.id, e.occurred_at, $1, 200 FROM e CROSS JOIN unnest(ARRAY[$3::uuid, $4::uuid]) w
        ORDER BY e.id, w`,
      [ACCOUNT, ITEMS_PER_LANE, busy, other],
    );
    await dataSource.query(
      `UPDATE lanes l SET busy = true, claimed_upto = (SELECT max(id) - 150 FROM lane_items i
                                                       WHERE i.webhook_id = l.webhook_id AND i.kind = l.kind)
        WHERE l.webhook_id = ANY($1::uuid[]) AND l.kind = 'REALTIME'`,
      [[busy, other]],
    );
    await dataSource.query('ANALYZE');
  });

  afterAll(async () => {
    await dataSource?.destroy();
    await database?.drop();
  });

  /**
   * Runs `sql` on a session that logs every plan (nested ones too) back to it; answers the plans. With
   * `analyze`, the plans carry what ran (loops) and both calls are rolled back.
   */
  async function plansOf(sql: string, parameters: unknown[], analyze = false): Promise<string[]> {
    const client = new Client({ connectionString: database.url });
    await client.connect();
    const plans: string[] = [];
    client.on('notice', (notice) => {
      if (notice.message?.includes('plan:')) plans.push(notice.message);
    });
    try {
      await client.query(`LOAD 'auto_explain'`);
      await client.query('SET auto_explain.log_min_duration = 0');
      await client.query('SET auto_explain.log_nested_statements = on');
      await client.query('SET plan_cache_mode = force_generic_plan');
      await client.query('SET client_min_messages = log');
      if (analyze) await client.query('SET auto_explain.log_analyze = on');
      // Twice: the second call runs the plans plpgsql cached from the first.
      if (analyze) await client.query('BEGIN');
      await client.query(sql, parameters);
      if (analyze) await client.query('ROLLBACK');
      plans.length = 0;
      await client.query('BEGIN');
      await client.query(sql, parameters);
      await client.query('ROLLBACK');
      return plans;
    } finally {
      await client.end();
    }
  }

  /** Every access to lane_items in the plans: a scan of its key starting with one lane, never the whole table. */
  function laneItemAccesses(plans: string[]): string[] {
    return plans.flatMap((plan) => {
      const lines = plan.split('\n');
      return lines.flatMap((line, index) =>
        / on lane_items\b/.test(line) ? [`${line.trim()} | ${lines[index + 1]?.trim() ?? ''}`] : [],
      );
    });
  }

  it('the claim of an empty lane and of a busy one reads only those lanes’ ranges of the key', async () => {
    const plans = await plansOf(
      `SELECT * FROM lane_claim($1::uuid[], ARRAY['BATCH', 'REALTIME'], 100, NULL, NULL)`,
      [[empty, busy]],
    );
    const accesses = laneItemAccesses(plans);
    expect(accesses.length).toBeGreaterThan(0);
    for (const access of accesses) {
      // A range of one lane: the scan's condition starts with the lane, never with the id alone.
      expect(access).toMatch(/\| (Index|Recheck) Cond: \(\(webhook_id = /);
    }
    expect(plans.join('\n')).not.toMatch(/Hash Join|Gather|Seq Scan on (lane_items|events)\b/);
  });

  it('the claim reads each event from its own day’s partition of events, however many days are kept', async () => {
    const spread = await webhook();
    const DAYS = 6;
    await dataSource.query(
      `SELECT event_partitions_create((now() AT TIME ZONE 'UTC')::date - g) FROM generate_series(1, $1::int) g`,
      [DAYS],
    );
    // One event on each of the last DAYS days, in its lane.
    await dataSource.query(
      `WITH e AS (
         INSERT INTO events (account_id, event_id, event_name, realtime, occurred_at, data)
         SELECT $1, 'spread-' || g, 'COURSE_COMPLETED', true,
                event_day_start_ms((now() AT TIME ZONE 'UTC')::date - g) + 1000, '{"n": 1}'::json
           FROM generate_series(1, $2::int) g
         RETURNING id, occurred_at)
       INSERT INTO lane_items (webhook_id, kind, event_pk, event_occurred_at, account_id, body_bytes)
       SELECT $3, 'REALTIME', e.id, e.occurred_at, $1, 200 FROM e ORDER BY e.id`,
      [ACCOUNT, DAYS, spread],
    );
    await dataSource.query(`UPDATE lanes SET busy = true WHERE webhook_id = $1 AND kind = 'REALTIME'`, [
      spread,
    ]);

    const plans = await plansOf(
      `SELECT * FROM lane_claim(ARRAY[$1::uuid], ARRAY['REALTIME'], 100, NULL, NULL)`,
      [spread],
      true,
    );

    // Every probe of an events partition, with how often it ran: one event each, in its day only.
    const probes = plans
      .join('\n')
      .split('\n')
      .flatMap((line) => {
        const scan = / on (events_\w+)\b.*?(?:loops=(\d+)|\(never executed\))/.exec(line);
        return scan ? [{ partition: scan[1], loops: Number(scan[2] ?? 0) }] : [];
      });
    const ran = probes.filter((probe) => probe.loops > 0);
    expect(ran).toHaveLength(DAYS);
    for (const probe of ran)
      expect(probe).toMatchObject({ partition: expect.stringMatching(/^events_p\d{8}$/), loops: 1 });
    expect(new Set(ran.map((probe) => probe.partition)).size).toBe(DAYS);
  });

  it('an outcome plans and opens only the partitions its requests are in, however many days are kept', async () => {
    await dataSource.query(
      `SELECT log_partitions_create((current_date - g)::date) FROM generate_series(1, 10) g`,
    );
    const [request] = await dataSource.query<Array<{ id: string }>>(
      `INSERT INTO deliveries (id, webhook_id, account_id, kind, status, event_count)
       VALUES (lane_new_delivery_id(), $1, $2, 'REALTIME', 'PENDING', 1) RETURNING id`,
      [busy, ACCOUNT],
    );
    const plans = await plansOf(
      `SELECT * FROM lane_record_outcomes(ARRAY[$1::uuid], ARRAY['RETRYING'], ARRAY[now()], ARRAY[503], ARRAY['HTTP 503'],
         ARRAY[NULL]::text[], ARRAY[now()], ARRAY[12], ARRAY[''], 5, 20, ARRAY[]::uuid[], ARRAY[]::uuid[], ARRAY[NULL]::text[])`,
      [request.id],
    );
    const update = plans.find((plan) => /Update on deliveries/.test(plan)) ?? '';
    expect(update).not.toBe('');
    // The day partitions this plan holds: today's (where a UUIDv7 made now falls), not the other eleven.
    const partitions = [...new Set(update.match(/deliveries_p\d{8}/g) ?? [])];
    expect(partitions).toHaveLength(1);
  });

  it('counting what waits reads each lane from its cursor on', async () => {
    const plans = await plansOf(`SELECT count(*) FROM lane_waiting_items WHERE released`, []);
    const plan = plans.join('\n');
    expect(plan).toMatch(/Index Cond: \(\(webhook_id = l\.webhook_id\)/);
    expect(plan).not.toMatch(/Seq Scan on lane_items|Hash Join/);
  });
});
