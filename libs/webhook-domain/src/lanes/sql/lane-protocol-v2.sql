-- Lane protocol, version 2 (issue 16: one round trip per request). Loaded by migration
-- 1764700000000-lane-engine-v2; the rules are in ../README.md. Every function here is created with
-- CREATE OR REPLACE so the file can be re-applied; a later version goes in a new file and migration.

-- Who drives a request (deliveries.driven_by): the dispatcher process that claimed it sends it from memory, with no queue job.
-- Each dispatcher holds a session advisory lock (class 7171, its driver number) on its wake-up
-- connection for as long as it lives: a killed process loses it the moment its connection closes.
-- Recovery (a repeated job, the outbox relay) re-queues an open request only when its driver is gone
-- (or it has not moved for a minute: a request is sent within DELIVERY_TIMEOUT_MS or handed to the queue).
-- The live drivers of this database (advisory locks are per database; pg_locks shows the cluster's).
CREATE OR REPLACE FUNCTION lane_live_drivers() RETURNS SETOF integer AS $$
  SELECT l.objid::bigint::integer FROM pg_locks l
   WHERE l.locktype = 'advisory' AND l.classid = 7171 AND l.objsubid = 2 AND l.granted
     AND l.database = (SELECT oid FROM pg_database WHERE datname = current_database())
$$ LANGUAGE sql STABLE;

CREATE OR REPLACE FUNCTION lane_driver_alive(p_driver integer) RETURNS boolean AS $$
  SELECT EXISTS (SELECT 1 FROM lane_live_drivers() d WHERE d = p_driver)
$$ LANGUAGE sql STABLE;

-- An open request nobody will send unless it is queued again.
-- `p_live_drivers` is ARRAY(SELECT lane_live_drivers()), read once by the calling statement (an
-- uncorrelated subquery): reading pg_locks per candidate row would cost one lock-table copy per row.
CREATE OR REPLACE FUNCTION lane_request_orphaned(p_driven_by integer, p_updated_at timestamptz,
                                                 p_live_drivers integer[]) RETURNS boolean AS $$
  SELECT p_driven_by IS NULL OR p_updated_at < now() - interval '60 seconds'
         OR NOT (p_driven_by = ANY(p_live_drivers))
$$ LANGUAGE sql STABLE;

-- The claim functions take the claiming dispatcher's driver number (new signatures: the old ones go).
DROP FUNCTION IF EXISTS lane_record_and_claim(uuid[], text[], timestamptz[], integer[], text[], text[],
  timestamptz[], integer[], text[], integer, integer, uuid[], uuid[], integer, bigint, integer);
DROP FUNCTION IF EXISTS lane_claim(uuid[], text[], integer, bigint, integer);
DROP FUNCTION IF EXISTS advance_lanes(uuid[], text[], integer, bigint);
DROP FUNCTION IF EXISTS advance_lane(uuid, text, integer, bigint);

-- The lane step (replaces the body of RequestByteCap1764600000200's advance_lane with the same rules).
-- One change: the lane row is written only when `busy` flips. Before, every step wrote
-- `busy, updated_at` although a lane that keeps moving stays busy: one dead row version per request
-- (682,363 dead versions for 216 live rows after a 15-minute soak). Now a moving lane's row is only
-- locked (FOR UPDATE), which creates no row version.
CREATE OR REPLACE FUNCTION advance_lane(p_webhook_id uuid, p_kind text, p_batch_max_events integer,
                                        p_max_request_bytes bigint DEFAULT NULL, p_driver integer DEFAULT NULL)
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
  -- NO KEY UPDATE: serialises with other steps and with adders flipping busy, but not with the
  -- foreign-key checks of lane_items inserts (KEY SHARE): ingestion appends to a busy lane unblocked.
  PERFORM 1 FROM lanes l WHERE l.webhook_id = p_webhook_id AND l.kind = p_kind FOR NO KEY UPDATE;
  IF NOT FOUND THEN RETURN; END IF;
  SELECT w.account_id, w.status, w.deleted_at, w.max_in_flight, w.max_events_per_request
    INTO hook FROM webhooks w WHERE w.id = p_webhook_id;
  IF hook.status IS DISTINCT FROM 'ACTIVE' OR hook.deleted_at IS NOT NULL THEN
    -- Retire, delete and disable drop the items and cancel the open deliveries themselves.
    UPDATE lanes SET busy = false, updated_at = now()
     WHERE webhook_id = p_webhook_id AND kind = p_kind AND busy;
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
                   64 + sum(coalesce(
                     w.body_bytes,
                     (SELECT lane_event_body_bytes(e.data_bytes, e.data, e.event_id, e.event_name, e.event_info)
                        FROM events e WHERE e.id = w.event_pk)
                   )) OVER (ORDER BY w.id) AS body_bytes
              FROM (SELECT li.id, li.event_pk, li.body_bytes FROM lane_items li
                     WHERE li.webhook_id = p_webhook_id AND li.kind = p_kind AND li.released
                       AND (boundary IS NULL OR li.id < boundary)
                     ORDER BY li.id LIMIT per_request) w) i
     WHERE i.n = 1 OR p_max_request_bytes IS NULL OR i.body_bytes <= p_max_request_bytes;
    new_id := gen_random_uuid();
    INSERT INTO deliveries (id, webhook_id, account_id, kind, status, event_count, redelivery_of, driven_by)
    VALUES (new_id, p_webhook_id, hook.account_id, p_kind, 'PENDING', cardinality(item_ids), head_redelivery_of,
            p_driver);
    INSERT INTO delivery_events (delivery_id, position, event_pk)
    SELECT new_id, t.ordinality - 1, t.event_pk FROM unnest(event_pks) WITH ORDINALITY AS t(event_pk, ordinality);
    DELETE FROM lane_items WHERE id = ANY(item_ids);
    open_count := open_count + 1;
    delivery_id := new_id;
    event_count := cardinality(item_ids);
    RETURN NEXT;
  END LOOP;
  -- Only a flip writes the row (a lane that keeps moving stays busy).
  UPDATE lanes SET busy = (open_count > 0), updated_at = now()
   WHERE webhook_id = p_webhook_id AND kind = p_kind AND busy IS DISTINCT FROM (open_count > 0);
END
$$ LANGUAGE plpgsql;

-- Several lanes in one round trip, locked in one global order so two callers cannot deadlock.
CREATE OR REPLACE FUNCTION advance_lanes(p_webhook_ids uuid[], p_kinds text[], p_batch_max_events integer,
                                         p_max_request_bytes bigint DEFAULT NULL, p_driver integer DEFAULT NULL)
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
          FROM advance_lane(lane.webhook_id, lane.kind, p_batch_max_events, p_max_request_bytes, p_driver) a LOOP
      RETURN NEXT;
    END LOOP;
  END LOOP;
END
$$ LANGUAGE plpgsql;

-- The claim: the lanes' next requests (advance_lanes: one lock order) together with everything a
-- dispatcher needs to send them (the events, data as stored), so no second read follows the claim.
-- One row per event; the delivery columns repeat. `data` is the stored JSON text, verbatim.
CREATE OR REPLACE FUNCTION lane_claim(p_webhook_ids uuid[], p_kinds text[], p_batch_max_events integer,
                                      p_max_request_bytes bigint, p_driver integer)
RETURNS TABLE (delivery_id uuid, webhook_id uuid, kind text, account_id bigint, attempt_count integer,
               created_at timestamptz, event_count integer, event_position integer, event_id text,
               event_name text, occurred_at bigint, event_info text, data text, trace_parent text) AS $$
#variable_conflict use_column
DECLARE
  created uuid[];
BEGIN
  SELECT array_agg(a.delivery_id ORDER BY a.n) INTO created
    FROM advance_lanes(p_webhook_ids, p_kinds, p_batch_max_events, p_max_request_bytes, p_driver)
         WITH ORDINALITY AS a(webhook_id, kind, delivery_id, event_count, n);
  IF created IS NULL THEN RETURN; END IF;
  -- A new statement: it sees the rows advance_lanes just wrote.
  RETURN QUERY
    SELECT d.id, d.webhook_id, d.kind::text, d.account_id, d.attempt_count, d.created_at, d.event_count,
           de.position, e.event_id::text, e.event_name::text, e.occurred_at, e.event_info::text, e.data::text,
           e.trace_parent
      FROM unnest(created) WITH ORDINALITY AS c(id, n)
      JOIN deliveries d ON d.id = c.id
      JOIN delivery_events de ON de.delivery_id = d.id
      JOIN events e ON e.id = de.event_pk
     ORDER BY c.n, de.position;
END
$$ LANGUAGE plpgsql;

-- The outcomes of many requests (one per delivery id): the status update, the attempt row (first
-- p_keep_first and latest p_keep_latest kept), and the webhooks' failing_since flips. A delivery
-- cancelled while it was being sent stays CANCELLED.
CREATE OR REPLACE FUNCTION lane_record_outcomes(
  p_ids uuid[], p_statuses text[], p_started_at timestamptz[], p_status_codes integer[], p_errors text[],
  p_dead_reasons text[], p_next_attempt_at timestamptz[], p_durations_ms integer[], p_snippets text[],
  p_keep_first integer, p_keep_latest integer, p_succeeded_webhooks uuid[], p_failing_webhooks uuid[])
RETURNS TABLE (id uuid, status text, attempt_count integer) AS $$
  WITH input AS (
    SELECT * FROM unnest(p_ids, p_statuses, p_started_at, p_status_codes, p_errors, p_dead_reasons,
                         p_next_attempt_at, p_durations_ms, p_snippets)
      AS u(id, status, started_at, status_code, error, dead_reason, next_attempt_at, duration_ms, snippet)
  ),
  updated AS (
    UPDATE deliveries d SET
      attempt_count = d.attempt_count + 1,
      last_attempt_at = u.started_at,
      last_status_code = u.status_code,
      last_error = CASE WHEN u.status = 'SUCCEEDED' THEN NULL ELSE COALESCE(u.dead_reason, u.error) END,
      status = CASE WHEN d.status IN ('PENDING', 'RETRYING') THEN u.status ELSE d.status END,
      next_attempt_at = COALESCE(u.next_attempt_at, d.next_attempt_at),
      delivered_at = CASE WHEN u.status = 'SUCCEEDED' AND d.status IN ('PENDING', 'RETRYING') THEN now()
                          ELSE d.delivered_at END,
      updated_at = now()
    FROM input u
    WHERE d.id = u.id
    RETURNING d.id, d.status, d.attempt_count
  ),
  recorded AS (
    INSERT INTO delivery_attempts
      (delivery_id, attempt_number, started_at, duration_ms, status_code, error, response_snippet)
    SELECT u.id, up.attempt_count, u.started_at, u.duration_ms, u.status_code, u.error, u.snippet
      FROM updated up JOIN input u ON u.id = up.id
    ON CONFLICT DO NOTHING
  ),
  trimmed AS (
    DELETE FROM delivery_attempts a USING updated up
     WHERE up.attempt_count > p_keep_first + p_keep_latest AND a.delivery_id = up.id
       AND a.attempt_number > p_keep_first AND a.attempt_number <= up.attempt_count - p_keep_latest
  ),
  recovered AS (
    UPDATE webhooks SET failing_since = NULL WHERE id = ANY(p_succeeded_webhooks) AND failing_since IS NOT NULL
  ),
  failing AS (
    UPDATE webhooks SET failing_since = now() WHERE id = ANY(p_failing_webhooks) AND failing_since IS NULL
  )
  SELECT up.id, up.status::text, up.attempt_count FROM updated up
$$ LANGUAGE sql;

-- One round trip per request: record the outcomes, then claim the next requests of every lane whose
-- request is now finished (SUCCEEDED, DEAD, or cancelled meanwhile); a RETRYING request keeps its
-- lane blocked. Rows with row_kind 'outcome' answer each outcome (event columns NULL); rows with
-- row_kind 'claim' are lane_claim's. One transaction: a claim exists only if its outcome was written.
CREATE OR REPLACE FUNCTION lane_record_and_claim(
  p_ids uuid[], p_statuses text[], p_started_at timestamptz[], p_status_codes integer[], p_errors text[],
  p_dead_reasons text[], p_next_attempt_at timestamptz[], p_durations_ms integer[], p_snippets text[],
  p_keep_first integer, p_keep_latest integer, p_succeeded_webhooks uuid[], p_failing_webhooks uuid[],
  p_batch_max_events integer, p_max_request_bytes bigint, p_driver integer)
RETURNS TABLE (row_kind text, delivery_id uuid, status text, attempt_count integer, webhook_id uuid,
               kind text, account_id bigint, created_at timestamptz, event_count integer,
               event_position integer, event_id text, event_name text, occurred_at bigint,
               event_info text, data text, trace_parent text) AS $$
#variable_conflict use_column
DECLARE
  written_ids uuid[];
  written_statuses text[];
  written_counts integer[];
  lane_webhooks uuid[];
  lane_kinds text[];
BEGIN
  SELECT array_agg(r.id), array_agg(r.status), array_agg(r.attempt_count)
    INTO written_ids, written_statuses, written_counts
    FROM lane_record_outcomes(p_ids, p_statuses, p_started_at, p_status_codes, p_errors, p_dead_reasons,
                              p_next_attempt_at, p_durations_ms, p_snippets, p_keep_first, p_keep_latest,
                              p_succeeded_webhooks, p_failing_webhooks) r;
  IF written_ids IS NULL THEN RETURN; END IF;
  RETURN QUERY
    SELECT 'outcome'::text, w.id, w.status, w.attempt_count, NULL::uuid, NULL::text, NULL::bigint,
           NULL::timestamptz, NULL::integer, NULL::integer, NULL::text, NULL::text, NULL::bigint,
           NULL::text, NULL::text, NULL::text
      FROM unnest(written_ids, written_statuses, written_counts) AS w(id, status, attempt_count);
  SELECT array_agg(d.webhook_id), array_agg(d.kind::text) INTO lane_webhooks, lane_kinds
    FROM deliveries d
   WHERE d.id = ANY(written_ids) AND d.status NOT IN ('PENDING', 'RETRYING');
  IF lane_webhooks IS NULL THEN RETURN; END IF;
  RETURN QUERY
    SELECT 'claim'::text, c.delivery_id, 'PENDING'::text, c.attempt_count, c.webhook_id, c.kind,
           c.account_id, c.created_at, c.event_count, c.event_position, c.event_id, c.event_name,
           c.occurred_at, c.event_info, c.data, c.trace_parent
      FROM lane_claim(lane_webhooks, lane_kinds, p_batch_max_events, p_max_request_bytes, p_driver) c;
END
$$ LANGUAGE plpgsql;
