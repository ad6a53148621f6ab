import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * A byte cap per request (issue 15). The lane step used to take up to max_events_per_request of the
 * oldest items whatever their size: 1,000 events of ~1 MiB made a body past V8's string limit, so the
 * request failed before it was sent, and was retried for ever. Now the step also stops before the body
 * would pass `p_max_request_bytes` (MAX_REQUEST_BODY_BYTES); the first event always goes, and since an
 * event is at most 1 MiB at ingestion and the cap at least 2 MiB, one event always fits.
 *
 * Sizes: `lane_event_body_bytes()` is one event's share of the body: its data text (`events.data_bytes`,
 * written by ingestion with the event) plus its eventId, eventName and eventInfo measured as JSON
 * (to_json escapes as JSON.stringify does) plus keys and digits, so the estimate is the body's size,
 * give or take the digits of the numbers. Each lane item carries it (`lane_items.body_bytes`, set when
 * the item is appended), so the claim sums one column of the rows it reads anyway. Measured, claim of
 * 100 events of 1 MiB: 136 ms when the data is measured at claim time (octet_length of a toasted json
 * reads the whole value, inside the lane lock) against 11 ms with a stored size; claim of 100 events
 * of 1 KiB: joining `events` for the sizes added 1.4-2.2 ms to a 3.5-5 ms statement, summing the
 * lane_items column adds nothing measurable. Items from before this migration have NULL and are
 * measured at claim time (no table rewrite here, which would lock the tables for as long as it takes).
 *
 * advance_lane/advance_lanes get a fourth argument with a NULL default (no cap): a replica still
 * running the previous release keeps calling the three-argument form during a rolling upgrade.
 */
export class RequestByteCap1764600000200 implements MigrationInterface {
  name = 'RequestByteCap1764600000200';

