"""report.html: one self-contained page (inline CSS and SVG, no script, nothing fetched) that
tells what a run did to the data and why, built from report.json alone.

Sections: summary, funnel (drops per rule with samples, rule overlap), statistics
(histograms with the thresholds), languages, groups (drop rates per value of a field),
deduplication (clusters with their members), mappers (before/after), quarantine, kept
samples; calibration when `juicer calibrate` proposed thresholds, and the language-model
figures (requests, cache hits, tokens, time per step) when a step asked one. Tables export as CSV
through data: links, so the page stays one file."""
from __future__ import annotations

import difflib
import os
import re
from html import escape
from typing import Optional

from juicer.report.charts import DROPPED, KEPT, csv_link, hbars, histogram, number, paired_hbars
from juicer.core.metrics import bound_values, is_bound

SECTIONS = (("summary", "Summary"), ("funnel", "Funnel"), ("statistics", "Statistics"),
            ("languages", "Languages"), ("groups", "Groups"), ("dedup", "Deduplication"),
            ("mappers", "Mappers"), ("quarantine", "Quarantine"), ("samples", "Kept samples"))

CSS = """
body{font:14px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;margin:0;color:#222;background:#fafafa}
header{background:#263238;color:#fff;padding:14px 28px}header h1{margin:0;font-size:20px}
header .meta{color:#b0bec5;font-size:12px;margin-top:4px}
nav{position:sticky;top:0;background:#eceff1;padding:6px 28px;border-bottom:1px solid #cfd8dc;z-index:1}
nav a{margin-right:14px;color:#263238;text-decoration:none;font-weight:600}
main{padding:8px 28px 40px;max-width:1100px}section{margin-top:26px}
h2{border-bottom:2px solid #cfd8dc;padding-bottom:4px;font-size:18px}h3{font-size:15px;margin:18px 0 6px}
.cards{display:flex;flex-wrap:wrap;gap:12px}.card{background:#fff;border:1px solid #ddd;border-radius:6px;padding:10px 16px;min-width:130px}
.card .n{font-size:22px;font-weight:700}.card .l{color:#666;font-size:12px}
.kept .n{color:#2e7d32}.dropped .n{color:#d84315}.quarantined .n{color:#6a1b9a}
table{border-collapse:collapse;background:#fff;margin:6px 0}th,td{border:1px solid #ddd;padding:3px 8px;text-align:left;vertical-align:top}
td.n,th.n{text-align:right;font-variant-numeric:tabular-nums}th{background:#f1f3f4}
details{background:#fff;border:1px solid #ddd;border-radius:4px;margin:6px 0;padding:4px 10px}
summary{cursor:pointer;font-weight:600}
.doc{white-space:pre-wrap;word-break:break-word;font:12px/1.4 ui-monospace,Menlo,Consolas,monospace;background:#f7f7f7;border-left:3px solid #b0bec5;padding:6px 8px;margin:6px 0;max-height:220px;overflow:auto}
.doc.drop{border-color:#d84315}.doc.keep,.doc.member{border-color:#2e7d32}
del{background:#ffcdd2;text-decoration:line-through}ins{background:#c8e6c9;text-decoration:none}
.muted{color:#777}.ok{color:#2e7d32;font-weight:600}.bad{color:#c62828;font-weight:600}
svg.chart{font:11px system-ui,sans-serif;background:#fff;border:1px solid #eee;display:block;margin:6px 0}
.note{background:#fff8e1;border:1px solid #ffe082;padding:6px 10px;border-radius:4px}
"""


