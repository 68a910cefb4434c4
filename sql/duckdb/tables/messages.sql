-- memlab's messages as the lake has them (see docs/parquet.md), with the session, user and
-- project of their conversation written beside them, so analytics over many files need no join.
SELECT
    (SELECT name FROM memlab_sources WHERE idx = {idx}) AS source_db,
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
FROM {src}.messages m
JOIN {src}.conversations c ON c.conversation_id = m.conversation_id
JOIN {src}.sessions s ON s.session_id = c.session_id
