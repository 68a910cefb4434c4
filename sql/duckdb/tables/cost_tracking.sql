-- memlab's cost_tracking as the lake has them (see docs/parquet.md).
SELECT
    (SELECT name FROM memlab_sources WHERE idx = {idx}) AS source_db,
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
FROM {src}.cost_tracking
