-- Messages per time grain (see cost_by_grain.sql for :grain) and session, with the session's
-- user, for messages created in [:since, :until). memlab counts distinct sessions and users
-- per bucket from these rows.
SELECT
    substr(m.created_at, 1, :grain) AS grain,
    s.session_id,
    s.user_id,
    COUNT(*) AS messages
FROM messages m
JOIN conversations c ON c.conversation_id = m.conversation_id
JOIN sessions s ON s.session_id = c.session_id
WHERE m.created_at >= coalesce(:since, '')
  AND m.created_at < coalesce(:until, '~')
  AND (:session_id IS NULL OR s.session_id = :session_id)
  AND (:user_id IS NULL OR s.user_id = :user_id)
  AND (:project_id IS NULL OR s.project_id = :project_id)
GROUP BY grain, s.session_id;
