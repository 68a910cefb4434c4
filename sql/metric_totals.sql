-- How many measurements each metric has and their sum (metric_totals, kept by triggers on
-- memory_metrics); :metrics is a JSON array of names, NULL = all.
SELECT metric_name, measurements, total
FROM metric_totals
WHERE :metrics IS NULL OR metric_name IN (SELECT value FROM json_each(:metrics))
ORDER BY metric_name;
