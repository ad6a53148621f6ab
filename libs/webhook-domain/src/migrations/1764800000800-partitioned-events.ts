import { MigrationInterface, QueryRunner } from 'typeorm';
import { laneSql, laneSqlFunction } from '../lanes/lane-sql';
import { DELIVERY_EVENTS_VIEW } from './1764800000000-lane-protocol-v3';
import { DROP_EVENT_PARTITION_FUNCTIONS, EVENT_PARTITION_FUNCTIONS } from './event-partitions-sql';

/** Days the migration creates partitions for after today (UTC), as the retention scheduler does. */
const DAYS_CREATED_AHEAD = 1;

/**
 * Events that never bloat (issue 17, item 4): `events` becomes range-partitioned by the event's own
 * timestamp, one partition per UTC day, and retention drops a day whole instead of deleting its rows
 * (event-partitions-sql.ts has the layout and why the key is the timestamp).
 *
 * - The dedupe key becomes `(account_id, event_id, occurred_at)`: a partitioned table's unique keys
 *   must hold its partition key. A record read or sent again carries the same timestamp, so it is
 *   still stored once; the same event id with another timestamp is another event.
 * - Lane items carry their event's timestamp (`event_occurred_at`) and their size in a request body
 *   (`body_bytes`, now NOT NULL: filled here for items added before the byte cap), so the claim reads
 *   one partition per event and the lane step never reads events (lanes/sql/event-partition-keys.sql).
 *   `lane_items_event_idx` becomes (event_occurred_at, event_pk): an event's items, or a day's.
 * - Existing events move with their ids. Each UTC day that has events since the day before the oldest
 *   arrival gets its partition (retention drops the expired ones on its first run); other timestamps
 *   go to the default partition, which retention empties row by row.
 * - Postgres 15 has no identity columns on partitioned tables: the id comes from a sequence of the
 *   same name (`events_id_seq`), continuing after the last id.
 */
export class PartitionedEvents1764800000800 implements MigrationInterface {
  name = 'PartitionedEvents1764800000800';

