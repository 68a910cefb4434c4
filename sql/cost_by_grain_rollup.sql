-- cost_by_grain.sql answered from the hourly rollup (cost_hourly, kept by triggers on
-- cost_tracking): the same columns, grouped by model, for windows on whole UTC hours and
-- grains up to the hour (:grain <= 13). Reads one row per hour and model, not one per call.
SELECT
    substr(h.hour, 1, :grain) AS grain,
    h.model AS key,
    SUM(h.requests) AS requests,
    SUM(h.input_tokens) AS input_tokens,
    SUM(h.output_tokens) AS output_tokens,
    SUM(h.cache_read_tokens) AS cache_read_tokens,
    SUM(h.cache_write_tokens) AS cache_write_tokens,
    SUM(h.cost_usd) AS cost_usd,
    SUM(h.unpriced_requests) AS unpriced_requests
FROM cost_hourly h
WHERE h.hour >= coalesce(:since, '')
  AND h.hour < coalesce(:until, '~')
  AND (:model IS NULL OR h.model = :model)
GROUP BY grain, key;
