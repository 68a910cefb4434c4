-- Migration 003_analytics_rollups, frozen as it ships: never edit this file (tests/test_migrations.py
-- checks its hash); change the schema with a new step.
-- Hourly cost and per-metric totals kept by triggers, metric values in index order
-- (memlab.analytics.rollups), then filled from the rows already stored.

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

CREATE TRIGGER cost_hourly_insert AFTER INSERT ON cost_tracking BEGIN
  INSERT INTO cost_hourly (hour, model, requests, input_tokens, output_tokens, cache_read_tokens,
                           cache_write_tokens, priced_requests, cost_usd, unpriced_requests)
  VALUES (substr(new.created_at, 1, 13) || ':00:00.000000Z', new.model, 1, new.input_tokens, new.output_tokens,
          new.cache_read_tokens, new.cache_write_tokens, new.cost_usd IS NOT NULL, new.cost_usd, new.cost_usd IS NULL)
  ON CONFLICT (hour, model) DO UPDATE SET
    requests = requests + 1,
    input_tokens = input_tokens + excluded.input_tokens,
    output_tokens = output_tokens + excluded.output_tokens,
    cache_read_tokens = cache_read_tokens + excluded.cache_read_tokens,
    cache_write_tokens = cache_write_tokens + excluded.cache_write_tokens,
    priced_requests = priced_requests + excluded.priced_requests,
    cost_usd = CASE WHEN excluded.cost_usd IS NULL THEN cost_usd ELSE coalesce(cost_usd, 0) + excluded.cost_usd END,
    unpriced_requests = unpriced_requests + excluded.unpriced_requests;
END;

CREATE TRIGGER cost_hourly_delete AFTER DELETE ON cost_tracking BEGIN
  UPDATE cost_hourly SET
    requests = requests - 1,
    input_tokens = input_tokens - old.input_tokens,
    output_tokens = output_tokens - old.output_tokens,
    cache_read_tokens = cache_read_tokens - old.cache_read_tokens,
    cache_write_tokens = cache_write_tokens - old.cache_write_tokens,
    priced_requests = priced_requests - (old.cost_usd IS NOT NULL),
    cost_usd = CASE WHEN old.cost_usd IS NULL THEN cost_usd
                    WHEN priced_requests = 1 THEN NULL
                    ELSE cost_usd - old.cost_usd END,
    unpriced_requests = unpriced_requests - (old.cost_usd IS NULL)
  WHERE hour = substr(old.created_at, 1, 13) || ':00:00.000000Z' AND model = old.model;
  DELETE FROM cost_hourly
  WHERE hour = substr(old.created_at, 1, 13) || ':00:00.000000Z' AND model = old.model AND requests = 0;
END;

CREATE TRIGGER cost_hourly_update AFTER UPDATE OF
    model, created_at, input_tokens, output_tokens, cache_read_tokens, cache_write_tokens, cost_usd
ON cost_tracking BEGIN
  UPDATE cost_hourly SET
    requests = requests - 1,
    input_tokens = input_tokens - old.input_tokens,
    output_tokens = output_tokens - old.output_tokens,
    cache_read_tokens = cache_read_tokens - old.cache_read_tokens,
    cache_write_tokens = cache_write_tokens - old.cache_write_tokens,
    priced_requests = priced_requests - (old.cost_usd IS NOT NULL),
    cost_usd = CASE WHEN old.cost_usd IS NULL THEN cost_usd
                    WHEN priced_requests = 1 THEN NULL
                    ELSE cost_usd - old.cost_usd END,
    unpriced_requests = unpriced_requests - (old.cost_usd IS NULL)
  WHERE hour = substr(old.created_at, 1, 13) || ':00:00.000000Z' AND model = old.model;
  DELETE FROM cost_hourly
  WHERE hour = substr(old.created_at, 1, 13) || ':00:00.000000Z' AND model = old.model AND requests = 0;
  INSERT INTO cost_hourly (hour, model, requests, input_tokens, output_tokens, cache_read_tokens,
                           cache_write_tokens, priced_requests, cost_usd, unpriced_requests)
  VALUES (substr(new.created_at, 1, 13) || ':00:00.000000Z', new.model, 1, new.input_tokens, new.output_tokens,
          new.cache_read_tokens, new.cache_write_tokens, new.cost_usd IS NOT NULL, new.cost_usd, new.cost_usd IS NULL)
  ON CONFLICT (hour, model) DO UPDATE SET
    requests = requests + 1,
    input_tokens = input_tokens + excluded.input_tokens,
    output_tokens = output_tokens + excluded.output_tokens,
    cache_read_tokens = cache_read_tokens + excluded.cache_read_tokens,
    cache_write_tokens = cache_write_tokens + excluded.cache_write_tokens,
    priced_requests = priced_requests + excluded.priced_requests,
    cost_usd = CASE WHEN excluded.cost_usd IS NULL THEN cost_usd ELSE coalesce(cost_usd, 0) + excluded.cost_usd END,
    unpriced_requests = unpriced_requests + excluded.unpriced_requests;
END;

CREATE TABLE metric_totals (
    metric_name  TEXT PRIMARY KEY NOT NULL,
    measurements INTEGER NOT NULL,
    total        REAL NOT NULL
) WITHOUT ROWID;

CREATE TRIGGER metric_totals_insert AFTER INSERT ON memory_metrics BEGIN
  INSERT INTO metric_totals (metric_name, measurements, total) VALUES (new.metric_name, 1, new.value)
  ON CONFLICT (metric_name) DO UPDATE SET measurements = measurements + 1, total = total + excluded.total;
END;

CREATE TRIGGER metric_totals_delete AFTER DELETE ON memory_metrics BEGIN
  UPDATE metric_totals SET measurements = measurements - 1, total = total - old.value
  WHERE metric_name = old.metric_name;
  DELETE FROM metric_totals WHERE metric_name = old.metric_name AND measurements = 0;
END;

CREATE TRIGGER metric_totals_update AFTER UPDATE OF metric_name, value ON memory_metrics BEGIN
  UPDATE metric_totals SET measurements = measurements - 1, total = total - old.value
  WHERE metric_name = old.metric_name;
  DELETE FROM metric_totals WHERE metric_name = old.metric_name AND measurements = 0;
  INSERT INTO metric_totals (metric_name, measurements, total) VALUES (new.metric_name, 1, new.value)
  ON CONFLICT (metric_name) DO UPDATE SET measurements = measurements + 1, total = total + excluded.total;
END;

CREATE INDEX idx_memory_metrics_value ON memory_metrics (metric_name, value);

-- Backfill from the rows already stored.

INSERT INTO cost_hourly (hour, model, requests, input_tokens, output_tokens, cache_read_tokens,
                         cache_write_tokens, priced_requests, cost_usd, unpriced_requests)
SELECT substr(created_at, 1, 13) || ':00:00.000000Z', model, COUNT(*), SUM(input_tokens), SUM(output_tokens),
       SUM(cache_read_tokens), SUM(cache_write_tokens), COUNT(cost_usd), SUM(cost_usd), SUM(cost_usd IS NULL)
FROM cost_tracking
GROUP BY 1, model;

INSERT INTO metric_totals (metric_name, measurements, total)
SELECT metric_name, COUNT(*), SUM(value) FROM memory_metrics GROUP BY metric_name;
