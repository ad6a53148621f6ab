-- Tracing (issue 17): each attempt row keeps the trace id of its attempt span (`p_trace_ids`, one per
-- outcome, NULL when the dispatcher does not trace). These replace lane-protocol-v2.sql's definitions of
-- the two functions (same bodies otherwise); the migration that loads this file drops the old
-- signatures first, so exactly one of each exists.

-- The outcomes of many requests (one per delivery id): the status update, the attempt row (first
-- p_keep_first and latest p_keep_latest kept), and the webhooks' failing_since flips. A delivery
-- cancelled while it was being sent stays CANCELLED.
CREATE OR REPLACE FUNCTION lane_record_outcomes(
  p_ids uuid[], p_statuses text[], p_started_at timestamptz[], p_status_codes integer[], p_errors text[],
  p_dead_reasons text[], p_next_attempt_at timestamptz[], p_durations_ms integer[], p_snippets text[],
  p_keep_first integer, p_keep_latest integer, p_succeeded_webhooks uuid[], p_failing_webhooks uuid[],
  p_trace_ids text[])
RETURNS TABLE (id uuid, status text, attempt_count integer) AS $$
  WITH input AS (
    SELECT * FROM unnest(p_ids, p_statuses, p_started_at, p_status_codes, p_errors, p_dead_reasons,
                         p_next_attempt_at, p_durations_ms, p_snippets, p_trace_ids)
      AS u(id, status, started_at, status_code, error, dead_reason, next_attempt_at, duration_ms, snippet,
           trace_id)
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
      (delivery_id, attempt_number, started_at, duration_ms, status_code, error, response_snippet, trace_id)
    SELECT u.id, up.attempt_count, u.started_at, u.duration_ms, u.status_code, u.error, u.snippet, u.trace_id
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
  p_trace_ids text[], p_batch_max_events integer, p_max_request_bytes bigint, p_driver integer)
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
                              p_succeeded_webhooks, p_failing_webhooks, p_trace_ids) r;
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
