"""Rollups kept by triggers so the big analytic answers read thousands of rows, not millions.

``cost_hourly`` sums cost_tracking per UTC hour and model; ``metric_totals`` counts and sums
memory_metrics per metric; ``idx_memory_metrics_value`` orders each metric's values so an exact
percentile is an index walk (``ORDER BY value LIMIT 2 OFFSET k``). Triggers add on insert,
subtract on delete and do both on update, so counts and token sums equal the base tables
exactly; summed costs and values equal them up to floating-point rounding (the additions
happen in a different order). Created, and filled from the rows already stored, by the
``003_analytics_rollups`` migration.
"""

from __future__ import annotations

HOUR = "substr({row}.created_at, 1, 13) || ':00:00.000000Z'"
TOKENS = ("input_tokens", "output_tokens", "cache_read_tokens", "cache_write_tokens")


def _cost_add(row: str) -> str:
    return f"""
  INSERT INTO cost_hourly (hour, model, requests, {', '.join(TOKENS)}, priced_requests, cost_usd, unpriced_requests)
  VALUES ({HOUR.format(row=row)}, {row}.model, 1, {', '.join(f'{row}.{t}' for t in TOKENS)},
          {row}.cost_usd IS NOT NULL, {row}.cost_usd, {row}.cost_usd IS NULL)
  ON CONFLICT (hour, model) DO UPDATE SET
    requests = requests + 1,
    {', '.join(f'{t} = {t} + excluded.{t}' for t in TOKENS)},
    priced_requests = priced_requests + excluded.priced_requests,
    cost_usd = CASE WHEN excluded.cost_usd IS NULL THEN cost_usd ELSE coalesce(cost_usd, 0) + excluded.cost_usd END,
    unpriced_requests = unpriced_requests + excluded.unpriced_requests;"""


def _cost_remove(row: str) -> str:
    where = f"hour = {HOUR.format(row=row)} AND model = {row}.model"
    return f"""
  UPDATE cost_hourly SET
    requests = requests - 1,
    {', '.join(f'{t} = {t} - {row}.{t}' for t in TOKENS)},
    priced_requests = priced_requests - ({row}.cost_usd IS NOT NULL),
    cost_usd = CASE WHEN {row}.cost_usd IS NULL THEN cost_usd WHEN priced_requests = 1 THEN NULL
                    ELSE cost_usd - {row}.cost_usd END,
    unpriced_requests = unpriced_requests - ({row}.cost_usd IS NULL)
  WHERE {where};
  DELETE FROM cost_hourly WHERE {where} AND requests = 0;"""


def _metric_add(row: str) -> str:
    return f"""
  INSERT INTO metric_totals (metric_name, measurements, total) VALUES ({row}.metric_name, 1, {row}.value)
  ON CONFLICT (metric_name) DO UPDATE SET measurements = measurements + 1, total = total + excluded.total;"""


def _metric_remove(row: str) -> str:
    return f"""
  UPDATE metric_totals SET measurements = measurements - 1, total = total - {row}.value
  WHERE metric_name = {row}.metric_name;
  DELETE FROM metric_totals WHERE metric_name = {row}.metric_name AND measurements = 0;"""


SCHEMA = f"""
CREATE TABLE cost_hourly (
    hour               TEXT NOT NULL,    -- start of the UTC hour, memlab's timestamp text
    model              TEXT NOT NULL,
    requests           INTEGER NOT NULL,
    input_tokens       INTEGER NOT NULL,
    output_tokens      INTEGER NOT NULL,
    cache_read_tokens  INTEGER NOT NULL,
    cache_write_tokens INTEGER NOT NULL,
    priced_requests    INTEGER NOT NULL,
    cost_usd           REAL,             -- sum over priced calls; NULL when none is priced
    unpriced_requests  INTEGER NOT NULL,
    PRIMARY KEY (hour, model)
) WITHOUT ROWID;
CREATE TRIGGER cost_hourly_insert AFTER INSERT ON cost_tracking BEGIN{_cost_add('new')}
END;
CREATE TRIGGER cost_hourly_delete AFTER DELETE ON cost_tracking BEGIN{_cost_remove('old')}
END;
CREATE TRIGGER cost_hourly_update
AFTER UPDATE OF model, created_at, {', '.join(TOKENS)}, cost_usd ON cost_tracking BEGIN{_cost_remove('old')}{_cost_add('new')}
END;

CREATE TABLE metric_totals (
    metric_name  TEXT PRIMARY KEY NOT NULL,
    measurements INTEGER NOT NULL,
    total        REAL NOT NULL
) WITHOUT ROWID;
CREATE TRIGGER metric_totals_insert AFTER INSERT ON memory_metrics BEGIN{_metric_add('new')}
END;
CREATE TRIGGER metric_totals_delete AFTER DELETE ON memory_metrics BEGIN{_metric_remove('old')}
END;
CREATE TRIGGER metric_totals_update AFTER UPDATE OF metric_name, value ON memory_metrics BEGIN{_metric_remove('old')}{_metric_add('new')}
END;
CREATE INDEX idx_memory_metrics_value ON memory_metrics (metric_name, value);
"""

BACKFILL = f"""
INSERT INTO cost_hourly (hour, model, requests, {', '.join(TOKENS)}, priced_requests, cost_usd, unpriced_requests)
SELECT {HOUR.format(row='cost_tracking')}, model, COUNT(*), {', '.join(f'SUM({t})' for t in TOKENS)},
       COUNT(cost_usd), SUM(cost_usd), SUM(cost_usd IS NULL)
FROM cost_tracking
GROUP BY 1, model;
INSERT INTO metric_totals (metric_name, measurements, total)
SELECT metric_name, COUNT(*), SUM(value) FROM memory_metrics GROUP BY metric_name;
"""

TABLES = ("cost_hourly", "metric_totals")
