-- memlab's learned_patterns as the lake has them (see docs/parquet.md).
SELECT
    $source_db AS source_db,
    id,
    pattern_type,
    pattern_key,
    data,
    occurrence_count,
    confidence,
    CAST(first_seen_at AS TIMESTAMPTZ) AS first_seen_at,
    CAST(last_seen_at AS TIMESTAMPTZ) AS last_seen_at
FROM sqlite_scan($path, 'learned_patterns')
