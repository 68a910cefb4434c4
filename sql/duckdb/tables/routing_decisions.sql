-- memlab's routing_decisions as the lake has them (see docs/parquet.md).
SELECT
    $source_db AS source_db,
    id,
    session_id,
    conversation_id,
    request,
    selected_agent,
    confidence,
    candidates,
    reasoning,
    outcome,
    CAST(created_at AS TIMESTAMPTZ) AS created_at
FROM sqlite_scan($path, 'routing_decisions')
