/**
 * The SQL of the partitioned delivery log (PartitionedDeliveryLog1764800000500): time-ordered ids and
 * the two maintenance functions the retention scheduler calls. Kept here, beside the migration that
 * installs it, so the migration and its tests read one definition.
 *
 * Layout: `deliveries` is range-partitioned by its id, which is a UUIDv7 (the first 48 bits are the
 * creation time in ms), and every table keyed by a delivery id (`delivery_attempts`, and
 * `delivery_events` while it is a table) by that id with the same bounds: one partition per UTC day,
 * named `<table>_pYYYYMMDD`, plus `<table>_default` for ids outside every day (ids made before this
 * migration, which are random v4 UUIDs). `WHERE id = $1` therefore reads one partition, and a day's
 * rows of all three tables go together.
 */

/** The tables of the family, parents before children (the order rows are inserted in). */
export const LOG_PARTITIONED_TABLES: ReadonlyArray<{ table: string; key: string }> = [
  { table: 'deliveries', key: 'id' },
  { table: 'delivery_attempts', key: 'delivery_id' },
  { table: 'delivery_events', key: 'delivery_id' },
];

export const UUIDV7_FUNCTIONS = `
  -- A UUIDv7 (RFC 9562) for the instant p_at: 48 bits of Unix ms, version 7, 74 random bits (from
  -- gen_random_uuid, whose variant bits are already RFC 4122's). PG 18 has uuidv7(); 15 does not.
  CREATE OR REPLACE FUNCTION uuidv7_at(p_at timestamptz) RETURNS uuid AS $$
    SELECT encode(set_bit(set_bit(
             overlay(uuid_send(gen_random_uuid())
                     PLACING substring(int8send(floor(extract(epoch FROM p_at) * 1000)::bigint) FROM 3)
                     FROM 1 FOR 6),
             52, 1), 53, 1), 'hex')::uuid
  $$ LANGUAGE sql VOLATILE PARALLEL SAFE;

  CREATE OR REPLACE FUNCTION uuidv7() RETURNS uuid AS $$
    SELECT uuidv7_at(clock_timestamp())
  $$ LANGUAGE sql VOLATILE PARALLEL SAFE;

  -- The smallest UUIDv7 of the instant p_at: a partition bound (lower bounds are inclusive).
  CREATE OR REPLACE FUNCTION uuidv7_floor(p_at timestamptz) RETURNS uuid AS $$
    SELECT (lpad(to_hex(floor(extract(epoch FROM p_at) * 1000)::bigint), 12, '0') || repeat('0', 20))::uuid
  $$ LANGUAGE sql IMMUTABLE PARALLEL SAFE;
`;

