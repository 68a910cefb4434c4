-- unpriced_models.sql for DuckDB over the lake: the models of calls stored without a price, with
-- their calls and tokens, most calls first (joins match source_db: ids are unique per file).
SELECT
    c.model,
    COUNT(*) AS requests,
    SUM(c.input_tokens + c.output_tokens + c.cache_read_tokens + c.cache_write_tokens) AS tokens
FROM cost_tracking c
JOIN sessions s ON s.source_db = c.source_db AND s.session_id = c.session_id
LEFT JOIN agent_interactions a ON a.source_db = c.source_db AND a.id = c.agent_interaction_id
WHERE c.cost_usd IS NULL
  AND ($since IS NULL OR c.created_at >= CAST($since AS TIMESTAMPTZ))
  AND ($until IS NULL OR c.created_at < CAST($until AS TIMESTAMPTZ))
  AND ($session_id IS NULL OR c.session_id = $session_id)
  AND ($user_id IS NULL OR s.user_id = $user_id)
  AND ($project_id IS NULL OR s.project_id = $project_id)
  AND ($model IS NULL OR c.model = $model)
  AND ($agent IS NULL OR a.agent_name = $agent)
GROUP BY c.model
ORDER BY requests DESC, c.model;
