-- Model calls summed per time grain and group, from cost_tracking.
-- :grain is how many leading characters of the UTC timestamp make a grain (0 = all time,
-- 7 = month, 10 = day, 13 = hour, 16 = minute); memlab maps grains to buckets in a time zone.
-- :by is model, agent, user, project or session. Unpriced calls (cost_usd IS NULL) are counted apart,
-- never summed as zero. Filters are NULL to mean "any"; the window is [:since, :until).
SELECT
    substr(c.created_at, 1, :grain) AS grain,
    CASE :by
        WHEN 'model' THEN c.model
        WHEN 'agent' THEN a.agent_name
        WHEN 'user' THEN s.user_id
        WHEN 'project' THEN s.project_id
        WHEN 'session' THEN c.session_id
    END AS key,
    COUNT(*) AS requests,
    SUM(c.input_tokens) AS input_tokens,
    SUM(c.output_tokens) AS output_tokens,
    SUM(c.cache_read_tokens) AS cache_read_tokens,
    SUM(c.cache_write_tokens) AS cache_write_tokens,
    SUM(c.cost_usd) AS cost_usd,
    SUM(c.cost_usd IS NULL) AS unpriced_requests
FROM cost_tracking c
JOIN sessions s ON s.session_id = c.session_id
LEFT JOIN agent_interactions a ON a.id = c.agent_interaction_id
WHERE c.created_at >= coalesce(:since, '')
  AND c.created_at < coalesce(:until, '~')
  AND (:session_id IS NULL OR c.session_id = :session_id)
  AND (:user_id IS NULL OR s.user_id = :user_id)
  AND (:project_id IS NULL OR s.project_id = :project_id)
  AND (:model IS NULL OR c.model = :model)
  AND (:agent IS NULL OR a.agent_name = :agent)
GROUP BY grain, key;
