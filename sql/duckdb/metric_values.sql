-- metric_values.sql for DuckDB over the lake: every measurement of the chosen metrics
-- ($metrics is a JSON array of names, NULL = all) in [$since, $until), with its grain and the
-- tag at JSON path $tag_path as text (true/false as 1/0, as SQLite's json_extract gives them),
-- oldest first.
SELECT
    mm.metric_name,
    memlab_grain(memlab_trunc(mm.created_at, $grain), $grain) AS grain,
    CASE json_type(mm.tags, $tag_path)
        WHEN 'BOOLEAN' THEN CAST(CAST(json_extract(mm.tags, $tag_path) AS BOOLEAN) AS INTEGER)::VARCHAR
        ELSE json_extract_string(mm.tags, $tag_path)
    END AS tag_value,
    mm.value,
    mm.unit
FROM memory_metrics mm
LEFT JOIN sessions s ON s.source_db = mm.source_db AND s.session_id = mm.session_id
WHERE ($since IS NULL OR mm.created_at >= CAST($since AS TIMESTAMPTZ))
  AND ($until IS NULL OR mm.created_at < CAST($until AS TIMESTAMPTZ))
  AND ($metrics IS NULL OR list_contains(from_json($metrics, '["VARCHAR"]'), mm.metric_name))
  AND ($session_id IS NULL OR mm.session_id = $session_id)
  AND ($user_id IS NULL OR s.user_id = $user_id)
  AND ($project_id IS NULL OR s.project_id = $project_id)
ORDER BY mm.created_at, mm.source_db, mm.id;
