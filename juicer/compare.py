"""`juicer report A --compare B`: what changed between two runs (recipes, thresholds or
data), as one self-contained HTML page: counts, the funnels side by side, drops per rule
and how each statistic's distribution moved."""
from __future__ import annotations

import os
from html import escape

from juicer.charts import number
from juicer.report_html import CSS

SHIFT_QUANTILES = ("p5", "p25", "p50", "p75", "p95")


def render(first: dict, second: dict, names: tuple[str, str] = ("A", "B")) -> str:
    a, b = (escape(n) for n in names)
    title = f"Juicer comparison: {names[0]} vs {names[1]}"
    body = [_counts(first, second, a, b), _funnel(first, second, a, b),
            _rules(first, second, a, b), _shifts(first, second, a, b)]
    return "".join([
        '<!DOCTYPE html><html lang="en"><head><meta charset="utf-8">',
        f"<title>{escape(title)}</title><style>{CSS}</style></head><body>",
        f'<header><h1>{escape(title)}</h1><div class="meta">{a}: {escape(str(first.get("recipe")))} '
        f'({escape(str(first.get("started_at")))}) · {b}: {escape(str(second.get("recipe")))} '
        f'({escape(str(second.get("started_at")))})</div></header>',
        '<nav><a href="#counts">Counts</a><a href="#funnel">Funnel</a><a href="#rules">Drops '
        'per rule</a><a href="#shifts">Statistics</a></nav>',
        "<main>", *body, "</main></body></html>\n"])


def write(first_dir: str, second_dir: str, path: str) -> str:
    from juicer.io.writers import read_json, write_text

    reports = []
    for directory in (first_dir, second_dir):
        report_path = os.path.join(directory, "report.json")
        if not os.path.exists(report_path):
            from juicer.errors import JuicerError

            raise JuicerError(f"'{directory}' holds no finished run (no report.json)")
        reports.append(read_json(report_path))
    names = (os.path.basename(os.path.normpath(first_dir)), os.path.basename(os.path.normpath(second_dir)))
    if names[0] == names[1]:
        names = (first_dir, second_dir)
    write_text(render(reports[0], reports[1], names), path)
    return path


def _delta(x, y) -> str:
    if not isinstance(x, (int, float)) or not isinstance(y, (int, float)):
        return "–"
    change = y - x
    sign = "+" if change > 0 else ""
    relative = f" ({sign}{100 * change / x:.1f}%)" if x else ""
    return f"{sign}{number(change)}{relative}"


def _row(label: str, x, y) -> str:
    return (f'<tr><td>{escape(label)}</td><td class="n">{number(x)}</td><td class="n">{number(y)}</td>'
            f'<td class="n">{_delta(x, y)}</td></tr>')


def _header(*columns: str) -> str:
    return "<tr>" + "".join(f'<th{" class=n" if i else ""}>{c}</th>' for i, c in enumerate(columns)) + "</tr>"


def _counts(first: dict, second: dict, a: str, b: str) -> str:
    rows = [_row(key.replace("_", " "), first.get(key), second.get(key))
            for key in ("input_docs", "kept_docs", "dropped_docs", "quarantined_docs",
                        "input_chars", "kept_chars", "input_tokens", "kept_tokens", "seconds")
            if key in first or key in second]
    return f'<section id="counts"><h2>Counts</h2><table>{_header("", a, b, "change")}{"".join(rows)}</table></section>'


def _steps(report: dict) -> dict:
    return {step["id"]: step for step in report.get("steps", [])}


def _funnel(first: dict, second: dict, a: str, b: str) -> str:
    left, right = _steps(first), _steps(second)
    order = list(left) + [s for s in right if s not in left]
    rows = []
    for step_id in order:
        x, y = left.get(step_id, {}), right.get(step_id, {})
        gone_x = sum(x.get("drops_by_rule", {}).values()) if x else None
        gone_y = sum(y.get("drops_by_rule", {}).values()) if y else None
        where = "" if x and y else f' <span class="muted">(only in {a if x else b})</span>'
        rows.append(f'<tr><td>{escape(step_id)}{where}</td><td class="n">{number(x.get("docs_out"))}</td>'
                    f'<td class="n">{number(y.get("docs_out"))}</td><td class="n">{number(gone_x)}</td>'
                    f'<td class="n">{number(gone_y)}</td><td class="n">{_delta(gone_x, gone_y)}</td></tr>')
    return (f'<section id="funnel"><h2>Funnel</h2><p>Documents after each step and dropped by it.</p>'
            f'<table>{_header("step", f"out {a}", f"out {b}", f"dropped {a}", f"dropped {b}", "change")}'
            f'{"".join(rows)}</table></section>')


def _rules(first: dict, second: dict, a: str, b: str) -> str:
    left, right = _steps(first), _steps(second)
    rows = []
    for step_id in list(left) + [s for s in right if s not in left]:
        x = left.get(step_id, {}).get("drops_by_rule", {})
        y = right.get(step_id, {}).get("drops_by_rule", {})
        for rule in sorted(set(x) | set(y)):
            rows.append(_row(f"{step_id}:{rule}", x.get(rule, 0), y.get(rule, 0)))
    body = f'<table>{_header("drop reason", a, b, "change")}{"".join(rows)}</table>' if rows else \
        '<p class="muted">Neither run dropped a document.</p>'
    return f'<section id="rules"><h2>Drops per rule</h2>{body}</section>'


def _shifts(first: dict, second: dict, a: str, b: str) -> str:
    left, right = _steps(first), _steps(second)
    html = ['<p>Quantiles of each statistic over the documents that reached its step, and how '
            'far the median moved.</p>']
    for step_id, step in left.items():
        other = right.get(step_id)
        if not other:
            continue
        for name, summary in sorted(step.get("stats", {}).items()):
            theirs = other.get("stats", {}).get(name)
            if not theirs:
                continue
            mine_q, their_q = summary.get("quantiles", {}), theirs.get("quantiles", {})
            rows = [_row(q, mine_q.get(q), their_q.get(q)) for q in SHIFT_QUANTILES]
            rows.append(_row("count", summary.get("count"), theirs.get("count")))
            html.append(f'<h3><code>{escape(step_id)}</code> · {escape(name)}</h3>'
                        f'<table>{_header("", a, b, "change")}{"".join(rows)}</table>')
    if len(html) == 1:
        html.append('<p class="muted">No statistic is in both runs.</p>')
    return f'<section id="shifts"><h2>Statistics</h2>{"".join(html)}</section>'
