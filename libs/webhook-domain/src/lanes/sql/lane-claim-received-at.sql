-- The claim answers when each event was stored (events.received_at: its ingestion's transaction
-- time), so a dispatcher that traces can show how long the event waited in its lane (the "lane wait"
-- span, issue 17). Loaded by migration 1764800000400-claim-received-at. The two functions change
-- their result rows (one more column), which CREATE OR REPLACE cannot do: they are dropped first.
DROP FUNCTION lane_record_and_claim(uuid[], text[], timestamptz[], integer[], text[], text[], timestamptz[],
  integer[], text[], integer, integer, uuid[], uuid[], text[], integer, bigint, integer);
DROP FUNCTION lane_claim(uuid[], text[], integer, bigint, integer);

-- As lane-protocol-v3.sql, plus received_at.
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
      JOIN deliveries d ON d.id = c.id
      JOIN lane_items li ON li.webhook_id = d.webhook_id AND li.kind = d.kind
                        AND li.id BETWEEN d.first_item_id AND d.last_item_id
      JOIN events e ON e.id = li.event_pk
     ORDER BY c.n, li.id;
END
$$ LANGUAGE plpgsql;

-- As attempt-trace-ids.sql, plus received_at (NULL on outcome rows).
CREATE OR REPLACE FUNCTION lane_record_and_claim(
  p_ids uuid[], p_statuses text[], p_started_at timestamptz[], p_status_codes integer[], p_errors text[],
  p_dead_reasons text[], p_next_attempt_at timestamptz[], p_durations_ms integer[], p_snippets text[],
  p_keep_first integer, p_keep_latest integer, p_succeeded_webhooks uuid[], p_failing_webhooks uuid[],
  p_trace_ids text[], p_batch_max_events integer, p_max_request_bytes bigint, p_driver integer)
RETURNS TABLE (row_kind text, delivery_id uuid, status text, attempt_count integer, webhook_id uuid,
               kind text, account_id bigint, created_at timestamptz, event_count integer,
               event_position integer, event_id text, event_name text, occurred_at bigint,
               event_info text, data text, trace_parent text, received_at timestamptz) AS $$
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
                              p_succeeded_webhooks, p_failing_webhooks, p_trace_ids) r;
  IF written_ids IS NULL THEN RETURN; END IF;
  RETURN QUERY
    SELECT 'outcome'::text, w.id, w.status, w.attempt_count, NULL::uuid, NULL::text, NULL::bigint,
           NULL::timestamptz, NULL::integer, NULL::integer, NULL::text, NULL::text, NULL::bigint,
           NULL::text, NULL::text, NULL::text, NULL::timestamptz
      FROM unnest(written_ids, written_statuses, written_counts) AS w(id, status, attempt_count);
  SELECT array_agg(d.webhook_id), array_agg(d.kind::text) INTO lane_webhooks, lane_kinds
    FROM deliveries d
   WHERE d.id = ANY(written_ids) AND d.status NOT IN ('PENDING', 'RETRYING');
  IF lane_webhooks IS NULL THEN RETURN; END IF;
  RETURN QUERY
    SELECT 'claim'::text, c.delivery_id, 'PENDING'::text, c.attempt_count, c.webhook_id, c.kind,
           c.account_id, c.created_at, c.event_count, c.event_position, c.event_id, c.event_name,
           c.occurred_at, c.event_info, c.data, c.trace_parent, c.received_at
      FROM lane_claim(lane_webhooks, lane_kinds, p_batch_max_events, p_max_request_bytes, p_driver) c;
END
$$ LANGUAGE plpgsql;
