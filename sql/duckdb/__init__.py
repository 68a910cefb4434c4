"""The analytic queries in DuckDB's dialect (memlab.analytics over many files or Parquet)."""
