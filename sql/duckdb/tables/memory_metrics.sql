-- memlab's memory_metrics as the lake has them (see docs/parquet.md).
SELECT
    (SELECT name FROM memlab_sources WHERE idx = {idx}) AS source_db,
    id,
    metric_name,
    value,
    unit,
    session_id,
    tags,
    CAST(created_at AS TIMESTAMPTZ) AS created_at
FROM {src}.memory_metrics
