-- memlab's cost_tracking as the lake has them (see docs/parquet.md).
SELECT
    $source_db AS source_db,
    id,
    session_id,
    agent_interaction_id,
    model,
    input_tokens,
    output_tokens,
    cache_read_tokens,
    cache_write_tokens,
    cost_usd,
    CAST(created_at AS TIMESTAMPTZ) AS created_at,
    request_id,
    metadata
FROM sqlite_scan($path, 'cost_tracking')
