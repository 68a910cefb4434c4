-- Per metric (of $metrics, a JSON array of names, NULL = all): how many measurements, their
-- sum, and the unit of the most recent one; the exact percentiles are then read by rank
-- (metric_ranks.sql). DuckDB's answer to metric_totals.sql, which SQLite keeps by trigger.
SELECT
    metric_name,
    COUNT(*) AS measurements,
    SUM(value) AS total,
    first(unit ORDER BY created_at DESC, source_db DESC, id DESC) AS unit
FROM memory_metrics
WHERE $metrics IS NULL OR list_contains(from_json($metrics, '["VARCHAR"]'), metric_name)
GROUP BY metric_name
ORDER BY metric_name;
