-- The values at 0-based ranks of each metric, smallest first: $metric_names[i] at $ranks[i].
-- DuckDB sorts each metric's values once (a window), for all the ranks asked at once.
WITH wanted AS (
    SELECT unnest($metric_names) AS metric_name, unnest($ranks) AS rank
), ranked AS (
    SELECT metric_name, value, ROW_NUMBER() OVER (PARTITION BY metric_name ORDER BY value) - 1 AS rank
    FROM memory_metrics
    WHERE metric_name IN (SELECT metric_name FROM wanted)
)
SELECT metric_name, rank, value
FROM ranked JOIN wanted USING (metric_name, rank);
