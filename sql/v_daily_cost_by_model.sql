-- Cost per UTC day and model. Unpriced calls (cost_usd IS NULL) are counted apart,
-- never summed as zero.
CREATE VIEW v_daily_cost_by_model AS
SELECT
    substr(created_at, 1, 10) AS day,
    model,
    COUNT(*) AS requests,
    SUM(input_tokens) AS input_tokens,
    SUM(output_tokens) AS output_tokens,
    SUM(cache_read_tokens) AS cache_read_tokens,
    SUM(cache_write_tokens) AS cache_write_tokens,
    SUM(cost_usd) AS cost_usd,
    SUM(cost_usd IS NULL) AS unpriced_requests
FROM cost_tracking
GROUP BY day, model;
