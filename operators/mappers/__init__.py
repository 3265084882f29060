"""Mappers: rewrite the text of each document."""
