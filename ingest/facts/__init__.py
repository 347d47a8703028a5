"""Fact extractors over stored documents (index results, assigned tasks)."""
