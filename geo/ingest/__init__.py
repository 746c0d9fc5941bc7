"""Ingest platform lists (CSV, XLSX, GeoJSON): geocode, validate, assign and merge into a store."""

from geo.ingest.pipeline import IngestReport, RowOutcome, ingest_file, ingest_rows, read_table

__all__ = ["IngestReport", "RowOutcome", "ingest_file", "ingest_rows", "read_table"]
