"""Where analytics' rows come from: one memlab SQLite file, or DuckDB over many (the lake).

``memlab.analytics`` asks each question once: an engine runs the named query of that question
(``sql/<name>.sql`` on SQLite, ``sql/duckdb/<name>.sql`` on DuckDB) and returns its rows as a
DataFrame with the same columns; time buckets, percentiles and shaping happen above, alike.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from ..sqlfiles import read_sql

if TYPE_CHECKING:
    import pandas as pd

    from ..store import Store


class SQLiteEngine:
    """One memlab file, through its Store: the rollups answer the big questions when they can."""

    def __init__(self, store: "Store") -> None:
        self.store = store

    def rows(self, name: str, params: dict[str, Any]) -> "pd.DataFrame":
        return self.store.dataframe(read_sql(name), params)

    def has_rollups(self) -> bool:
        """Whether the 003_analytics_rollups tables exist (a database opened without migrating may lack them)."""
        return self.store.query_one(
            "SELECT 1 AS ok FROM sqlite_master WHERE type = 'table' AND name = 'cost_hourly'") is not None

    def ranks_whole_metrics(self) -> bool:
        return self.has_rollups()

    def whole_metrics(self, names_json: str | None, qs: tuple[float, ...]) -> "pd.DataFrame":
        """Exact percentiles of whole metrics from metric_totals and index walks."""
        from .percentiles import by_index

        return by_index(self.store, names_json, qs)

    def close(self) -> None:
        """The Store belongs to its Database, which closes it."""


class DuckDBEngine:
    """DuckDB over the lake views (memlab.lake.duck): many memlab files or their Parquet export."""

    def __init__(self, con) -> None:
        self.con = con

    def rows(self, name: str, params: dict[str, Any]) -> "pd.DataFrame":
        from ..lake.duck import frame

        return frame(self.con, read_sql(f"duckdb/{name}"), params)

    def has_rollups(self) -> bool:
        return False  # DuckDB reads the columns; the rollups live in each SQLite file only

    def ranks_whole_metrics(self) -> bool:
        return True

    def whole_metrics(self, names_json: str | None, qs: tuple[float, ...]) -> "pd.DataFrame":
        """Exact percentiles of whole metrics: counts and sums in one pass, then every order
        statistic the percentiles need in one ranked read (numpy's linear interpolation, as
        the SQLite path does it, so both give the same numbers)."""
        import pandas as pd

        from ..lake.duck import frame
        from .frames import percentile_column
        from .percentiles import linear

        totals = frame(self.con, read_sql("duckdb/metric_summary"), {"metrics": names_json})
        if totals.empty:
            return pd.DataFrame()
        wanted: dict[tuple[str, int], float] = {}
        for name, n in zip(totals["metric_name"], totals["measurements"]):
            for p in (0.0, *qs, 100.0):
                linear(lambda rank: _note(wanted, name, rank, n), int(n), p)
        found = frame(self.con, read_sql("duckdb/metric_ranks"),
                      {"metric_names": [k[0] for k in wanted], "ranks": [k[1] for k in wanted]})
        for name, rank, value in zip(found["metric_name"], found["rank"], found["value"]):
            wanted[(name, int(rank))] = float(value)
        records = []
        for name, n, total, unit in zip(totals["metric_name"], totals["measurements"], totals["total"],
                                        totals["unit"]):
            n = int(n)

            def at(rank: int, name=name, n=n) -> tuple[float, float]:
                return wanted[(name, rank)], wanted[(name, min(rank + 1, n - 1))]

            record = {"metric_name": name, "count": n, "mean": total / n, "min": at(0)[0], "max": at(n - 1)[0]}
            for p in qs:
                record[percentile_column(p)] = linear(at, n, p)
            record["unit"] = None if pd.isna(unit) else unit
            records.append(record)
        return pd.DataFrame.from_records(records)

    def close(self) -> None:
        self.con.close()


def _note(wanted: dict, name: str, rank: int, n: int) -> tuple[float, float]:
    """Record that ranks ``rank`` and ``rank + 1`` of metric ``name`` are needed (a dry run of linear)."""
    wanted.setdefault((name, rank), float("nan"))
    wanted.setdefault((name, min(rank + 1, n - 1)), float("nan"))
    return 0.0, 0.0
