-- memlab's user_preferences as the lake has them (see docs/parquet.md).
SELECT
    (SELECT name FROM memlab_sources WHERE idx = {idx}) AS source_db,
    id,
    user_id,
    key,
    value,
    confidence,
    source,
    CAST(created_at AS TIMESTAMPTZ) AS created_at,
    CAST(updated_at AS TIMESTAMPTZ) AS updated_at
FROM {src}.user_preferences
