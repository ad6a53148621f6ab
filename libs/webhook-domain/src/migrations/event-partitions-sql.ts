/**
 * The SQL of partitioned events (PartitionedEvents1764800000800): the maintenance functions the
 * retention scheduler calls. Kept beside the migration that installs them, as log-partitions-sql.ts is.
 *
 * Layout: `events` is range-partitioned by `occurred_at`, the event's own timestamp (Unix ms, from the
 * LMS), one partition per UTC day named `events_pYYYYMMDD`, plus `events_default` for timestamps
 * outside every day that has a partition (far in the past or future, as a producer's clock may put
 * them). The key is the event's timestamp, not its arrival, because the dedupe key of a partitioned
 * table must hold the partition key, and only a value of the record itself is the same each time the
 * record is read again: `(account_id, event_id, occurred_at)` is unique, and a re-read record lands
 * on its first copy. A lane item carries its event's timestamp (`lane_items.event_occurred_at`), so
 * the way from an item to its event reads one partition.
 */

/** The first Unix millisecond of UTC day p_day: a partition's lower bound (inclusive). */
const EVENT_DAY_START_MS = `
  CREATE OR REPLACE FUNCTION event_day_start_ms(p_day date) RETURNS bigint AS $$
    SELECT (extract(epoch FROM p_day::timestamp) * 1000)::bigint
  $$ LANGUAGE sql IMMUTABLE PARALLEL SAFE;`;

export const EVENT_PARTITION_FUNCTIONS = `
  ${EVENT_DAY_START_MS}

  -- Creates the events partition of UTC day p_day (nothing when it exists); answers whether it did.
  -- Events of that day already in the default partition (timestamps ahead of the partitions made so
  -- far) move into it: Postgres refuses a partition whose range the default partition has rows in.
  CREATE OR REPLACE FUNCTION event_partitions_create(p_day date) RETURNS boolean AS $$
  DECLARE
    lo bigint := event_day_start_ms(p_day);
    hi bigint := event_day_start_ms(p_day + 1);
    part text := 'events_p' || to_char(p_day, 'YYYYMMDD');
    strays boolean;
  BEGIN
    IF to_regclass(part) IS NOT NULL THEN RETURN false; END IF;
    SELECT EXISTS (SELECT 1 FROM events_default WHERE occurred_at >= lo AND occurred_at < hi) INTO strays;
    IF strays THEN
      CREATE TEMP TABLE event_partition_strays ON COMMIT DROP AS
        WITH moved AS (DELETE FROM events_default WHERE occurred_at >= lo AND occurred_at < hi RETURNING *)
        SELECT * FROM moved;
    END IF;
    EXECUTE format('CREATE TABLE %I PARTITION OF events FOR VALUES FROM (%s) TO (%s)', part, lo, hi);
    IF strays THEN
      INSERT INTO events SELECT * FROM event_partition_strays;
      DROP TABLE event_partition_strays;
    END IF;
    RETURN true;
  END
  $$ LANGUAGE plpgsql;

  -- Drops the events partition of UTC day p_day; answers how many of its events it kept. An event a
  -- lane item still names (a request not yet sent, or one still in the delivery log) is kept: it
  -- moves to the default partition first (the day's range is then covered by no partition), and
  -- retention deletes it there, row by row, once nothing names it. The caller locks events first
  -- (ACCESS EXCLUSIVE): nobody can append an item naming an event of the day while it is chosen.
  CREATE OR REPLACE FUNCTION event_partitions_drop(p_day date) RETURNS bigint AS $$
  DECLARE
    lo bigint := event_day_start_ms(p_day);
    hi bigint := event_day_start_ms(p_day + 1);
    part text := 'events_p' || to_char(p_day, 'YYYYMMDD');
    kept bigint;
  BEGIN
    IF to_regclass(part) IS NULL THEN RETURN 0; END IF;
    -- From the items' side: lane_items_event_idx finds the day's few remaining items by range, and
    -- each names its event by its whole key.
    EXECUTE format(
      'CREATE TEMP TABLE event_partition_kept ON COMMIT DROP AS
         WITH named AS (SELECT DISTINCT li.event_pk, li.event_occurred_at FROM lane_items li
                         WHERE li.event_occurred_at >= $1 AND li.event_occurred_at < $2),
         kept AS (DELETE FROM %I e USING named n
                   WHERE e.id = n.event_pk AND e.occurred_at = n.event_occurred_at RETURNING e.*)
         SELECT * FROM kept', part)
    USING lo, hi;
    GET DIAGNOSTICS kept = ROW_COUNT;
    EXECUTE format('ALTER TABLE events DETACH PARTITION %I', part);
    EXECUTE format('DROP TABLE %I', part);
    INSERT INTO events SELECT * FROM event_partition_kept;
    DROP TABLE event_partition_kept;
    RETURN kept;
  END
  $$ LANGUAGE plpgsql;

  -- The days events has partitions for, oldest first.
  CREATE OR REPLACE FUNCTION event_partition_days() RETURNS SETOF date AS $$
    SELECT to_date(substring(c.relname FROM '_p([0-9]{8})$'), 'YYYYMMDD')
      FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid
     WHERE i.inhparent = 'events'::regclass AND c.relname ~ '^events_p[0-9]{8}$'
     ORDER BY 1
  $$ LANGUAGE sql STABLE;
`;

export const DROP_EVENT_PARTITION_FUNCTIONS = `
  DROP FUNCTION IF EXISTS event_partition_days();
  DROP FUNCTION IF EXISTS event_partitions_drop(date);
  DROP FUNCTION IF EXISTS event_partitions_create(date);
  DROP FUNCTION IF EXISTS event_day_start_ms(date);
`;
