-- metric_rank.sql counted from the largest value down (shorter walks for high percentiles).
SELECT value FROM memory_metrics
WHERE metric_name = :metric_name
ORDER BY value DESC
LIMIT 2 OFFSET :rank;
