"""Each memlab table as DuckDB reads it from a memlab file (sqlite_scan)."""