def render(report: dict) -> str:
    """The whole page for one run's report.json (as a dict)."""
    analyzing = report.get("mode") == "analyze"
    title = f"Juicer {'analysis' if analyzing else 'report'}: {report.get('recipe') or 'run'}"
    sections = [_summary(report), _funnel(report), _statistics(report), _languages(report),
                _groups(report), _dedup(report), _mappers(report), _quarantine(report),
                _kept(report)]
    nav = SECTIONS
    if report.get("calibration"):
        sections.insert(3, _calibration(report["calibration"]))
        nav = (*SECTIONS[:3], ("calibration", "Calibration"), *SECTIONS[3:])
    if report.get("llm"):
        sections.insert(1, _llm(report))
        nav = (SECTIONS[0], ("llm", "Language model"), *nav[1:])
    return "".join([
        "<!DOCTYPE html><html lang=\"en\"><head><meta charset=\"utf-8\">",
        "<meta name=\"viewport\" content=\"width=device-width,initial-scale=1\">",
        f"<title>{escape(title)}</title><style>{CSS}</style></head><body>",
        f"<header><h1>{escape(title)}</h1><div class=\"meta\">{_meta(report)}</div></header>",
        "<nav>" + "".join(f'<a href="#{key}">{name}</a>' for key, name in nav) + "</nav>",
        "<main>", *sections, "</main></body></html>\n"])


def write(report: dict, path: str) -> str:
    """Write report.html atomically; returns its path."""
    from juicer.io.writers import write_text

    write_text(render(report), path)
    return path


def _meta(report: dict) -> str:
    executor = report.get("executor", {})
    parts = [f"Juicer {escape(str(report.get('juicer_version', '')))}",
             f"started {escape(str(report.get('started_at', '')))}",
             f"{number(report.get('seconds'))} s",
             f"{executor.get('kind', 'local')} executor, {executor.get('workers', '?')} workers, "
             f"{executor.get('shards', '?')} shards",
             f"output {escape(str(report.get('output', '')))}"]
    return " · ".join(parts)


def _section(key: str, body: str) -> str:
    name = dict(SECTIONS).get(key, key.title())
    return f'<section id="{key}"><h2>{escape(name)}</h2>{body}</section>'


def _title(step: dict) -> str:
    """A step's id, and its operator when the id is not the operator's name."""
    name = f'<code>{escape(step["id"])}</code>'
    return name if step["id"] == step["op"] else f'{name} ({escape(step["op"])})'


def _share(part: int, whole: int) -> str:
    return f"{100 * part / whole:.1f}%" if whole else "–"


# ------------------------------------------------------------------ sections


def _summary(report: dict) -> str:
    total = report["input_docs"] + report.get("split_docs", 0)
    analyzing = report.get("mode") == "analyze"
    cards = [("input", "input documents", report["input_docs"])]
    if report.get("split_docs"):
        cards.append(("input", "more from splitting", report["split_docs"]))
    cards += [("kept", "kept", report["kept_docs"]), ("dropped", "dropped", report["dropped_docs"]),
              ("quarantined", "quarantined", report["quarantined_docs"])]
    html = ['<div class="cards">']
    for css, label, count in cards:
        share = "" if css == "input" else f" ({_share(count, total)})"
        html.append(f'<div class="card {css}"><div class="n">{number(count)}</div>'
                    f'<div class="l">{escape(label)}{share}</div></div>')
    html.append(f'<div class="card"><div class="n">{number(report.get("input_chars"))}</div>'
                f'<div class="l">input characters</div></div>'
                f'<div class="card kept"><div class="n">{number(report.get("kept_chars"))}</div>'
                f'<div class="l">kept characters ({_share(report.get("kept_chars", 0), report.get("input_chars", 0))})'
                f'</div></div>')
    if "input_tokens" in report:
        tokenizer = escape(os.path.basename(str(report.get("tokenizer"))))
        html.append(f'<div class="card"><div class="n">{number(report["input_tokens"])}</div>'
                    f'<div class="l">input tokens ({tokenizer})</div></div>'
                    f'<div class="card kept"><div class="n">{number(report["kept_tokens"])}</div>'
                    f'<div class="l">kept tokens ({_share(report["kept_tokens"], report["input_tokens"])})'
                    f'</div></div>')
    html.append('</div>')
    if analyzing:
        html.append('<p class="note">Analysis: every filter computed its statistics on every '
                    'document and nothing was dropped; the drop counts say what the recipe '
                    '<em>would</em> drop, step by step, each on all documents.</p>')
        if report.get("sample"):
            sample = report["sample"]
            html.append(f'<p class="note">Sampled about {number(sample["requested"])} of '
                        f'{number(sample["population"])} documents (rate {number(sample["rate"])}).</p>')
    ok = report.get("accounting_ok")
    html.append(f'<p>Every document is accounted for: input{" + split" if report.get("split_docs") else ""}'
                f' = kept + dropped + quarantined: '
                + ('<span class="ok">yes</span>' if ok else '<span class="bad">NO, please report this</span>')
                + '</p>')
    html.append(f'<p class="muted">Recipe: {escape(str(report.get("recipe")))}. Drop reasons read '
                '<code>step_id:rule</code>; dropped documents with their reason and stats are in '
                '<code>dropped/</code>, unreadable records in <code>quarantine/</code>.</p>')
    for note in report.get("notes", []):
        html.append(f'<p class="note">{escape(note)}</p>')
    return _section("summary", "".join(html))


