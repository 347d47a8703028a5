"""Ingest: read files, repair text, parse structure, extract metadata, chunk into passages."""
