-- activity_by_grain.sql for DuckDB over the lake: messages per time grain and session, with
-- the session's user, for messages created in [$since, $until). The lake's messages carry
-- their session, user and project, so no join is needed.
WITH per_session AS (
    SELECT memlab_trunc(created_at, $grain) AS t, source_db, session_id, user_id, COUNT(*) AS messages
    FROM messages
    WHERE ($since IS NULL OR created_at >= CAST($since AS TIMESTAMPTZ))
      AND ($until IS NULL OR created_at < CAST($until AS TIMESTAMPTZ))
      AND ($session_id IS NULL OR session_id = $session_id)
      AND ($user_id IS NULL OR user_id = $user_id)
      AND ($project_id IS NULL OR project_id = $project_id)
    GROUP BY t, source_db, session_id, user_id
)
SELECT memlab_grain(t, $grain) AS grain, session_id, user_id, CAST(SUM(messages) AS BIGINT) AS messages
FROM per_session
GROUP BY grain, source_db, session_id, user_id;
