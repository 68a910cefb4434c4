-- The models of calls stored without a price (cost_usd IS NULL: no price source knew the model),
-- with how many calls and tokens (input + output + cache read + cache write) each has, most
-- calls first, so a cost report can say what it leaves out. Filters as in cost_by_grain.
SELECT
    c.model,
    COUNT(*) AS requests,
    SUM(c.input_tokens + c.output_tokens + c.cache_read_tokens + c.cache_write_tokens) AS tokens
FROM cost_tracking c
JOIN sessions s ON s.session_id = c.session_id
LEFT JOIN agent_interactions a ON a.id = c.agent_interaction_id
WHERE c.cost_usd IS NULL
  AND c.created_at >= coalesce(:since, '')
  AND c.created_at < coalesce(:until, '~')
  AND (:session_id IS NULL OR c.session_id = :session_id)
  AND (:user_id IS NULL OR s.user_id = :user_id)
  AND (:project_id IS NULL OR s.project_id = :project_id)
  AND (:model IS NULL OR c.model = :model)
  AND (:agent IS NULL OR a.agent_name = :agent)
GROUP BY c.model
ORDER BY requests DESC, c.model;
