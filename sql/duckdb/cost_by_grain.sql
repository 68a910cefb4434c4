-- cost_by_grain.sql for DuckDB over the lake (many memlab files or their Parquet export): the
-- same columns and meaning. Calls are summed per UTC time cut to the grain first, then per
-- grain text (memlab_trunc/memlab_grain: see memlab/lake/duck.py); joins match source_db too,
-- since ids are unique only within one memlab file.
WITH calls AS (
    SELECT
        memlab_trunc(c.created_at, $grain) AS t,
        CASE $by
            WHEN 'model' THEN c.model
            WHEN 'agent' THEN a.agent_name
            WHEN 'user' THEN s.user_id
            WHEN 'project' THEN s.project_id
            WHEN 'session' THEN c.session_id
        END AS key,
        c.input_tokens, c.output_tokens, c.cache_read_tokens, c.cache_write_tokens, c.cost_usd
    FROM cost_tracking c
    JOIN sessions s ON s.source_db = c.source_db AND s.session_id = c.session_id
    LEFT JOIN agent_interactions a ON a.source_db = c.source_db AND a.id = c.agent_interaction_id
    WHERE ($since IS NULL OR c.created_at >= CAST($since AS TIMESTAMPTZ))
      AND ($until IS NULL OR c.created_at < CAST($until AS TIMESTAMPTZ))
      AND ($session_id IS NULL OR c.session_id = $session_id)
      AND ($user_id IS NULL OR s.user_id = $user_id)
      AND ($project_id IS NULL OR s.project_id = $project_id)
      AND ($model IS NULL OR c.model = $model)
      AND ($agent IS NULL OR a.agent_name = $agent)
), per_time AS (
    SELECT
        t,
        key,
        COUNT(*) AS requests,
        SUM(input_tokens) AS input_tokens,
        SUM(output_tokens) AS output_tokens,
        SUM(cache_read_tokens) AS cache_read_tokens,
        SUM(cache_write_tokens) AS cache_write_tokens,
        SUM(cost_usd) AS cost_usd,
        COUNT(*) - COUNT(cost_usd) AS unpriced_requests
    FROM calls
    GROUP BY t, key
)
SELECT
    memlab_grain(t, $grain) AS grain,
    key,
    CAST(SUM(requests) AS BIGINT) AS requests,
    CAST(SUM(input_tokens) AS BIGINT) AS input_tokens,
    CAST(SUM(output_tokens) AS BIGINT) AS output_tokens,
    CAST(SUM(cache_read_tokens) AS BIGINT) AS cache_read_tokens,
    CAST(SUM(cache_write_tokens) AS BIGINT) AS cache_write_tokens,
    SUM(cost_usd) AS cost_usd,
    CAST(SUM(unpriced_requests) AS BIGINT) AS unpriced_requests
FROM per_time
GROUP BY grain, key;
