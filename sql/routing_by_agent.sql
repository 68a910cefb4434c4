-- Routing decisions made in [:since, :until) per selected agent: how many, mean confidence,
-- how many have an outcome and how many of those succeeded, and how often a candidate scored
-- strictly higher than the agent that was chosen (rate over decisions that list candidates).
WITH decided AS (
    SELECT
        r.selected_agent,
        r.confidence,
        r.outcome,
        json_array_length(r.candidates) > 0 AS has_candidates,
        (SELECT coalesce(
                    max(json_extract(c.value, '$.score'))
                    > coalesce(max(CASE WHEN json_extract(c.value, '$.agent') = r.selected_agent
                                        THEN json_extract(c.value, '$.score') END), -1e308),
                    0)
           FROM json_each(r.candidates) c) AS top_not_chosen
    FROM routing_decisions r
    JOIN sessions s ON s.session_id = r.session_id
    WHERE r.created_at >= coalesce(:since, '')
      AND r.created_at < coalesce(:until, '~')
      AND (:session_id IS NULL OR r.session_id = :session_id)
      AND (:user_id IS NULL OR s.user_id = :user_id)
      AND (:project_id IS NULL OR s.project_id = :project_id)
      AND (:agent IS NULL OR r.selected_agent = :agent)
)
SELECT
    selected_agent,
    COUNT(*) AS decisions,
    AVG(confidence) AS mean_confidence,
    COUNT(outcome) AS with_outcome,
    CAST(SUM(outcome = 'success') AS REAL) / NULLIF(COUNT(outcome), 0) AS success_rate,
    SUM(top_not_chosen) AS top_not_chosen,
    CAST(SUM(top_not_chosen) AS REAL) / NULLIF(SUM(has_candidates), 0) AS top_not_chosen_rate
FROM decided
GROUP BY selected_agent
ORDER BY selected_agent;