_LLM_FIGURES = (("requests", "requests"), ("cache_hits", "cache hits"), ("retries", "retries"),
                ("errors", "failed"), ("refused", "over the limit"),
                ("prompt_tokens", "prompt tokens"), ("completion_tokens", "completion tokens"),
                ("seconds", "seconds"))


def _llm(report: dict) -> str:
    """What the steps that ask a language model cost: a cache hit is an answer a rerun or a
    resume did not pay for again."""
    head = "".join(f'<th class="n">{escape(label)}</th>' for _, label in _LLM_FIGURES)
    rows = [(_title(step), step["llm"]) for step in report["steps"] if step.get("llm")]
    rows.append(("<strong>run</strong>", report["llm"]))
    body = "".join(f"<tr><td>{title}</td>" + "".join(
        f'<td class="n">{number(figures.get(key, 0))}</td>' for key, _ in _LLM_FIGURES) + "</tr>"
        for title, figures in rows)
    return ('<section id="llm"><h2>Language model</h2>'
            f"<table><tr><th>step</th>{head}</tr>{body}</table>"
            '<p class="muted">Answers are cached (by default in <code>llm_cache/</code> beside '
            "the output), so a rerun or a resume asks only what it has not asked before.</p>"
            "</section>")


def _funnel(report: dict) -> str:
    steps = report["steps"]
    if not steps:
        return _section("funnel", '<p class="muted">The recipe has no steps.</p>')
    start = report["input_docs"] - report["quarantined_docs"]
    rows = [("input (readable)", start, f"{start:,} readable input documents")]
    for step in steps:
        rows.append((step["id"], step["docs_out"], f"{step['id']} ({step['op']}): "
                     f"{step['docs_in']:,} in, {step['docs_out']:,} out"))
    verb = "would drop" if report.get("mode") == "analyze" else "dropped"
    html = ['<p>Documents left after each step (hover a bar for exact counts).</p>',
            hbars(rows, color=KEPT, total=max(start, max(r[1] for r in rows), 1)),
            '<table><tr><th>step</th><th>operator</th><th>kind</th><th class="n">in</th>'
            f'<th class="n">out</th><th class="n">{verb}</th><th class="n">share</th>'
            '<th class="n">chars out</th><th class="n">seconds</th></tr>']
    for step in steps:
        html.append(f'<tr><td>{escape(step["id"])}</td><td>{escape(step["op"])}</td>'
                    f'<td>{escape(step["kind"])}</td><td class="n">{number(step["docs_in"])}</td>'
                    f'<td class="n">{number(step["docs_out"])}</td>'
                    f'<td class="n">{number(sum(step["drops_by_rule"].values()))}</td>'
                    f'<td class="n">{_share(sum(step["drops_by_rule"].values()), step["docs_in"])}</td>'
                    f'<td class="n">{number(step["chars_out"])}</td>'
                    f'<td class="n">{number(step["seconds"])}</td></tr>')
    html.append("</table>")
    html.append('<p>' + csv_link("funnel.csv", ["step", "operator", "kind", "in", "out", verb,
                                               "chars_out", "seconds"],
                                 [[step["id"], step["op"], step["kind"], step["docs_in"],
                                   step["docs_out"], sum(step["drops_by_rule"].values()),
                                   step["chars_out"], step["seconds"]] for step in steps],
                                 "Download the table as CSV") + '</p>')
    html.append(_overlap(report))
    for step in steps:
        if not step["drops_by_rule"]:
            continue
        rules = "".join(_rule_drops(step, rule, count) for rule, count in step["drops_by_rule"].items())
        html.append(f'<details class="step-drops"><summary>{escape(step["id"])}: '
                    f'{number(sum(step["drops_by_rule"].values()))} {verb} by '
                    f'{len(step["drops_by_rule"])} rule(s)</summary>{rules}</details>')
    return _section("funnel", "".join(html))


