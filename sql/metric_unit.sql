-- The unit of a metric's most recent measurement (idx_memory_metrics_name, newest first).
SELECT unit FROM memory_metrics
WHERE metric_name = :metric_name
ORDER BY created_at DESC, id DESC
LIMIT 1;
