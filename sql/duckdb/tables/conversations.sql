-- memlab's conversations as the lake has them (see docs/parquet.md).
SELECT
    $source_db AS source_db,
    id,
    conversation_id,
    session_id,
    title,
    CAST(created_at AS TIMESTAMPTZ) AS created_at,
    CAST(updated_at AS TIMESTAMPTZ) AS updated_at,
    metadata
FROM sqlite_scan($path, 'conversations')
