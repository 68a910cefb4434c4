-- memlab's agent_interactions as the lake has them (see docs/parquet.md).
SELECT
    $source_db AS source_db,
    id,
    session_id,
    conversation_id,
    agent_name,
    task,
    status,
    CAST(started_at AS TIMESTAMPTZ) AS started_at,
    CAST(completed_at AS TIMESTAMPTZ) AS completed_at,
    duration_ms,
    input_tokens,
    output_tokens,
    error,
    metadata
FROM sqlite_scan($path, 'agent_interactions')