def _overlap(report: dict) -> str:
    """Documents that fail several rules: which rules drop the same documents."""
    analyzing = report.get("mode") == "analyze"
    rows, fails = [], {}
    for step in report["steps"]:
        for rule, count in step.get("rule_fails", {}).items():
            fails[f'{step["id"]}:{rule}'] = count
        for entry in step.get("rule_overlap", []):
            rows.append((f'{step["id"]}:{entry["rule"]}', entry["with"], entry["documents"]))
    if not fails:
        return ""
    silent = sum(1 for count in fails.values() if not count)
    fails = {label: count for label, count in fails.items() if count}
    html = ['<details class="overlap"><summary>Rule overlap: which rules fail the same '
            'documents</summary><p>Documents failing each rule (whether or not an earlier '
            'rule dropped them first) and, below, documents failing two rules at once'
            + (', across all steps (analysis: every filter saw every document)' if analyzing
               else ', within one step (a document an earlier step dropped never reaches a '
                    'later one; <code>juicer analyze</code> shows the overlap across steps)')
            + '.</p><table><tr><th>rule</th><th class="n">documents failing it</th></tr>']
    html += [f'<tr><td><code>{escape(label)}</code></td><td class="n">{number(count)}</td></tr>'
             for label, count in fails.items()]
    html.append('</table>' + (f'<p class="muted">{silent} more rule(s) fail no document.</p>'
                              if silent else ''))
    if rows:
        rows.sort(key=lambda r: (-r[2], r[0], r[1]))
        html.append('<table><tr><th>rule</th><th>and rule</th><th class="n">documents failing '
                    'both</th><th class="n">share of the first rule\'s</th></tr>')
        html += [f'<tr><td><code>{escape(a)}</code></td><td><code>{escape(b)}</code></td>'
                 f'<td class="n">{number(n)}</td><td class="n">{_share(n, fails.get(a, 0))}</td></tr>'
                 for a, b, n in rows[:40]]
        html.append('</table><p>' + csv_link("rule_overlap.csv", ["rule", "and_rule", "both"],
                                             rows, "Download the overlap as CSV") + '</p>')
    else:
        html.append('<p class="muted">No document fails two rules.</p>')
    return "".join(html) + "</details>"


def _rule_drops(step: dict, rule: str, count: int) -> str:
    threshold = next((r for r in step.get("rules", []) if r["name"] == rule), None)
    condition = (f' (keeps <code>{escape(threshold["stat"])} {escape(threshold["op"])} '
                 f'{escape(_threshold_text(threshold["threshold"]))}</code>)') if threshold else ""
    samples = step.get("samples", {}).get(f"drop:{rule}", [])
    docs = "".join(
        f'<div class="doc drop" title="row {sample["row"]}">'
        + (f'<b>{escape(_stats_text(sample.get("stats", {})))}</b>\n' if sample.get("stats") else "")
        + f'{escape(sample.get("text") or "")}</div>' for sample in samples)
    return (f'<h3><code>{escape(step["id"])}:{escape(rule)}</code>: {number(count)} documents'
            f'{condition}</h3>' + (docs or '<p class="muted">no samples</p>'))


def _threshold_text(value) -> str:
    if isinstance(value, (list, tuple)):
        return "outside [" + ", ".join(_bound(v) for v in value) + "]"
    return _bound(value)


def _bound(value) -> str:
    if value is None or (isinstance(value, (int, float)) and not isinstance(value, bool)
                         and not is_bound(value)):
        return "no bound"
    return number(value)


def _stats_text(stats: dict) -> str:
    return ", ".join(f"{name} = {number(value)}" for name, value in stats.items())