export const LOG_PARTITION_FUNCTIONS = `
  -- The partitioned tables of the family that exist as partitioned tables, parents first.
  CREATE OR REPLACE FUNCTION log_partitioned_tables() RETURNS TABLE (ord integer, name text, key text) AS $$
    SELECT t.ord::integer, t.name, t.key
      FROM unnest(ARRAY[${LOG_PARTITIONED_TABLES.map((t) => `'${t.table}'`).join(', ')}],
                  ARRAY[${LOG_PARTITIONED_TABLES.map((t) => `'${t.key}'`).join(', ')}])
           WITH ORDINALITY AS t(name, key, ord)
      JOIN pg_class c ON c.relname = t.name AND c.relkind = 'p'
       AND c.relnamespace = current_schema()::regnamespace
     ORDER BY t.ord
  $$ LANGUAGE sql STABLE;

  -- Moves the family's rows with keys in [p_lo, p_hi) (and, when p_only_open, only those of open
  -- deliveries) out of their tables into temporary tables log_moving_<table>, children first so no
  -- cascade fires. log_partitions_put_back re-inserts them through the parents, parents first.
  CREATE OR REPLACE FUNCTION log_partitions_take_out(p_lo uuid, p_hi uuid, p_from_suffix text, p_only_open boolean)
  RETURNS bigint AS $$
  DECLARE
    t record;
    moved bigint := 0;
    n bigint;
  BEGIN
    -- The deliveries that move (children are chosen by them).
    EXECUTE format(
      'CREATE TEMP TABLE log_moving_ids ON COMMIT DROP AS SELECT id FROM %I WHERE id >= $1 AND id < $2 %s',
      'deliveries' || p_from_suffix,
      CASE WHEN p_only_open THEN $q$AND status IN ('PENDING', 'RETRYING')$q$ ELSE '' END)
    USING p_lo, p_hi;
    FOR t IN SELECT * FROM log_partitioned_tables() ORDER BY ord DESC LOOP
      EXECUTE format(
        'CREATE TEMP TABLE %I ON COMMIT DROP AS WITH moved AS (DELETE FROM %I WHERE %I IN (SELECT id FROM log_moving_ids) RETURNING *) SELECT * FROM moved',
        'log_moving_' || t.name, t.name || p_from_suffix, t.key);
      GET DIAGNOSTICS n = ROW_COUNT;
      moved := moved + n;
    END LOOP;
    RETURN moved;
  END
  $$ LANGUAGE plpgsql;

  CREATE OR REPLACE FUNCTION log_partitions_put_back() RETURNS void AS $$
  DECLARE
    t record;
  BEGIN
    FOR t IN SELECT * FROM log_partitioned_tables() ORDER BY ord LOOP
      EXECUTE format('INSERT INTO %I SELECT * FROM %I', t.name, 'log_moving_' || t.name);
      EXECUTE format('DROP TABLE %I', 'log_moving_' || t.name);
    END LOOP;
    DROP TABLE log_moving_ids;
  END
  $$ LANGUAGE plpgsql;

  -- Creates the family's partitions of UTC day p_day (nothing when they exist); answers whether it
  -- created them. Rows the default partitions hold in that day's range (random ids from before
  -- time-ordered ids, one in a few million) move into the new partitions with them: Postgres refuses
  -- to create a partition whose range the default partition has rows in.
  CREATE OR REPLACE FUNCTION log_partitions_create(p_day date) RETURNS boolean AS $$
  DECLARE
    lo uuid := uuidv7_floor(p_day::timestamp AT TIME ZONE 'UTC');
    hi uuid := uuidv7_floor((p_day + 1)::timestamp AT TIME ZONE 'UTC');
    suffix text := '_p' || to_char(p_day, 'YYYYMMDD');
    t record;
    strays boolean;
  BEGIN
    IF to_regclass('deliveries' || suffix) IS NOT NULL THEN RETURN false; END IF;
    SELECT EXISTS (SELECT 1 FROM deliveries_default WHERE id >= lo AND id < hi) INTO strays;
    IF strays THEN PERFORM log_partitions_take_out(lo, hi, '_default', false); END IF;
    FOR t IN SELECT * FROM log_partitioned_tables() ORDER BY ord LOOP
      EXECUTE format('CREATE TABLE %I PARTITION OF %I FOR VALUES FROM (%L) TO (%L)',
                     t.name || suffix, t.name, lo, hi);
    END LOOP;
    IF strays THEN PERFORM log_partitions_put_back(); END IF;
    RETURN true;
  END
  $$ LANGUAGE plpgsql;

  -- Drops the family's partitions of UTC day p_day; answers how many open deliveries' rows it kept.
  -- Rows of deliveries still open (PENDING/RETRYING: being sent, or blocking their lane) are kept:
  -- they move to the default partitions first (the day's range is then covered by no partition), and
  -- retention removes them there, row by row, once they are closed and old.
  -- The caller takes the parents' locks first (LOCK TABLE ... ACCESS EXCLUSIVE, in family order):
  -- nobody can be writing a row that moves.
  CREATE OR REPLACE FUNCTION log_partitions_drop(p_day date) RETURNS bigint AS $$
  DECLARE
    lo uuid := uuidv7_floor(p_day::timestamp AT TIME ZONE 'UTC');
    hi uuid := uuidv7_floor((p_day + 1)::timestamp AT TIME ZONE 'UTC');
    suffix text := '_p' || to_char(p_day, 'YYYYMMDD');
    t record;
    kept bigint;
  BEGIN
    IF to_regclass('deliveries' || suffix) IS NULL THEN RETURN 0; END IF;
    kept := log_partitions_take_out(lo, hi, suffix, true);
    -- Children first. A partition referenced by a foreign key (deliveries, by delivery_attempts)
    -- must be detached before it is dropped; Postgres checks no row refers to it any more.
    FOR t IN SELECT * FROM log_partitioned_tables() ORDER BY ord DESC LOOP
      EXECUTE format('ALTER TABLE %I DETACH PARTITION %I', t.name, t.name || suffix);
      EXECUTE format('DROP TABLE %I', t.name || suffix);
    END LOOP;
    PERFORM log_partitions_put_back();
    RETURN kept;
  END
  $$ LANGUAGE plpgsql;

  -- The days the family has partitions for, oldest first.
  CREATE OR REPLACE FUNCTION log_partition_days() RETURNS SETOF date AS $$
    SELECT to_date(substring(c.relname FROM '_p([0-9]{8})$'), 'YYYYMMDD')
      FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid
     WHERE i.inhparent = 'deliveries'::regclass AND c.relname ~ '^deliveries_p[0-9]{8}$'
     ORDER BY 1
  $$ LANGUAGE sql STABLE;
`;

export const DROP_LOG_PARTITION_FUNCTIONS = `
  DROP FUNCTION IF EXISTS log_partition_days();
  DROP FUNCTION IF EXISTS log_partitions_drop(date);
  DROP FUNCTION IF EXISTS log_partitions_create(date);
  DROP FUNCTION IF EXISTS log_partitions_put_back();
  DROP FUNCTION IF EXISTS log_partitions_take_out(uuid, uuid, text, boolean);
  DROP FUNCTION IF EXISTS log_partitioned_tables();
  DROP FUNCTION IF EXISTS uuidv7_floor(timestamptz);
  DROP FUNCTION IF EXISTS uuidv7();
  DROP FUNCTION IF EXISTS uuidv7_at(timestamptz);
`;