  async up(queryRunner: QueryRunner): Promise<void> {
    // Lane items name their event by its whole key. An item whose event is gone can never be sent
    // (the claim reads its event through the join), so it goes, as lane protocol v3's migration did.
    await queryRunner.query(`ALTER TABLE lane_items ADD COLUMN event_occurred_at bigint`);
    await queryRunner.query(
      `DELETE FROM lane_items li WHERE NOT EXISTS (SELECT 1 FROM events e WHERE e.id = li.event_pk)`,
    );
    await queryRunner.query(
      `UPDATE lane_items li
          SET event_occurred_at = e.occurred_at,
              body_bytes = coalesce(li.body_bytes,
                                    lane_event_body_bytes(e.data_bytes, e.data, e.event_id, e.event_name, e.event_info))
         FROM events e WHERE e.id = li.event_pk`,
    );
    await queryRunner.query(
      `ALTER TABLE lane_items ALTER COLUMN event_occurred_at SET NOT NULL, ALTER COLUMN body_bytes SET NOT NULL`,
    );
    await queryRunner.query(`DROP INDEX lane_items_event_idx`);
    await queryRunner.query(`CREATE INDEX lane_items_event_idx ON lane_items (event_occurred_at, event_pk)`);

    await renameOutOfTheWay(queryRunner, 'events', 'events_previous');
    await queryRunner.query(`CREATE SEQUENCE events_id_seq AS bigint`);
    await queryRunner.query(
      `SELECT setval('events_id_seq', greatest((SELECT last_value FROM events_previous_id_seq),
                                               (SELECT coalesce(max(id), 1) FROM events_previous)))`,
    );
    await queryRunner.query(
      `CREATE TABLE events (LIKE events_previous INCLUDING DEFAULTS INCLUDING CONSTRAINTS INCLUDING STORAGE
                                                INCLUDING COMMENTS INCLUDING STATISTICS)
       PARTITION BY RANGE (occurred_at)`,
    );
    await queryRunner.query(`ALTER TABLE events ALTER COLUMN id SET DEFAULT nextval('events_id_seq')`);
    await queryRunner.query(`ALTER SEQUENCE events_id_seq OWNED BY events.id`);
    await queryRunner.query(`CREATE TABLE events_default PARTITION OF events DEFAULT`);
    await queryRunner.query(EVENT_PARTITION_FUNCTIONS);
    await queryRunner.query(
      `SELECT event_partitions_create(day) FROM (
         SELECT DISTINCT (to_timestamp(e.occurred_at / 1000.0) AT TIME ZONE 'UTC')::date AS day
           FROM events_previous e, (SELECT (min(received_at) AT TIME ZONE 'UTC')::date - 1 AS first FROM events_previous) o
          WHERE e.occurred_at >= event_day_start_ms(o.first)
            AND e.occurred_at < event_day_start_ms((now() AT TIME ZONE 'UTC')::date)
         UNION
         SELECT (now() AT TIME ZONE 'UTC')::date + d FROM generate_series(0, $1) d
       ) days ORDER BY day`,
      [DAYS_CREATED_AHEAD],
    );
    await queryRunner.query(`INSERT INTO events SELECT * FROM events_previous`);
    // Keys and indexes after the rows: one build per partition instead of one insert per row.
    await queryRunner.query(`ALTER TABLE events ADD CONSTRAINT events_pkey PRIMARY KEY (id, occurred_at)`);
    await queryRunner.query(
      `ALTER TABLE events ADD CONSTRAINT events_account_event_uq UNIQUE (account_id, event_id, occurred_at)`,
    );
    await queryRunner.query(`CREATE INDEX events_account_occurred_idx ON events (account_id, occurred_at)`);
    await queryRunner.query(`CREATE INDEX events_received_at_idx ON events (received_at)`);
    await queryRunner.query(`DROP TABLE events_previous`);
    await queryRunner.query(laneSql('event-partition-keys.sql'));
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    // The lane functions and view as they were (lane-plans.sql's claim and waiting view, v3's step).
    await queryRunner.query(`DROP VIEW delivery_events`);
    await queryRunner.query(DELIVERY_EVENTS_VIEW);
    await queryRunner.query(laneSql('lane-plans.sql'));
    await queryRunner.query(laneSqlFunction('lane-protocol-v3.sql', 'advance_lane', 'plpgsql'));

    await renameOutOfTheWay(queryRunner, 'events', 'events_partitioned');
    await queryRunner.query(
      `CREATE TABLE events (LIKE events_partitioned INCLUDING DEFAULTS INCLUDING CONSTRAINTS INCLUDING STORAGE
                                                   INCLUDING COMMENTS INCLUDING STATISTICS)`,
    );
    await queryRunner.query(`ALTER TABLE events ALTER COLUMN id DROP DEFAULT`);
    await queryRunner.query(`ALTER TABLE events ALTER COLUMN id ADD GENERATED ALWAYS AS IDENTITY`);
    await queryRunner.query(`ALTER TABLE events ADD CONSTRAINT events_pkey PRIMARY KEY (id)`);
    await queryRunner.query(
      `ALTER TABLE events ADD CONSTRAINT events_account_event_uq UNIQUE (account_id, event_id)`,
    );
    // Events that differ only by timestamp were two events here and are one before: the first stays.
    await queryRunner.query(
      `INSERT INTO events OVERRIDING SYSTEM VALUE SELECT * FROM events_partitioned ORDER BY id
       ON CONFLICT (account_id, event_id) DO NOTHING`,
    );
    await queryRunner.query(
      `SELECT setval(pg_get_serial_sequence('events', 'id'),
                     greatest((SELECT last_value FROM events_partitioned_id_seq), (SELECT coalesce(max(id), 1) FROM events)))`,
    );
    await queryRunner.query(`CREATE INDEX events_account_occurred_idx ON events (account_id, occurred_at)`);
    await queryRunner.query(`CREATE INDEX events_received_at_idx ON events (received_at)`);
    await queryRunner.query(`DROP TABLE events_partitioned`);
    await queryRunner.query(DROP_EVENT_PARTITION_FUNCTIONS);

    await queryRunner.query(`DROP INDEX lane_items_event_idx`);
    await queryRunner.query(`CREATE INDEX lane_items_event_idx ON lane_items (event_pk)`);
    await queryRunner.query(`ALTER TABLE lane_items ALTER COLUMN body_bytes DROP NOT NULL`);
    await queryRunner.query(`ALTER TABLE lane_items DROP COLUMN event_occurred_at`);
  }
}

/**
 * Renames `table`, its indexes (with the keys they back) and its id sequence to `<to>`'s names, so the
 * new `table` can take the originals.
 */
async function renameOutOfTheWay(runner: QueryRunner, table: string, to: string): Promise<void> {
  const sequence = (await runner.query(`SELECT pg_get_serial_sequence($1, 'id') AS name`, [table])) as Array<{
    name: string | null;
  }>;
  await runner.query(`ALTER TABLE ${table} RENAME TO ${to}`);
  if (sequence[0].name) await runner.query(`ALTER SEQUENCE ${sequence[0].name} RENAME TO ${to}_id_seq`);
  const indexes = (await runner.query(
    `SELECT c.relname AS name FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid
      WHERE i.indrelid = $1::regclass`,
    [to],
  )) as Array<{ name: string }>;
  for (const { name } of indexes) {
    await runner.query(`ALTER INDEX ${name} RENAME TO ${name.replace(new RegExp(`^${table}_`), `${to}_`)}`);
  }
}