def _statistics(report: dict) -> str:
    html = []
    rows = []  # for the CSV export
    for step in report["steps"]:
        # a report from before per-rule colours has no rule_fails: kept/dropped by the step
        old_report = "rule_fails" not in step
        for name, summary in sorted(step.get("stats", {}).items()):
            rules = [r for r in step.get("rules", []) if r["stat"] == name and _bounds(r)]
            thresholds = [(v, r["name"]) for r in rules for v in bound_values([r["threshold"]])]
            quantiles = summary.get("quantiles", {})
            names = _legend_names(report, rules, old_report)
            html.append(
                f'<div class="stat"><h3><code>{escape(step["id"])}</code> · {escape(name)}</h3>'
                + histogram(summary["histogram"]["edges"], summary["histogram"]["all"],
                            summary["histogram"]["kept"], thresholds, names=names,
                            clamped=summary["histogram"].get("clamped", False),
                            log=summary["histogram"].get("scale") == "log")
                + '<table><tr><th class="n">count</th><th class="n">mean</th><th class="n">min</th>'
                + "".join(f'<th class="n">{escape(q)}</th>' for q in quantiles)
                + f'<th class="n">max</th></tr><tr><td class="n">{number(summary["count"])}</td>'
                f'<td class="n">{number(summary["mean"])}</td><td class="n">{number(summary["min"])}</td>'
                + "".join(f'<td class="n">{number(v)}</td>' for v in quantiles.values())
                + f'<td class="n">{number(summary["max"])}</td></tr></table></div>')
            rows.append([step["id"], name, summary["count"], summary["mean"], summary.get("std"),
                         summary["min"], *quantiles.values(), summary["max"],
                         "; ".join(f'{r["name"]} {r["op"]} {_threshold_text(r["threshold"])}'
                                   for r in rules)])
    if not html:
        html.append('<p class="muted">No filter in this recipe computed a numeric statistic.</p>')
    else:
        quantile_names = list(next(s for step in report["steps"]
                                   for s in step.get("stats", {}).values())["quantiles"])
        header = ["step", "stat", "count", "mean", "std", "min", *quantile_names, "max", "rules"]
        html.insert(0, '<p>Each histogram shows all documents that reached the step; red are '
                       'those that fail the rules on <em>this</em> statistic (a document '
                       'another rule dropped is not red here); dashed lines are the '
                       'thresholds. Quantiles are within 0.2% (a mergeable sketch, identical '
                       'on every executor). '
                       + csv_link("statistics.csv", header, rows, "Download the table as CSV")
                       + '</p>')
    return _section("statistics", "".join(html))


def _bounds(rule: dict) -> bool:
    """Whether a rule can drop something: a numeric bound, or a threshold of another kind
    (a label, a set); an open numeric bound (None) cannot."""
    threshold = rule["threshold"]
    return bool(bound_values([threshold])) or \
        not isinstance(threshold, (int, float, list, type(None)))


def _legend_names(report: dict, rules: list, old_report: bool) -> tuple[str, str]:
    if old_report:
        return ("kept by this step", "dropped by this step") \
            if report.get("mode") != "analyze" else ("would keep", "would drop")
    if not rules:
        return ("documents (no rule reads this statistic)", "")
    failing = ", ".join(r["name"] for r in rules)
    return ("pass " + failing, "fail " + failing)




def _languages(report: dict) -> str:
    html = []
    for step in report["steps"]:
        for name, labels in step.get("labels", {}).items():
            if labels.get("overflow"):
                html.append(f'<p class="muted"><code>{escape(step["id"])}</code> · {escape(name)}: '
                            'more than 200 distinct values, not charted.</p>')
                continue
            counts = list(labels["all"].items())
            shown = counts[:25]
            rows = [(label, all_count, labels["kept"].get(label, 0)) for label, all_count in shown]
            rest = sum(c for _, c in counts[25:])
            html.append(f'<h3><code>{escape(step["id"])}</code> · {escape(name)} '
                        f'({len(counts)} values)</h3>'
                        + paired_hbars(rows, names=("reached the step", "kept by it"))
                        + (f'<p class="muted">{len(counts) - 25} more values, '
                           f'{number(rest)} documents</p>' if rest else ""))
    if not html:
        html.append('<p class="muted">No language identification (or other label statistic) in '
                    'this recipe; add <code>language_id_score_filter</code> to see the languages '
                    'of the corpus.</p>')
    return _section("languages", "".join(html))


