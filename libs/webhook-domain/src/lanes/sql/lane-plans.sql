-- Plans that stay right as the lane log grows (issue 16; loaded by migration 1764800000600-lane-plans).
-- A 30-minute soak found two plans going wrong once lane_items held millions of rows:
-- 1. The lane step's "next item of this lane after the cursor, in id order" was served by the primary
--    key on `id` alone (the planner takes the id order plus a filter for the lane as cheap under
--    LIMIT 1): for a lane whose next item is far away, or a BATCH lane with nothing released, that scan
--    walks every later item of every lane (260 ms for an empty lane in 2,000,000 items). The key of
--    a lane item is now (webhook_id, kind, id), its lane and place: every lane read is a range of that
--    one index, and there is no index on id alone to be tempted by (one index fewer on ingestion's
--    hottest insert, too). Retention walks it lane by lane.
-- 2. The claim's payload (requests -> their items -> events), planned once for a plpgsql function,
--    became hash joins over whole tables, spilling to disk, sometimes in parallel (300-900 ms) while
--    the claim held its lanes' locks, so ingestion queued behind it. Each step is now a LATERAL
--    subquery with OFFSET 0 (which the planner may not flatten): one index probe per request, per
--    item and per event, whatever the tables' sizes. The waiting-items view is written the same way.

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
      CROSS JOIN LATERAL (SELECT i.id, i.event_pk FROM lane_items i
                           WHERE i.webhook_id = d.webhook_id AND i.kind = d.kind
                             AND i.id BETWEEN d.first_item_id AND d.last_item_id
                          OFFSET 0) li
      CROSS JOIN LATERAL (SELECT y.event_id, y.event_name, y.occurred_at, y.event_info, y.data, y.trace_parent,
                                 y.received_at
                            FROM events y WHERE y.id = li.event_pk OFFSET 0) e
     ORDER BY c.n, li.id;
END
$$ LANGUAGE plpgsql;

-- As v3's, read lane by lane (the lane's columns are the lanes row's, so a filter on them picks lanes first).
CREATE OR REPLACE VIEW lane_waiting_items AS
SELECT li.id, l.webhook_id, l.kind, li.event_pk, li.account_id, li.redelivery_of, li.body_bytes, li.created_at,
       (l.kind = 'REALTIME' OR li.id <= l.released_upto) AS released
  FROM lanes l
  CROSS JOIN LATERAL (SELECT i.id, i.event_pk, i.account_id, i.redelivery_of, i.body_bytes, i.created_at
                        FROM lane_items i
                       WHERE i.webhook_id = l.webhook_id AND i.kind = l.kind AND i.id > l.claimed_upto
                      OFFSET 0) li;
