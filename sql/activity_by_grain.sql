-- Messages per time grain (see cost_by_grain.sql for :grain) and session, with the session's
-- user, for messages created in [:since, :until). memlab counts distinct sessions and users
-- per bucket from these rows. Messages are counted per conversation first (one pass over
-- idx_messages_conversation), so sessions are looked up once per conversation and grain.
WITH per_conversation AS (
    SELECT conversation_id, substr(created_at, 1, :grain) AS grain, COUNT(*) AS messages
    FROM messages
    WHERE created_at >= coalesce(:since, '')
      AND created_at < coalesce(:until, '~')
    GROUP BY conversation_id, grain
)
SELECT
    p.grain,
    s.session_id,
    s.user_id,
    SUM(p.messages) AS messages
FROM per_conversation p
JOIN conversations c ON c.conversation_id = p.conversation_id
JOIN sessions s ON s.session_id = c.session_id
WHERE (:session_id IS NULL OR s.session_id = :session_id)
  AND (:user_id IS NULL OR s.user_id = :user_id)
  AND (:project_id IS NULL OR s.project_id = :project_id)
GROUP BY p.grain, s.session_id;
