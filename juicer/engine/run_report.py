"""report.json: what the run did, step by step, with counts that add up."""
from __future__ import annotations

import datetime as dt
from collections import Counter
from typing import Optional

from juicer._version import __version__
from juicer.core.metrics import StepMetrics, bound_values, is_bound
from juicer.core.samples import KEPT_SAMPLES, Samples
from juicer.engine.context import ShardResult
from juicer.engine.global_steps import kind_of
from juicer.core.operator import Filter, GlobalOperator, Mapper
from juicer.core.row_ids import split_row_id


def build_report(recipe, shard_results: list[list[ShardResult]], global_summaries: dict, outputs, *, seconds, started,
                 workers, shards, fingerprint, partitions=None,
                 global_seconds: Optional[dict] = None) -> dict:
    """`global_seconds`: what each global step's reduce, verify and cluster tasks took (its
    signatures and decisions count in the shard tasks' metrics)."""
    merged: dict[str, StepMetrics] = {}
    for stage_results in shard_results:
        for result in stage_results:
            for step_id, state in result.metrics.items():
                merged.setdefault(step_id, StepMetrics()).merge(StepMetrics.from_state(state))
    for step_id, step_seconds in (global_seconds or {}).items():
        merged.setdefault(step_id, StepMetrics()).seconds += step_seconds
    first = shard_results[0]
    input_docs = sum(r.input_docs for r in first)
    kept_docs = sum(r.kept["rows"] for r in shard_results[-1])
    dropped_docs = sum(r.dropped["rows"] for stage in shard_results for r in stage)
    quarantined = sum(r.quarantine["rows"] for stage in shard_results for r in stage)
    kept_chars = merged[recipe.pipeline[-1].id].chars_out if recipe.pipeline and recipe.pipeline[-1].id in merged else \
        sum(r.input_chars for r in first)
    steps = [step_report(step, merged.get(step.id, StepMetrics()), global_summaries.get(step.id))
             for step in recipe.pipeline]
    # documents a splitting mapper (text_chunk_mapper) added: each chunk is then kept,
    # dropped or quarantined like any document
    split_docs = sum(max(merged[step.id].docs_out - merged[step.id].docs_in, 0)
                     for step in recipe.pipeline
                     if isinstance(step.operator, Mapper) and step.id in merged)
    return {
        "juicer_version": __version__,
        "recipe": recipe.source,
        "output": recipe.output.path,
        "started_at": dt.datetime.fromtimestamp(started, dt.timezone.utc).isoformat(timespec="seconds"),
        "seconds": round(seconds, 3),
        "input_docs": input_docs,
        "kept_docs": kept_docs,
        "dropped_docs": dropped_docs,
        "quarantined_docs": quarantined,
        "split_docs": split_docs,
        "accounting_ok": input_docs + split_docs == kept_docs + dropped_docs + quarantined,
        "input_chars": sum(r.input_chars for r in first),
        "kept_chars": kept_chars,
        **_token_totals(recipe, first, shard_results[-1]),
        "input_fingerprint": fingerprint,
        "executor": {"kind": recipe.executor.kind, "workers": workers, "shards": shards,
                     "partitions": partitions},
        # the largest worker process that ran a shard task (bytes; 0 in reports from before)
        "peak_worker_rss": max((r.peak_rss for stage in shard_results for r in stage),
                               default=0),
        "files": outputs,
        "steps": steps,
        **_llm_totals(steps),
        "quarantine": _quarantine_report([r for stage in shard_results for r in stage]),
        "kept_samples": _kept_samples(shard_results[-1]),
        "notes": recipe.notes,
    }


def _token_totals(recipe, first_stage: list, last_stage: list) -> dict:
    """Input and kept tokens, when the recipe asks for them (output.count_tokens)."""
    if not recipe.output.count_tokens:
        return {}
    return {"tokenizer": recipe.output.count_tokens,
            "input_tokens": sum(r.input_tokens for r in first_stage),
            "kept_tokens": sum(r.kept_tokens for r in last_stage)}


