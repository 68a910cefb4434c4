-- routing_by_agent.sql for DuckDB over the lake: per selected agent, decisions, mean
-- confidence, outcomes and how often a candidate scored strictly higher than the chosen agent.
WITH decided AS (
    SELECT
        r.selected_agent,
        r.confidence,
        r.outcome,
        from_json(r.candidates, '[{"agent": "VARCHAR", "score": "DOUBLE"}]') AS candidates
    FROM routing_decisions r
    JOIN sessions s ON s.source_db = r.source_db AND s.session_id = r.session_id
    WHERE ($since IS NULL OR r.created_at >= CAST($since AS TIMESTAMPTZ))
      AND ($until IS NULL OR r.created_at < CAST($until AS TIMESTAMPTZ))
      AND ($session_id IS NULL OR r.session_id = $session_id)
      AND ($user_id IS NULL OR s.user_id = $user_id)
      AND ($project_id IS NULL OR s.project_id = $project_id)
      AND ($agent IS NULL OR r.selected_agent = $agent)
), scored AS (
    SELECT
        *,
        coalesce(len(candidates) > 0, false) AS has_candidates,
        coalesce(list_max(list_transform(candidates, c -> c.score))
                 > coalesce(list_max(list_transform(list_filter(candidates, c -> c.agent = selected_agent),
                                                    c -> c.score)), -1e308), false) AS top_not_chosen
    FROM decided
)
SELECT
    selected_agent,
    COUNT(*) AS decisions,
    AVG(confidence) AS mean_confidence,
    COUNT(outcome) AS with_outcome,
    CAST(COUNT(*) FILTER (WHERE outcome = 'success') AS DOUBLE) / NULLIF(COUNT(outcome), 0) AS success_rate,
    COUNT(*) FILTER (WHERE top_not_chosen) AS top_not_chosen,
    CAST(COUNT(*) FILTER (WHERE top_not_chosen) AS DOUBLE)
        / NULLIF(COUNT(*) FILTER (WHERE has_candidates), 0) AS top_not_chosen_rate
FROM scored
GROUP BY selected_agent
ORDER BY selected_agent;
