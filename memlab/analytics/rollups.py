"""Rollups kept by triggers so the big analytic answers read thousands of rows, not millions.

``cost_hourly`` sums cost_tracking per UTC hour and model; ``metric_totals`` counts and sums
memory_metrics per metric; ``idx_memory_metrics_value`` orders each metric's values so an exact
percentile is an index walk (``ORDER BY value LIMIT 2 OFFSET k``). Triggers add on insert,
subtract on delete and do both on update, so counts and token sums equal the base tables
exactly; summed costs and values equal them up to floating-point rounding (the additions
happen in a different order). Created, and filled from the rows already stored, by the
``003_analytics_rollups`` migration, whose SQL (frozen as it shipped) is
``memlab/schema/003_analytics_rollups.sql``.
"""
