-- memlab's learned_patterns as the lake has them (see docs/parquet.md).
SELECT
    (SELECT name FROM memlab_sources WHERE idx = {idx}) AS source_db,
    id,
    pattern_type,
    pattern_key,
    data,
    occurrence_count,
    confidence,
    CAST(first_seen_at AS TIMESTAMPTZ) AS first_seen_at,
    CAST(last_seen_at AS TIMESTAMPTZ) AS last_seen_at
FROM {src}.learned_patterns
