"""memlab past one file: the lake tables (memlab.lake.tables), DuckDB over many memlab files or
their Parquet export (memlab.lake.duck), and ``memlab export parquet`` (memlab.lake.export).

Needs the optional extra: ``pip install 'memlab[duckdb]'``. The analytics questions themselves
live in memlab.analytics (``Analytics.over_files``, ``Analytics.over_parquet``).
"""

from .tables import TABLES, Table

__all__ = ["TABLES", "Table"]
