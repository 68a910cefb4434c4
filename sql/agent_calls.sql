-- Agent interactions started in [:since, :until), one row each, with the priced cost of the
-- model calls linked to it (cost_tracking.agent_interaction_id). memlab groups these per agent.
SELECT
    ai.agent_name,
    ai.status,
    ai.duration_ms,
    ai.input_tokens,
    ai.output_tokens,
    (SELECT SUM(ct.cost_usd) FROM cost_tracking ct WHERE ct.agent_interaction_id = ai.id) AS cost_usd
FROM agent_interactions ai
JOIN sessions s ON s.session_id = ai.session_id
WHERE ai.started_at >= coalesce(:since, '')
  AND ai.started_at < coalesce(:until, '~')
  AND (:session_id IS NULL OR ai.session_id = :session_id)
  AND (:user_id IS NULL OR s.user_id = :user_id)
  AND (:project_id IS NULL OR s.project_id = :project_id)
  AND (:agent IS NULL OR ai.agent_name = :agent);
