-- The values at 0-based ranks :rank and :rank + 1 of one metric, smallest first: an exact
-- order statistic walked along idx_memory_metrics_value (metric_name, value).
SELECT value FROM memory_metrics
WHERE metric_name = :metric_name
ORDER BY value
LIMIT 2 OFFSET :rank;
