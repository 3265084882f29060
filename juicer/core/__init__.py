"""The operator model every other layer builds on: operator kinds and their typed Params
(operator), filter rules (rules), a batch and its memoized views (batch), text at a field
path (fields), row identity (row_ids), operators by name (registry), mergeable step metrics
and samples (metrics, samples), the condition language (expressions), and docs/operators.md
generated from the registry (operator_docs). It imports only juicer.errors and juicer.text."""
