"""The analytical store: every event on the bus as Parquet in S3, queried with SQL (Athena deployed,
DuckDB locally), and the analyses shipped with the CRM."""