def step_report(step, metrics: StepMetrics, global_summary: Optional[dict]) -> dict:
    operator = step.operator
    report = {
        "id": step.id, "op": step.op, "kind": operator.kind,
        "docs_in": metrics.docs_in, "docs_out": metrics.docs_out,
        "dropped": metrics.docs_in - metrics.docs_out,
        "drops_by_rule": dict(sorted(metrics.drops.items())),
        "chars_in": metrics.chars_in, "chars_out": metrics.chars_out,
        "seconds": round(metrics.seconds, 4),
        "samples": {key: samples.payloads() for key, samples in sorted(metrics.samples.items())},
    }
    if isinstance(operator, Mapper):
        report["changed_docs"] = metrics.changed
    usage = llm_usage(metrics)
    if usage:
        report["llm"] = usage
    if isinstance(operator, Filter):
        rules = operator.rules()
        report["rules"] = [{"name": r.name, "stat": r.stat, "op": r.op,
                            "threshold": open_bounds_as_none(r.threshold)} for r in rules]
        report["stats"] = {name: summary.to_json(bound_values(
            [r.threshold for r in rules if r.stat == name]))
            for name, summary in metrics.stats.items()}
        report["rule_fails"] = dict(sorted(metrics.rule_fails.items()))
        report["rule_overlap"] = [
            {"rule": key.split("\t")[0], "with": key.split("\t")[1], "documents": count}
            for key, count in sorted(metrics.overlap.items(), key=lambda kv: (-kv[1], kv[0]))]
        report["labels"] = {name: categories.to_json()
                            for name, categories in sorted(metrics.categories.items())}
    if isinstance(operator, GlobalOperator):
        kind_of(operator).report(report, metrics, global_summary)
    return report


LLM_COUNTS = ("requests", "cache_hits", "retries", "errors", "refused", "prompt_tokens",
              "completion_tokens")


def llm_usage(metrics: StepMetrics) -> dict:
    """What a step's LLM requests cost (juicer.models.llm counts them per step): requests
    sent (retries included), answers from the cache, tokens, and seconds spent waiting."""
    found = {key[4:]: value for key, value in metrics.extra.items() if key.startswith("llm_")}
    if not found:
        return {}
    usage = {name: int(found.get(name, 0)) for name in LLM_COUNTS}
    usage["seconds"] = round(float(found.get("seconds", 0.0)), 3)
    return usage


def _llm_totals(steps: list[dict]) -> dict:
    """The run's LLM usage over all its steps, when any step asked one."""
    used = [step["llm"] for step in steps if "llm" in step]
    if not used:
        return {}
    totals = {name: sum(usage[name] for usage in used) for name in LLM_COUNTS}
    totals["seconds"] = round(sum(usage["seconds"] for usage in used), 3)
    return {"llm": totals}


def name_cluster_files(report: dict, files: list[str]) -> None:
    """Name the input file of each near-duplicate cluster member the report shows."""
    for step in report["steps"]:
        for cluster in step.get("dedup", {}).get("largest_clusters", []):
            for member in cluster.get("members", []):
                index = split_row_id(member["row"])[0]
                member["file"] = files[index] if index < len(files) else None


def open_bounds_as_none(threshold):
    """A rule's threshold for the report: a bound no document can reach (a sys.maxsize or
    infinite default) is None, "no bound", not 9.22e+18."""
    if isinstance(threshold, (list, tuple)):
        return [open_bounds_as_none(value) for value in threshold]
    if isinstance(threshold, (int, float)) and not isinstance(threshold, bool) and \
            not is_bound(threshold):
        return None
    return threshold


def _kept_samples(final_stage) -> list[dict]:
    samples = Samples(KEPT_SAMPLES)
    for result in final_stage:
        samples.merge(Samples.from_state(result.kept_samples))
    return samples.payloads()


def _quarantine_report(first_stage) -> dict:
    errors, files, samples = Counter(), Counter(), []
    for result in first_stage:
        errors.update(result.quarantine["errors"])
        files.update(result.quarantine["by_file"])
        samples.extend(result.quarantine["samples"])
    return {"by_error": dict(errors.most_common()), "by_file": dict(files.most_common()),
            "samples": [{k: v for k, v in s.items() if k != "__row_id__"} for s in samples[:10]]}
