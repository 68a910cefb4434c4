-- memlab's sessions as the lake has them (see docs/parquet.md): read from the memlab file at
-- $path by DuckDB's sqlite scanner, the file's name in source_db, times as TIMESTAMPTZ (UTC).
SELECT
    $source_db AS source_db,
    session_id,
    user_id,
    project_id,
    status,
    CAST(created_at AS TIMESTAMPTZ) AS created_at,
    CAST(last_active_at AS TIMESTAMPTZ) AS last_active_at,
    metadata
FROM sqlite_scan($path, 'sessions')
