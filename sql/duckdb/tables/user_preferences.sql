-- memlab's user_preferences as the lake has them (see docs/parquet.md).
SELECT
    $source_db AS source_db,
    id,
    user_id,
    key,
    value,
    confidence,
    source,
    CAST(created_at AS TIMESTAMPTZ) AS created_at,
    CAST(updated_at AS TIMESTAMPTZ) AS updated_at
FROM sqlite_scan($path, 'user_preferences')
