-- One row per session started in [:since, :until): its conversations, messages, model tokens
-- (input + output + cache read + cache write), priced cost and the calls left unpriced. last_active_at is the later of
-- the session's own last_active_at and its newest message. :by_cost = 1 orders by cost
-- (costliest first) for "top sessions"; :limit NULL means all.
SELECT
    s.session_id,
    s.user_id,
    s.project_id,
    s.status,
    s.created_at AS started_at,
    max(s.last_active_at, coalesce(
        (SELECT max(m.created_at)
           FROM conversations c JOIN messages m ON m.conversation_id = c.conversation_id
          WHERE c.session_id = s.session_id), '')) AS last_active_at,
    (SELECT COUNT(*) FROM conversations c WHERE c.session_id = s.session_id) AS conversations,
    (SELECT COUNT(*)
       FROM conversations c JOIN messages m ON m.conversation_id = c.conversation_id
      WHERE c.session_id = s.session_id) AS messages,
    (SELECT total(ct.input_tokens + ct.output_tokens + ct.cache_read_tokens + ct.cache_write_tokens)
       FROM cost_tracking ct WHERE ct.session_id = s.session_id) AS tokens,
    (SELECT SUM(ct.cost_usd) FROM cost_tracking ct WHERE ct.session_id = s.session_id) AS cost_usd,
    (SELECT COUNT(*) FROM cost_tracking ct WHERE ct.session_id = s.session_id AND ct.cost_usd IS NULL)
        AS unpriced_requests
FROM sessions s
WHERE s.created_at >= coalesce(:since, '')
  AND s.created_at < coalesce(:until, '~')
  AND (:session_id IS NULL OR s.session_id = :session_id)
  AND (:user_id IS NULL OR s.user_id = :user_id)
  AND (:project_id IS NULL OR s.project_id = :project_id)
ORDER BY CASE WHEN :by_cost THEN cost_usd END DESC, started_at, s.session_id
LIMIT coalesce(:limit, -1);
