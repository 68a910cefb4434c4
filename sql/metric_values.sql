-- Every measurement of the chosen metrics (:metrics is a JSON array of names, NULL = all) in
-- [:since, :until), with its time grain (see cost_by_grain.sql) and the value of the tag at
-- JSON path :tag_path (e.g. '$."hits"') as text, oldest first (the last row's unit is reported).
SELECT
    mm.metric_name,
    substr(mm.created_at, 1, :grain) AS grain,
    CAST(json_extract(mm.tags, :tag_path) AS TEXT) AS tag_value,
    mm.value,
    mm.unit
FROM memory_metrics mm
LEFT JOIN sessions s ON s.session_id = mm.session_id
WHERE mm.created_at >= coalesce(:since, '')
  AND mm.created_at < coalesce(:until, '~')
  AND (:metrics IS NULL OR mm.metric_name IN (SELECT value FROM json_each(:metrics)))
  AND (:session_id IS NULL OR mm.session_id = :session_id)
  AND (:user_id IS NULL OR s.user_id = :user_id)
  AND (:project_id IS NULL OR s.project_id = :project_id)
ORDER BY mm.created_at, mm.id;
