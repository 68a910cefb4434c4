-- agent_calls.sql for DuckDB over the lake: agent interactions started in [$since, $until),
-- one row each, with the priced cost of the model calls linked to it.
WITH linked AS (
    SELECT source_db, agent_interaction_id AS id, SUM(cost_usd) AS cost_usd
    FROM cost_tracking
    WHERE agent_interaction_id IS NOT NULL
    GROUP BY source_db, agent_interaction_id
)
SELECT
    ai.agent_name,
    ai.status,
    ai.duration_ms,
    ai.input_tokens,
    ai.output_tokens,
    l.cost_usd
FROM agent_interactions ai
JOIN sessions s ON s.source_db = ai.source_db AND s.session_id = ai.session_id
LEFT JOIN linked l ON l.source_db = ai.source_db AND l.id = ai.id
WHERE ($since IS NULL OR ai.started_at >= CAST($since AS TIMESTAMPTZ))
  AND ($until IS NULL OR ai.started_at < CAST($until AS TIMESTAMPTZ))
  AND ($session_id IS NULL OR ai.session_id = $session_id)
  AND ($user_id IS NULL OR s.user_id = $user_id)
  AND ($project_id IS NULL OR s.project_id = $project_id)
  AND ($agent IS NULL OR ai.agent_name = $agent);
