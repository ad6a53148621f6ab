-- Lane protocol, version 3 (issue 16 item 4: no per-event churn). Loaded by migration
-- 1764800000000-lane-protocol-v3, after lane-protocol-v2.sql (whose driver, outcome and record-and-claim
-- functions stay as they are); the rules are in ../README.md. CREATE OR REPLACE throughout: re-appliable.
--
-- What changes: a lane is an append-only log (`lane_items`) read through a cursor
-- (`lanes.claimed_upto`, the last item taken into a request or dropped), and a request names its events
-- as a range of its lane's items (`deliveries.first_item_id`..`last_item_id`). Before, each (event,
-- webhook) cost a lane_items insert, its delete when a request took it and a delivery_events insert
-- (with two foreign-key checks): three row writes and a dead row. Now it costs the insert; a request
-- costs its deliveries row and a write of the lane row's cursor (a HOT update: no index covers it).
-- `delivery_events` is a view over the ranges, so every reader keeps its query.
--
-- Why a cursor is safe: items get their ids from the identity sequence (not cached: one number at a
-- time, in the order they are asked for) only after their adder has locked the lane row, and the step
-- holds the same lock while it reads the items and moves the cursor. So an item the step cannot see
-- yet (its adder has not committed) belongs to an adder that holds the lock the step is waiting for,
-- or it will get a number above the cursor: nothing is ever left behind the cursor.

-- A new request's id (the one place they are made; a later version may make them time-ordered).
CREATE OR REPLACE FUNCTION lane_new_delivery_id() RETURNS uuid AS $$
  SELECT gen_random_uuid()
$$ LANGUAGE sql VOLATILE;

-- The lane step: the rules of v2 (see lane-protocol-v2.sql) over the cursor. A BATCH lane's items are
-- released up to `released_upto` (BATCH_CRON, or a redelivery that goes at once): a lane goes out in
-- order, so releasing an item releases the items before it.
CREATE OR REPLACE FUNCTION advance_lane(p_webhook_id uuid, p_kind text, p_batch_max_events integer,
                                        p_max_request_bytes bigint DEFAULT NULL, p_driver integer DEFAULT NULL)
RETURNS TABLE (delivery_id uuid, event_count integer) AS $$
DECLARE
  lane record;
  hook record;
  open_count integer;
  per_request integer;
  cursor_at bigint;
  release_limit bigint;
  item_ids bigint[];
  head_redelivery_of uuid;
  boundary bigint;
  new_id uuid;
