"""Deduplicators: global operators that drop documents repeating an earlier one."""