def _dedup(report: dict) -> str:
    html = []
    for step in report["steps"]:
        if "dedup" in step:
            html.append(_clusters(step))
        elif "segments" in step or "spans" in step:
            details = step.get("segments") or step.get("spans") or {}
            scalars = {k: v for k, v in details.items() if isinstance(v, (int, float))}
            html.append(f'<h3>{_title(step)}</h3>'
                        f'<p>{number(step.get("changed_docs", 0))} documents rewritten. '
                        + escape(", ".join(f"{k.replace('_', ' ')}: {number(v)}"
                                           for k, v in scalars.items())) + '</p>')
    if not html:
        html.append('<p class="muted">No deduplication step in this recipe.</p>')
    return _section("dedup", "".join(html))


def _clusters(step: dict) -> str:
    summary = step["dedup"]
    sizes = sorted(summary.get("cluster_sizes", {}).items(), key=lambda kv: int(kv[0]))
    html = [f'<h3>{_title(step)}</h3>',
            f'<p>{number(summary.get("duplicates", 0))} duplicates removed from '
            f'{number(summary.get("clusters", 0))} clusters (one document of each cluster is kept).</p>']
    if sizes:
        html.append('<p>Clusters by size (documents per cluster):</p>'
                    + hbars([(f"size {size}", count, f"{count:,} clusters of {size} documents")
                             for size, count in sizes[:30]], width=560))
    verification = summary.get("verification")
    if verification:
        scalars = {k: v for k, v in verification.items() if isinstance(v, (int, float))}
        html.append('<p>Verification of candidate pairs (true similarity checked): '
                    + escape(", ".join(f"{k.replace('_', ' ')}: {number(v)}"
                                       for k, v in scalars.items())) + '</p>')
        for pair in verification.get("rejected_samples", [])[:3]:
            html.append(f'<details><summary>rejected candidate pair: similarity '
                        f'{number(pair["similarity"])}, below the threshold</summary>'
                        f'<div class="doc">{escape(pair.get("text") or "")}</div>'
                        f'<div class="doc">{escape(pair.get("other_text") or "")}</div></details>')
    measure = summary.get("similarity_measure", "")
    for cluster in summary.get("largest_clusters", [])[:5]:
        if cluster.get("members"):
            html.append(_cluster_members(cluster, measure))
            continue
        docs = "".join(f'<div class="doc">{escape(text or "")}</div>'
                       for text in cluster.get("samples", []))
        html.append(f'<details><summary>cluster of {number(cluster["size"])} documents: the '
                    f'kept one and a duplicate</summary>{docs}</details>')
    return "".join(html)


def _cluster_members(cluster: dict, measure: str) -> str:
    """A cluster a reader can check: each shown member's row and file, its similarity to
    the kept document and a diff against it."""
    members = cluster["members"]
    kept = members[0]
    how = ("the operator's own similarity" if measure.endswith(".similarity")
           else "Jaccard similarity of the word sets")
    rows = "".join(
        f'<tr><td>{"kept" if i == 0 else "duplicate"}</td><td class="n">{member["row"]}</td>'
        f'<td>{escape(os.path.basename(str(member.get("file") or "")))}</td>'
        f'<td class="n">{number(member["similarity"])}</td></tr>'
        for i, member in enumerate(members))
    diffs = "".join(
        f'<p class="muted">row {member["row"]}: the same text as the kept row.</p>'
        if member["text"] == kept["text"] else
        f'<p class="muted">row {member["row"]} against the kept row {kept["row"]} '
        f'(similarity {number(member["similarity"])}):</p>'
        + _diff({"before": kept["text"], "after": member["text"], "row": member["row"]})
        for member in members[1:])
    more = cluster["size"] - len(members)
    return (f'<details class="cluster"><summary>cluster of {number(cluster["size"])} documents, '
            f'kept row {cluster["kept_row"]}</summary>'
            f'<table><tr><th>fate</th><th class="n">row id</th><th>input file</th>'
            f'<th class="n">similarity to the kept one ({escape(how)})</th></tr>{rows}</table>'
            + (f'<p class="muted">{number(more)} more members not shown.</p>' if more > 0 else "")
            + f'<div class="doc member">{escape(kept["text"])}</div>{diffs}</details>')


