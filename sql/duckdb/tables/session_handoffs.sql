-- memlab's session_handoffs as the lake has them (see docs/parquet.md).
SELECT
    $source_db AS source_db,
    id,
    from_session_id,
    to_session_id,
    summary,
    context,
    CAST(created_at AS TIMESTAMPTZ) AS created_at,
    CAST(resumed_at AS TIMESTAMPTZ) AS resumed_at
FROM sqlite_scan($path, 'session_handoffs')
