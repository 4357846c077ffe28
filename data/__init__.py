"""DuckDB schema, importers, validation reports and the demo-city generator."""