def _groups(report: dict) -> str:
    groups = report.get("groups")
    if not groups:
        why = ("An analysis drops nothing, so it has no drop rates per group."
               if report.get("mode") == "analyze" else
               "No field to group by: name some with <code>output.group_by</code> (e.g. "
               "<code>[source, lang]</code>) or <code>juicer report OUT --group-by FIELD</code>.")
        return _section("groups", f'<p class="muted">{why}</p>')
    html = ['<p>Documents kept and dropped per value of a field, counted in '
            '<code>data/</code> and <code>dropped/</code> (quarantined records are in the '
            'quarantine section).</p>']
    for name, entry in groups.items():
        if "skipped" in entry:
            html.append(f'<h3>by {escape(name)}</h3><p class="muted">{escape(entry["skipped"])}</p>')
            continue
        rows = entry["values"]
        html.append(f'<h3>by {escape(name)} ({number(entry["distinct"])} values)</h3>'
                    '<table><tr><th>value</th><th class="n">documents</th><th class="n">kept</th>'
                    '<th class="n">dropped</th><th class="n">drop rate</th>'
                    '<th>top drop reasons</th></tr>')
        for row in rows:
            reasons = ", ".join(f"{escape(reason)} {number(n)}"
                                for reason, n in list(row["reasons"].items())[:3])
            html.append(f'<tr><td>{escape(row["value"])}</td><td class="n">{number(row["documents"])}</td>'
                        f'<td class="n">{number(row["kept"])}</td><td class="n">{number(row["dropped"])}</td>'
                        f'<td class="n">{_share(row["dropped"], row["documents"])}</td>'
                        f'<td>{reasons}</td></tr>')
        rest = entry.get("rest", {})
        if rest.get("values"):
            html.append(f'<tr><td class="muted">{number(rest["values"])} more values</td>'
                        f'<td class="n">{number(rest["documents"])}</td><td class="n">{number(rest["kept"])}</td>'
                        f'<td class="n">{number(rest["dropped"])}</td>'
                        f'<td class="n">{_share(rest["dropped"], rest["documents"])}</td><td></td></tr>')
        html.append('</table><p>' + csv_link(
            f"groups_{name}.csv", [name, "documents", "kept", "dropped", "reasons"],
            [[r["value"], r["documents"], r["kept"], r["dropped"],
              "; ".join(f"{k}={v}" for k, v in r["reasons"].items())] for r in rows],
            "Download as CSV") + '</p>')
    return _section("groups", "".join(html))


def _mappers(report: dict) -> str:
    html = []
    for step in report["steps"]:
        if "changed_docs" not in step or "dedup" in step:
            continue
        samples = step.get("samples", {}).get("changed", [])
        diffs = "".join(_diff(sample) for sample in samples)
        html.append(f'<h3>{_title(step)}: '
                    f'{number(step["changed_docs"])} of {number(step["docs_in"])} documents changed '
                    f'({_share(step["changed_docs"], step["docs_in"])})</h3>'
                    + (f'<details><summary>{len(samples)} before/after samples</summary>{diffs}</details>'
                       if samples else ""))
    if not html:
        html.append('<p class="muted">No step of this recipe rewrites documents.</p>')
    return _section("mappers", "".join(html))


_TOKEN = re.compile(r"\s+|\w+|[^\w\s]", re.UNICODE)


def _diff(sample: dict) -> str:
    """Word-level diff: deletions struck through in red, insertions in green."""
    before, after = sample.get("before") or "", sample.get("after") or ""
    old, new = _TOKEN.findall(before), _TOKEN.findall(after)
    parts = []
    for op, a1, a2, b1, b2 in difflib.SequenceMatcher(None, old, new, autojunk=False).get_opcodes():
        if op == "equal":
            parts.append(escape("".join(old[a1:a2])))
            continue
        if a2 > a1:
            parts.append(f"<del>{escape(''.join(old[a1:a2]))}</del>")
        if b2 > b1:
            parts.append(f"<ins>{escape(''.join(new[b1:b2]))}</ins>")
    offset = f"from character {sample['offset']:,}: " if sample.get("offset") else ""
    return (f'<div class="doc" title="row {sample["row"]}"><span class="muted">{offset}</span>'
            + "".join(parts) + "</div>")


