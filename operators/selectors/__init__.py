"""Selectors: keep a subset chosen over the whole dataset (sampling, top-k)."""
