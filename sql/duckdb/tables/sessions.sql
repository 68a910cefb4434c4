-- memlab's sessions as the lake has them (see docs/parquet.md): read from one attached memlab
-- file {src}, its name in source_db, times as TIMESTAMPTZ (UTC).
SELECT
    (SELECT name FROM memlab_sources WHERE idx = {idx}) AS source_db,
    session_id,
    user_id,
    project_id,
    status,
    CAST(created_at AS TIMESTAMPTZ) AS created_at,
    CAST(last_active_at AS TIMESTAMPTZ) AS last_active_at,
    metadata
FROM {src}.sessions
