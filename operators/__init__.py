"""Juicer's built-in operators, one class per file, grouped by family.

Installed as the import package `juicer_operators` and registered through the
`juicer.operators` entry point, the same way a third-party package adds its own.
"""
