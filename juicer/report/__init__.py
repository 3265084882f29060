"""Reading a run's report.json: the self-contained report.html (html, with its inline SVG
charts), per-group breakdowns (groups), and what changed between two runs (compare).
report.json itself is written by the engine (juicer.engine.run_report), from the shard
results; this package knows only the JSON."""
