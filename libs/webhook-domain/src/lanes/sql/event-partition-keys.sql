-- The lane protocol over partitioned events (issue 17 item 4; loaded by migration
-- 1764800000800-partitioned-events). `events` is range-partitioned by the event's own timestamp
-- (`occurred_at`, one partition per UTC day), so a lookup by id alone would probe every day's
-- partition. A lane item therefore carries its event's key, (`event_pk`, `event_occurred_at`), and
-- every read from an item to its event names both: the claim's payload reads one partition per event.
-- Changes against lane-protocol-v3.sql's advance_lane and lane-plans.sql's lane_claim:
-- - advance_lane no longer reads events at all: every item carries its size in a request body
--   (`body_bytes`, NOT NULL since this migration filled the few items added before the byte cap), so
--   the fallback that measured a stored event was dropped. A subquery on a partitioned table in the
--   step's plan would open every partition on each call, whether or not it ran.
-- - lane_claim joins an item to its event on both columns (run-time pruning: one partition per probe).
-- - delivery_events gains the event's timestamp, so its readers can do the same.

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
                   64 + sum(w.body_bytes) OVER (ORDER BY w.id) AS body_bytes
              FROM (SELECT li.id, li.body_bytes FROM lane_items li
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

CREATE OR REPLACE FUNCTION lane_claim(p_webhook_ids uuid[], p_kinds text[], p_batch_max_events integer,
                                      p_max_request_bytes bigint, p_driver integer)
RETURNS TABLE (delivery_id uuid, webhook_id uuid, kind text, account_id bigint, attempt_count integer,
               created_at timestamptz, event_count integer, event_position integer, event_id text,
               event_name text, occurred_at bigint, event_info text, data text, trace_parent text,
               received_at timestamptz) AS $$
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
           e.event_id::text, e.event_name::text, e.occurred_at, e.event_info::text, e.data::text, e.trace_parent,
           e.received_at
      FROM unnest(created) WITH ORDINALITY AS c(id, n)
      CROSS JOIN LATERAL (SELECT x.id, x.webhook_id, x.kind, x.account_id, x.attempt_count, x.created_at,
                                 x.event_count, x.first_item_id, x.last_item_id
                            FROM deliveries x WHERE x.id = c.id OFFSET 0) d
      CROSS JOIN LATERAL (SELECT i.id, i.event_pk, i.event_occurred_at FROM lane_items i
                           WHERE i.webhook_id = d.webhook_id AND i.kind = d.kind
                             AND i.id BETWEEN d.first_item_id AND d.last_item_id
                          OFFSET 0) li
      CROSS JOIN LATERAL (SELECT y.event_id, y.event_name, y.occurred_at, y.event_info, y.data, y.trace_parent,
                                 y.received_at
                            FROM events y WHERE y.id = li.event_pk AND y.occurred_at = li.event_occurred_at
                          OFFSET 0) e
     ORDER BY c.n, li.id;
END
$$ LANGUAGE plpgsql;

-- As v3's view, plus the event's timestamp (its partition key), last: CREATE OR REPLACE keeps columns.
CREATE OR REPLACE VIEW delivery_events AS
SELECT d.id AS delivery_id, li.id AS position, li.event_pk, li.event_occurred_at
  FROM deliveries d
  JOIN lane_items li ON li.webhook_id = d.webhook_id AND li.kind = d.kind
                    AND li.id BETWEEN d.first_item_id AND d.last_item_id;
