-- The outcome statement on partitioned deliveries and attempts (issue 17; loaded by migration
-- 1764800000700-outcome-pruning). As attempt-trace-ids.sql's lane_record_outcomes, with two changes that
-- let Postgres read only the partitions the request ids fall in (UUIDv7 ids: usually today's) instead of
-- planning and opening every day's partition on each call:
-- - plpgsql instead of SQL, planned for each call with its arguments' values (plan_cache_mode =
--   force_custom_plan: a SQL function's statement is planned on every call without them, and a plan
--   kept for any values must hold every partition), so
-- - `id = ANY(p_ids)` beside the join on the unnested ids prunes partitions when the plan is made.
CREATE OR REPLACE FUNCTION lane_record_outcomes(
  p_ids uuid[], p_statuses text[], p_started_at timestamptz[], p_status_codes integer[], p_errors text[],
  p_dead_reasons text[], p_next_attempt_at timestamptz[], p_durations_ms integer[], p_snippets text[],
  p_keep_first integer, p_keep_latest integer, p_succeeded_webhooks uuid[], p_failing_webhooks uuid[],
  p_trace_ids text[])
RETURNS TABLE (id uuid, status text, attempt_count integer) AS $$
#variable_conflict use_column
BEGIN
  RETURN QUERY
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
    WHERE d.id = u.id AND d.id = ANY(p_ids)
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
     WHERE up.attempt_count > p_keep_first + p_keep_latest AND a.delivery_id = up.id AND a.delivery_id = ANY(p_ids)
       AND a.attempt_number > p_keep_first AND a.attempt_number <= up.attempt_count - p_keep_latest
  ),
  recovered AS (
    UPDATE webhooks SET failing_since = NULL WHERE id = ANY(p_succeeded_webhooks) AND failing_since IS NOT NULL
  ),
  failing AS (
    UPDATE webhooks SET failing_since = now() WHERE id = ANY(p_failing_webhooks) AND failing_since IS NULL
  )
  SELECT up.id, up.status::text, up.attempt_count FROM updated up;
END
$$ LANGUAGE plpgsql SET plan_cache_mode = force_custom_plan;
