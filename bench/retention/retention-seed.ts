import type { Client } from 'pg';

/** What the bench stores: delivered history past the retention cutoff, and a recent tail that must stay. */
export interface RetentionSeedPlan {
  /** Delivered events older than the cutoff (the ones retention removes). */
  oldEvents: number;
  /** Delivered events newer than the cutoff (the ones it must keep). */
  recentEvents: number;
  eventsPerRequest: number;
  /** Age of the old history, in days (retention keeps `retentionDays`). */
  oldAgeDays: number;
}

const ACCOUNT_ID = 4242;
const WEBHOOK_ID = '00000000-0000-4000-8000-00000000b0b0';
const CHUNK = 100_000;

/**
 * Seeds delivered history straight into the tables (generate_series, chunks of 100,000 events), as
 * the lanes would have left it: each event in one SUCCEEDED delivery of `eventsPerRequest` events with
 * one attempt. Adapts to the schema it finds, so the same seed serves the schema before and after
 * partitioning: delivery ids are time-ordered (`uuidv7_at`) when that function exists, and a request's
 * events are `delivery_events` rows when that is a table, or lane item ranges when deliveries carry
 * `first_item_id`/`last_item_id` (lane protocol v3); events get day partitions and lane items their
 * events' timestamps when events are partitioned.
 */
export async function seedDeliveredHistory(sql: Client, plan: RetentionSeedPlan): Promise<void> {
  await sql.query(
    `INSERT INTO webhooks (id, account_id, name, target_url, auth_type, events, status)
     VALUES ($1, $2, 'retention bench', 'http://127.0.0.1:9/hook', 'NONE', ARRAY['*'], 'ACTIVE')`,
    [WEBHOOK_ID, ACCOUNT_ID],
  );
  const schema = await readSchemaShape(sql);
  const nowMs = Date.now();
  const dayMs = 86_400_000;
  // The partitions the retention scheduler would have created while those days were ahead.
  const days = `generate_series((now() AT TIME ZONE 'UTC')::date - $1::int - 1, (now() AT TIME ZONE 'UTC')::date, '1 day') d`;
  if (schema.timeOrderedIds) {
    await sql.query(`SELECT log_partitions_create(d::date) FROM ${days}`, [plan.oldAgeDays]);
  }
  if (schema.partitionedEvents) {
    await sql.query(`SELECT event_partitions_create(d::date) FROM ${days}`, [plan.oldAgeDays]);
  }
  // Old history spread over one day ending `oldAgeDays` ago; the recent tail over the last hour.
  await seedRange(sql, schema, plan, 0, plan.oldEvents, nowMs - plan.oldAgeDays * dayMs - dayMs, dayMs);
  await seedRange(sql, schema, plan, plan.oldEvents, plan.recentEvents, nowMs - 3_600_000, 3_600_000);
}

interface SchemaShape {
  timeOrderedIds: boolean;
  /** events partitioned by day, lane items carrying their events' timestamps (PartitionedEvents). */
  partitionedEvents: boolean;
  deliveryEventsTable: boolean;
  itemRanges: boolean;
}

async function readSchemaShape(sql: Client): Promise<SchemaShape> {
  const { rows } = await sql.query<{ v7: boolean; events_p: boolean; de_table: boolean; ranges: boolean }>(`
    SELECT to_regproc('uuidv7_at') IS NOT NULL AS v7,
           to_regproc('event_partitions_create') IS NOT NULL AS events_p,
           EXISTS (SELECT 1 FROM pg_class WHERE relname = 'delivery_events' AND relkind IN ('r', 'p')) AS de_table,
           EXISTS (SELECT 1 FROM information_schema.columns
                    WHERE table_name = 'deliveries' AND column_name = 'first_item_id') AS ranges`);
  return {
    timeOrderedIds: rows[0].v7,
    partitionedEvents: rows[0].events_p,
    deliveryEventsTable: rows[0].de_table,
    itemRanges: rows[0].ranges,
  };
}