  async up(queryRunner: QueryRunner): Promise<void> {
    // Nullable without a default: adding them is a catalogue change, not a rewrite of the tables.
    await queryRunner.query(`ALTER TABLE events ADD COLUMN data_bytes integer`);
    await queryRunner.query(`ALTER TABLE lane_items ADD COLUMN body_bytes integer`);
    await queryRunner.query(LANE_EVENT_BODY_BYTES);
    await queryRunner.query(`DROP FUNCTION advance_lanes(uuid[], text[], integer)`);
    await queryRunner.query(`DROP FUNCTION advance_lane(uuid, text, integer)`);
    await queryRunner.query(ADVANCE_LANE_WITH_BYTE_CAP);
    await queryRunner.query(ADVANCE_LANES_WITH_BYTE_CAP);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP FUNCTION advance_lanes(uuid[], text[], integer, bigint)`);
    await queryRunner.query(`DROP FUNCTION advance_lane(uuid, text, integer, bigint)`);
    await queryRunner.query(ADVANCE_LANE_WITHOUT_BYTE_CAP);
    await queryRunner.query(ADVANCE_LANES_WITHOUT_BYTE_CAP);
    await queryRunner.query(`DROP FUNCTION lane_event_body_bytes(integer, json, text, text, text)`);
    await queryRunner.query(`ALTER TABLE lane_items DROP COLUMN body_bytes`);
    await queryRunner.query(`ALTER TABLE events DROP COLUMN data_bytes`);
  }
}

/**
 * Bytes of `{"accountId":…,"events":[…]}` around the events (20 digits for the account id), and of one
 * event's keys, punctuation, comma and timestamp digits around its eventId, eventName, eventInfo and data
 * (see serializeEnvelope in @lms/http-delivery).
 */
const ENVELOPE_BYTES = 64;
const EVENT_FRAME_BYTES = 80;

// One definition of an event's size in a request body, for the claim and for whoever appends items
// (LaneAppendRepository). A SQL function Postgres inlines; COALESCE reads the data only when no size is stored.
const LANE_EVENT_BODY_BYTES = `
  CREATE FUNCTION lane_event_body_bytes(p_data_bytes integer, p_data json, p_event_id text,
                                        p_event_name text, p_event_info text)
  RETURNS integer AS $$
    SELECT coalesce(p_data_bytes, octet_length(p_data::text))
           + octet_length(to_json(p_event_id)::text) + octet_length(to_json(p_event_name)::text)
           + octet_length(to_json(p_event_info)::text) + ${EVENT_FRAME_BYTES}
  $$ LANGUAGE sql IMMUTABLE PARALLEL SAFE`;

// The lane step of DeliveryLanes1764500000000, with the window also cut where the body would pass the
// byte cap: a running sum over the window (already bounded by max_events_per_request and by a
// redelivery boundary), keeping the first item always.
export const ADVANCE_LANE_WITH_BYTE_CAP = `
  CREATE FUNCTION advance_lane(p_webhook_id uuid, p_kind text, p_batch_max_events integer,
                               p_max_request_bytes bigint DEFAULT NULL)
  RETURNS TABLE (delivery_id uuid, event_count integer) AS $$
  DECLARE
    hook record;
    open_count integer;
    per_request integer;
    item_ids bigint[];
    event_pks bigint[];
    head_redelivery_of uuid;
    boundary bigint;
    new_id uuid;
  BEGIN
    PERFORM 1 FROM lanes l WHERE l.webhook_id = p_webhook_id AND l.kind = p_kind FOR UPDATE;
    IF NOT FOUND THEN RETURN; END IF;
    SELECT w.account_id, w.status, w.deleted_at, w.max_in_flight, w.max_events_per_request
      INTO hook FROM webhooks w WHERE w.id = p_webhook_id;
    IF hook.status IS DISTINCT FROM 'ACTIVE' OR hook.deleted_at IS NOT NULL THEN
      -- Retire, delete and disable drop the items and cancel the open deliveries themselves.
      UPDATE lanes SET busy = false, updated_at = now() WHERE webhook_id = p_webhook_id AND kind = p_kind;
      RETURN;
    END IF;
    SELECT count(*) INTO open_count FROM deliveries d
     WHERE d.webhook_id = p_webhook_id AND d.kind = p_kind AND d.status IN ('PENDING', 'RETRYING');
    per_request := CASE WHEN p_kind = 'REALTIME' THEN hook.max_events_per_request ELSE p_batch_max_events END;
    WHILE open_count < hook.max_in_flight LOOP
      SELECT li.redelivery_of INTO head_redelivery_of FROM lane_items li
       WHERE li.webhook_id = p_webhook_id AND li.kind = p_kind AND li.released
       ORDER BY li.id LIMIT 1;
      EXIT WHEN NOT FOUND;
      -- One request repeats one delivery, or carries new events: stop at the first item of the
      -- window that belongs to something else (looked for within the window only: O(request)).
      SELECT min(w.id) INTO boundary
        FROM (SELECT li.id, li.redelivery_of FROM lane_items li
               WHERE li.webhook_id = p_webhook_id AND li.kind = p_kind AND li.released
               ORDER BY li.id LIMIT per_request) w
       WHERE w.redelivery_of IS DISTINCT FROM head_redelivery_of;
      -- The window, cut before the body would pass the byte cap; its first item always goes.
      SELECT array_agg(i.id ORDER BY i.id), array_agg(i.event_pk ORDER BY i.id)
        INTO item_ids, event_pks
        FROM (SELECT w.id, w.event_pk, row_number() OVER (ORDER BY w.id) AS n,
                     ${ENVELOPE_BYTES} + sum(coalesce(
                       w.body_bytes,
                       -- items appended before this migration: measured now
                       (SELECT lane_event_body_bytes(e.data_bytes, e.data, e.event_id, e.event_name, e.event_info)
                          FROM events e WHERE e.id = w.event_pk)
                     )) OVER (ORDER BY w.id) AS body_bytes
                FROM (SELECT li.id, li.event_pk, li.body_bytes FROM lane_items li
                       WHERE li.webhook_id = p_webhook_id AND li.kind = p_kind AND li.released
                         AND (boundary IS NULL OR li.id < boundary)
                       ORDER BY li.id LIMIT per_request) w) i
       WHERE i.n = 1 OR p_max_request_bytes IS NULL OR i.body_bytes <= p_max_request_bytes;
      new_id := gen_random_uuid();
      INSERT INTO deliveries (id, webhook_id, account_id, kind, status, event_count, redelivery_of)
      VALUES (new_id, p_webhook_id, hook.account_id, p_kind, 'PENDING', cardinality(item_ids), head_redelivery_of);
      INSERT INTO delivery_events (delivery_id, position, event_pk)
      SELECT new_id, t.ordinality - 1, t.event_pk FROM unnest(event_pks) WITH ORDINALITY AS t(event_pk, ordinality);
      DELETE FROM lane_items WHERE id = ANY(item_ids);
      open_count := open_count + 1;
      delivery_id := new_id;
      event_count := cardinality(item_ids);
      RETURN NEXT;
    END LOOP;
    UPDATE lanes SET busy = (open_count > 0), updated_at = now()
     WHERE webhook_id = p_webhook_id AND kind = p_kind;
  END
  $$ LANGUAGE plpgsql`;

// Several lanes in one round trip, locked in one global order so two callers cannot deadlock.
export const ADVANCE_LANES_WITH_BYTE_CAP = `
  CREATE FUNCTION advance_lanes(p_webhook_ids uuid[], p_kinds text[], p_batch_max_events integer,
                                p_max_request_bytes bigint DEFAULT NULL)
  RETURNS TABLE (webhook_id uuid, kind text, delivery_id uuid, event_count integer) AS $$
  DECLARE
    lane record;
  BEGIN
    FOR lane IN SELECT DISTINCT u.webhook_id, u.kind FROM unnest(p_webhook_ids, p_kinds) AS u(webhook_id, kind)
                 ORDER BY u.webhook_id, u.kind LOOP
      webhook_id := lane.webhook_id;
      kind := lane.kind;
      FOR delivery_id, event_count IN
          SELECT a.delivery_id, a.event_count
            FROM advance_lane(lane.webhook_id, lane.kind, p_batch_max_events, p_max_request_bytes) a LOOP
        RETURN NEXT;
      END LOOP;
    END LOOP;
  END
  $$ LANGUAGE plpgsql`;

// down: the functions exactly as DeliveryLanes1764500000000 created them.
const ADVANCE_LANE_WITHOUT_BYTE_CAP = `
  CREATE FUNCTION advance_lane(p_webhook_id uuid, p_kind text, p_batch_max_events integer)
  RETURNS TABLE (delivery_id uuid, event_count integer) AS $$
  DECLARE
    hook record;
    open_count integer;
    per_request integer;
    item_ids bigint[];
    event_pks bigint[];
    head_redelivery_of uuid;
    boundary bigint;
    new_id uuid;
  BEGIN
    PERFORM 1 FROM lanes l WHERE l.webhook_id = p_webhook_id AND l.kind = p_kind FOR UPDATE;
    IF NOT FOUND THEN RETURN; END IF;
    SELECT w.account_id, w.status, w.deleted_at, w.max_in_flight, w.max_events_per_request
      INTO hook FROM webhooks w WHERE w.id = p_webhook_id;
    IF hook.status IS DISTINCT FROM 'ACTIVE' OR hook.deleted_at IS NOT NULL THEN
      UPDATE lanes SET busy = false, updated_at = now() WHERE webhook_id = p_webhook_id AND kind = p_kind;
      RETURN;
    END IF;
    SELECT count(*) INTO open_count FROM deliveries d
     WHERE d.webhook_id = p_webhook_id AND d.kind = p_kind AND d.status IN ('PENDING', 'RETRYING');
    per_request := CASE WHEN p_kind = 'REALTIME' THEN hook.max_events_per_request ELSE p_batch_max_events END;
    WHILE open_count < hook.max_in_flight LOOP
      SELECT li.redelivery_of INTO head_redelivery_of FROM lane_items li
       WHERE li.webhook_id = p_webhook_id AND li.kind = p_kind AND li.released
       ORDER BY li.id LIMIT 1;
      EXIT WHEN NOT FOUND;
      SELECT min(w.id) INTO boundary
        FROM (SELECT li.id, li.redelivery_of FROM lane_items li
               WHERE li.webhook_id = p_webhook_id AND li.kind = p_kind AND li.released
               ORDER BY li.id LIMIT per_request) w
       WHERE w.redelivery_of IS DISTINCT FROM head_redelivery_of;
      SELECT array_agg(i.id ORDER BY i.id), array_agg(i.event_pk ORDER BY i.id)
        INTO item_ids, event_pks
        FROM (SELECT li.id, li.event_pk FROM lane_items li
               WHERE li.webhook_id = p_webhook_id AND li.kind = p_kind AND li.released
                 AND (boundary IS NULL OR li.id < boundary)
               ORDER BY li.id LIMIT per_request) i;
      new_id := gen_random_uuid();
      INSERT INTO deliveries (id, webhook_id, account_id, kind, status, event_count, redelivery_of)
      VALUES (new_id, p_webhook_id, hook.account_id, p_kind, 'PENDING', cardinality(item_ids), head_redelivery_of);
      INSERT INTO delivery_events (delivery_id, position, event_pk)
      SELECT new_id, t.ordinality - 1, t.event_pk FROM unnest(event_pks) WITH ORDINALITY AS t(event_pk, ordinality);
      DELETE FROM lane_items WHERE id = ANY(item_ids);
      open_count := open_count + 1;
      delivery_id := new_id;
      event_count := cardinality(item_ids);
      RETURN NEXT;
    END LOOP;
    UPDATE lanes SET busy = (open_count > 0), updated_at = now()
     WHERE webhook_id = p_webhook_id AND kind = p_kind;
  END
  $$ LANGUAGE plpgsql`;

const ADVANCE_LANES_WITHOUT_BYTE_CAP = `
  CREATE FUNCTION advance_lanes(p_webhook_ids uuid[], p_kinds text[], p_batch_max_events integer)
  RETURNS TABLE (webhook_id uuid, kind text, delivery_id uuid, event_count integer) AS $$
  DECLARE
    lane record;
  BEGIN
    FOR lane IN SELECT DISTINCT u.webhook_id, u.kind FROM unnest(p_webhook_ids, p_kinds) AS u(webhook_id, kind)
                 ORDER BY u.webhook_id, u.kind LOOP
      webhook_id := lane.webhook_id;
      kind := lane.kind;
      FOR delivery_id, event_count IN SELECT a.delivery_id, a.event_count
                                        FROM advance_lane(lane.webhook_id, lane.kind, p_batch_max_events) a LOOP
        RETURN NEXT;
      END LOOP;
    END LOOP;
  END
  $$ LANGUAGE plpgsql`;