def _quarantine(report: dict) -> str:
    quarantine = report.get("quarantine", {})
    if not report.get("quarantined_docs"):
        return _section("quarantine", '<p class="ok">No record was quarantined: every input '
                                      'record was readable and no operator failed.</p>')
    by_error = quarantine.get("by_error", {})
    by_file = quarantine.get("by_file", {})
    html = [f'<p>{number(report["quarantined_docs"])} records set aside in '
            '<code>quarantine/</code> with their file, line or row and error.</p>',
            '<h3>By error</h3>', hbars([(k, v, f"{v:,} × {k}") for k, v in by_error.items()],
                                       color=DROPPED),
            '<h3>By file</h3><table><tr><th>file</th><th class="n">records</th></tr>']
    html += [f'<tr><td>{escape(str(k))}</td><td class="n">{number(v)}</td></tr>'
             for k, v in list(by_file.items())[:20]]
    html.append('</table><h3>Samples</h3><table><tr><th>file</th><th>line</th><th>row</th>'
                '<th>error</th></tr>')
    html += [f'<tr><td>{escape(str(s.get("file")))}</td><td class="n">{number(s.get("line"))}</td>'
             f'<td class="n">{number(s.get("row"))}</td><td>{escape(str(s.get("error")))}</td></tr>'
             for s in quarantine.get("samples", [])]
    html.append("</table>")
    return _section("quarantine", "".join(html))


def _kept(report: dict) -> str:
    samples = report.get("kept_samples", [])
    if not samples:
        return _section("samples", '<p class="muted">No document was kept.</p>')
    html = [f'<p>{len(samples)} kept documents picked at random (the same ones on every '
            'executor and sharding).</p>']
    for sample in samples:
        fields = ", ".join(f"{k}: {v}" for k, v in sample.get("fields", {}).items())
        html.append(f'<div class="doc keep" title="row {sample["row"]}">'
                    + (f'<span class="muted">{escape(fields)}</span>\n' if fields else "")
                    + f'{escape(sample.get("text") or "")}</div>')
    return _section("samples", "".join(html))


def _calibration(calibration: dict) -> str:
    tokens = (f' and {number(calibration["kept_tokens"])} {escape(calibration["tokenizer"])} tokens'
              if "kept_tokens" in calibration else "")
    if calibration.get("budget_tokens"):
        goal = f'{number(calibration["budget_tokens"])} tokens'
    elif calibration.get("budget_chars"):
        goal = f'{number(calibration["budget_chars"])} characters'
    else:
        goal = f'{100 * calibration["target"]:.1f}% of the documents'
    html = [f'<p>Thresholds proposed to keep {goal} (filters only); on this data they keep '
            f'{100 * calibration["achieved"]:.1f}% of the documents, '
            f'{number(calibration.get("kept_characters"))} characters{tokens}. '
            f'Written to <code>{escape(str(calibration.get("recipe_path", "")))}</code>.</p>',
            '<table><tr><th>step</th><th>param</th><th>stat</th><th class="n">was</th>'
            '<th class="n">proposed</th><th class="n">step keeps</th></tr>']
    for row in calibration["thresholds"]:
        html.append(f'<tr><td>{escape(row["step"])}</td><td>{escape(row["param"])}</td>'
                    f'<td>{escape(row["stat"])}</td><td class="n">{number(row["was"])}</td>'
                    f'<td class="n">{number(row["proposed"])}</td>'
                    f'<td class="n">{_share(row["step_kept"], calibration["documents"])}</td></tr>')
    html.append("</table>")
    return f'<section id="calibration"><h2>Calibration</h2>{"".join(html)}</section>'


def render_path(out_dir: str, report: Optional[dict] = None) -> str:
    """(Re)write OUT_DIR/report.html from OUT_DIR/report.json (OUT_DIR may be a URL)."""
    from juicer.io import fs
    from juicer.io.writers import read_json

    if report is None:
        report = read_json(fs.join(out_dir, "report.json"))
    return write(report, fs.join(out_dir, "report.html"))
