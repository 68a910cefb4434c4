-- memlab's messages as the lake has them (see docs/parquet.md), with the session, user and
-- project of their conversation written beside them, so analytics over many files need no join.
SELECT
    $source_db AS source_db,
    m.id,
    m.conversation_id,
    c.session_id,
    s.user_id,
    s.project_id,
    m.role,
    m.content,
    m.token_count,
    CAST(m.is_summarized AS BOOLEAN) AS is_summarized,
    CAST(m.created_at AS TIMESTAMPTZ) AS created_at,
    m.metadata
FROM sqlite_scan($path, 'messages') m
JOIN sqlite_scan($path, 'conversations') c ON c.conversation_id = m.conversation_id
JOIN sqlite_scan($path, 'sessions') s ON s.session_id = c.session_id
