-- session_activity.sql for DuckDB over the lake: one row per session started in
-- [$since, $until) with its conversations, messages, model tokens, priced cost and the calls left unpriced, counted
-- per (source_db, session_id) with one pass over each table instead of a subquery per session.
WITH conversation_counts AS (
    SELECT source_db, session_id, COUNT(*) AS conversations
    FROM conversations GROUP BY source_db, session_id
), message_counts AS (
    SELECT source_db, session_id, COUNT(*) AS messages, max(created_at) AS newest
    FROM messages GROUP BY source_db, session_id
), spend AS (
    SELECT source_db, session_id,
           SUM(input_tokens + output_tokens + cache_read_tokens + cache_write_tokens) AS tokens,
           SUM(cost_usd) AS cost_usd,
           COUNT(*) FILTER (WHERE cost_usd IS NULL) AS unpriced_requests
    FROM cost_tracking GROUP BY source_db, session_id
)
SELECT
    s.session_id,
    s.user_id,
    s.project_id,
    s.status,
    strftime(s.created_at, '%Y-%m-%dT%H:%M:%S.%fZ') AS started_at,
    strftime(greatest(s.last_active_at, coalesce(m.newest, s.last_active_at)), '%Y-%m-%dT%H:%M:%S.%fZ')
        AS last_active_at,
    coalesce(c.conversations, 0) AS conversations,
    coalesce(m.messages, 0) AS messages,
    CAST(coalesce(p.tokens, 0) AS BIGINT) AS tokens,
    p.cost_usd,
    coalesce(p.unpriced_requests, 0) AS unpriced_requests
FROM sessions s
LEFT JOIN conversation_counts c ON c.source_db = s.source_db AND c.session_id = s.session_id
LEFT JOIN message_counts m ON m.source_db = s.source_db AND m.session_id = s.session_id
LEFT JOIN spend p ON p.source_db = s.source_db AND p.session_id = s.session_id
WHERE ($since IS NULL OR s.created_at >= CAST($since AS TIMESTAMPTZ))
  AND ($until IS NULL OR s.created_at < CAST($until AS TIMESTAMPTZ))
  AND ($session_id IS NULL OR s.session_id = $session_id)
  AND ($user_id IS NULL OR s.user_id = $user_id)
  AND ($project_id IS NULL OR s.project_id = $project_id)
ORDER BY CASE WHEN $by_cost THEN p.cost_usd END DESC NULLS LAST, s.created_at, s.session_id, s.source_db
LIMIT $limit;