BEGIN
  -- NO KEY UPDATE: serialises with other steps and with adders (who lock the lane row before their
  -- items get ids: see the header).
  SELECT l.busy, l.claimed_upto, l.released_upto INTO lane
    FROM lanes l WHERE l.webhook_id = p_webhook_id AND l.kind = p_kind FOR NO KEY UPDATE;
  IF NOT FOUND THEN RETURN; END IF;
  SELECT w.account_id, w.status, w.deleted_at, w.max_in_flight, w.max_events_per_request
    INTO hook FROM webhooks w WHERE w.id = p_webhook_id;
  IF hook.status IS DISTINCT FROM 'ACTIVE' OR hook.deleted_at IS NOT NULL THEN
    -- Retire, delete and disable move the cursor past the items and cancel the open deliveries themselves.
    UPDATE lanes SET busy = false, updated_at = now()
     WHERE webhook_id = p_webhook_id AND kind = p_kind AND busy;
    RETURN;
  END IF;
  cursor_at := lane.claimed_upto;
  release_limit := CASE WHEN p_kind = 'BATCH' THEN lane.released_upto END;
  SELECT count(*) INTO open_count FROM deliveries d
   WHERE d.webhook_id = p_webhook_id AND d.kind = p_kind AND d.status IN ('PENDING', 'RETRYING');
  per_request := CASE WHEN p_kind = 'REALTIME' THEN hook.max_events_per_request ELSE p_batch_max_events END;
  WHILE open_count < hook.max_in_flight LOOP
    SELECT li.redelivery_of INTO head_redelivery_of FROM lane_items li
     WHERE li.webhook_id = p_webhook_id AND li.kind = p_kind AND li.id > cursor_at
       AND (release_limit IS NULL OR li.id <= release_limit)
     ORDER BY li.id LIMIT 1;
    EXIT WHEN NOT FOUND;
    -- One request repeats one delivery, or carries new events: stop at the first item of the
    -- window that belongs to something else (looked for within the window only: O(request)).
    SELECT min(w.id) INTO boundary
      FROM (SELECT li.id, li.redelivery_of FROM lane_items li
             WHERE li.webhook_id = p_webhook_id AND li.kind = p_kind AND li.id > cursor_at
               AND (release_limit IS NULL OR li.id <= release_limit)
             ORDER BY li.id LIMIT per_request) w
     WHERE w.redelivery_of IS DISTINCT FROM head_redelivery_of;
    -- The window, cut before the body would pass the byte cap; its first item always goes. It is a
    -- prefix of the lane after the cursor, so its first and last ids name it exactly.
    SELECT array_agg(i.id ORDER BY i.id) INTO item_ids
      FROM (SELECT w.id, row_number() OVER (ORDER BY w.id) AS n,
                   64 + sum(coalesce(
                     w.body_bytes,
                     (SELECT lane_event_body_bytes(e.data_bytes, e.data, e.event_id, e.event_name, e.event_info)
                        FROM events e WHERE e.id = w.event_pk)
                   )) OVER (ORDER BY w.id) AS body_bytes
              FROM (SELECT li.id, li.event_pk, li.body_bytes FROM lane_items li
                     WHERE li.webhook_id = p_webhook_id AND li.kind = p_kind AND li.id > cursor_at
                       AND (release_limit IS NULL OR li.id <= release_limit)
                       AND (boundary IS NULL OR li.id < boundary)
                     ORDER BY li.id LIMIT per_request) w) i
     WHERE i.n = 1 OR p_max_request_bytes IS NULL OR i.body_bytes <= p_max_request_bytes;
    new_id := lane_new_delivery_id();
    INSERT INTO deliveries (id, webhook_id, account_id, kind, status, event_count, redelivery_of, driven_by,
                            first_item_id, last_item_id)
    VALUES (new_id, p_webhook_id, hook.account_id, p_kind, 'PENDING', cardinality(item_ids), head_redelivery_of,
            p_driver, item_ids[1], item_ids[cardinality(item_ids)]);
    cursor_at := item_ids[cardinality(item_ids)];
    open_count := open_count + 1;
    delivery_id := new_id;
    event_count := cardinality(item_ids);
    RETURN NEXT;
  END LOOP;
  -- The row is written when the cursor moves or `busy` flips (a HOT update either way).
  UPDATE lanes SET busy = (open_count > 0), claimed_upto = cursor_at, updated_at = now()
   WHERE webhook_id = p_webhook_id AND kind = p_kind
     AND (busy IS DISTINCT FROM (open_count > 0) OR claimed_upto <> cursor_at);
END
$$ LANGUAGE plpgsql;

-- The claim (as v2): the lanes' next requests with their events, read through the requests' ranges.
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
           (row_number() OVER (PARTITION BY c.n ORDER BY li.id) - 1)::integer,
           e.event_id::text, e.event_name::text, e.occurred_at, e.event_info::text, e.data::text, e.trace_parent
      FROM unnest(created) WITH ORDINALITY AS c(id, n)
      JOIN deliveries d ON d.id = c.id
      JOIN lane_items li ON li.webhook_id = d.webhook_id AND li.kind = d.kind
                        AND li.id BETWEEN d.first_item_id AND d.last_item_id
      JOIN events e ON e.id = li.event_pk
     ORDER BY c.n, li.id;
END
$$ LANGUAGE plpgsql;
