"""Filters: compute stats per document and drop those outside the configured ranges."""
