-- Active sessions with their conversation, message and cost totals.
-- Correlated subqueries instead of the seed's LEFT JOIN chain: joining conversations,
-- messages and cost_tracking together multiplies rows and inflates SUM(cost_usd).
CREATE VIEW v_active_sessions AS
SELECT
    s.session_id,
    s.user_id,
    s.project_id,
    s.created_at,
    s.last_active_at,
    (SELECT COUNT(*) FROM conversations c WHERE c.session_id = s.session_id) AS conversation_count,
    (SELECT COUNT(*)
       FROM conversations c
       JOIN messages m ON m.conversation_id = c.conversation_id
      WHERE c.session_id = s.session_id) AS message_count,
    (SELECT COALESCE(SUM(ct.cost_usd), 0)
       FROM cost_tracking ct
      WHERE ct.session_id = s.session_id) AS total_cost_usd
FROM sessions s
WHERE s.status = 'active';