async function seedRange(
  sql: Client,
  schema: SchemaShape,
  plan: RetentionSeedPlan,
  firstOrdinal: number,
  count: number,
  startMs: number,
  spanMs: number,
): Promise<void> {
  for (let offset = 0; offset < count; offset += CHUNK) {
    const n = Math.min(CHUNK, count - offset);
    await sql.query('BEGIN');
    // Events i = 0..n-1 of this chunk, evenly over [startMs, startMs + spanMs).
    await sql.query(
      `CREATE TEMP TABLE seed_events ON COMMIT DROP AS
       WITH inserted AS (
         INSERT INTO events (account_id, event_id, event_name, realtime, occurred_at, event_info, data, data_bytes, received_at)
         SELECT $1, 'bench-' || (g + $2), 'course_completed', true,
                ($3::bigint + ((g + $4)::bigint * $5::bigint / $6::bigint)),
                'bench', json_build_object('userId', g, 'courseId', g % 977, 'score', 87.5, 'note', repeat('x', 160)),
                200,
                to_timestamp(($3::bigint + ((g + $4)::bigint * $5::bigint / $6::bigint)) / 1000.0)
           FROM generate_series(0, $7 - 1) g
         RETURNING id, occurred_at, received_at)
       SELECT id, occurred_at, received_at, row_number() OVER (ORDER BY id) - 1 AS n FROM inserted`,
      [ACCOUNT_ID, firstOrdinal + offset, startMs, offset, spanMs, count, n],
    );
    const newId = schema.timeOrderedIds ? 'uuidv7_at(g.at)' : 'gen_random_uuid()';
    if (schema.itemRanges) {
      // Lane protocol v3: consumed lane items stay; a delivery names its range of them.
      const eventKey = schema.partitionedEvents ? ['event_occurred_at, ', 'e.occurred_at, '] : ['', ''];
      await sql.query(
        `CREATE TEMP TABLE seed_items ON COMMIT DROP AS
         WITH inserted AS (
           INSERT INTO lane_items (webhook_id, kind, event_pk, ${eventKey[0]}account_id, body_bytes, created_at)
           SELECT $1, 'REALTIME', e.id, ${eventKey[1]}$2, 300, e.received_at FROM seed_events e ORDER BY e.id
           RETURNING id, event_pk)
         SELECT i.id AS item_id, e.n, e.received_at FROM inserted i JOIN seed_events e ON e.id = i.event_pk`,
        [WEBHOOK_ID, ACCOUNT_ID],
      );
      await sql.query(
        `CREATE TEMP TABLE seed_deliveries ON COMMIT DROP AS
         WITH g AS (SELECT min(received_at) AS at, count(*)::int AS event_count, min(item_id) AS first_item,
                           max(item_id) AS last_item
                      FROM seed_items GROUP BY n / $1)
         SELECT ${newId} AS id, g.* FROM g`,
        [plan.eventsPerRequest],
      );
      await sql.query(
        `INSERT INTO deliveries (id, webhook_id, account_id, kind, status, event_count, attempt_count,
                                 next_attempt_at, last_attempt_at, last_status_code, created_at, updated_at,
                                 delivered_at, first_item_id, last_item_id)
         SELECT id, $1, $2, 'REALTIME', 'SUCCEEDED', event_count, 1, at, at, 200, at, at, at, first_item, last_item
           FROM seed_deliveries`,
        [WEBHOOK_ID, ACCOUNT_ID],
      );
      await sql.query(
        `UPDATE lanes SET claimed_upto = greatest(claimed_upto, (SELECT max(item_id) FROM seed_items))
          WHERE webhook_id = $1 AND kind = 'REALTIME'`,
        [WEBHOOK_ID],
      );
    } else {
      await sql.query(
        `CREATE TEMP TABLE seed_deliveries ON COMMIT DROP AS
         WITH g AS (SELECT min(received_at) AS at, array_agg(id ORDER BY id) AS event_pks
                      FROM seed_events GROUP BY n / $1)
         SELECT ${newId} AS id, g.* FROM g`,
        [plan.eventsPerRequest],
      );
      await sql.query(
        `INSERT INTO deliveries (id, webhook_id, account_id, kind, status, event_count, attempt_count,
                                 next_attempt_at, last_attempt_at, last_status_code, created_at, updated_at,
                                 delivered_at)
         SELECT id, $1, $2, 'REALTIME', 'SUCCEEDED', cardinality(event_pks), 1, at, at, 200, at, at, at
           FROM seed_deliveries`,
        [WEBHOOK_ID, ACCOUNT_ID],
      );
      if (schema.deliveryEventsTable) {
        await sql.query(
          `INSERT INTO delivery_events (delivery_id, position, event_pk)
           SELECT d.id, t.ordinality - 1, t.event_pk
             FROM seed_deliveries d, unnest(d.event_pks) WITH ORDINALITY AS t(event_pk, ordinality)`,
        );
      }
    }
    await sql.query(
      `INSERT INTO delivery_attempts (delivery_id, attempt_number, started_at, duration_ms, status_code, response_snippet)
       SELECT id, 1, at, 12, 200, 'ok' FROM seed_deliveries`,
    );
    await sql.query('COMMIT');
  }
}
