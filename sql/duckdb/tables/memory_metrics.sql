-- memlab's memory_metrics as the lake has them (see docs/parquet.md).
SELECT
    $source_db AS source_db,
    id,
    metric_name,
    value,
    unit,
    session_id,
    tags,
    CAST(created_at AS TIMESTAMPTZ) AS created_at
FROM sqlite_scan($path, 'memory_metrics')
