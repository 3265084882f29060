"""`juicer report A --compare B`: what changed between two runs (recipes, thresholds or
data), as one self-contained HTML page: counts, the funnels side by side, drops per rule
and how each statistic's distribution moved."""
from __future__ import annotations

import hashlib
import json
import os
from html import escape
from typing import Optional

import yaml

from juicer.report.charts import number
from juicer.errors import JuicerError
from juicer.report.html import CSS
from juicer.core.samples import clip

SHIFT_QUANTILES = ("p5", "p25", "p50", "p75", "p95")


def render(first: dict, second: dict, names: tuple[str, str] = ("A", "B"),
           recipes: tuple[Optional[dict], Optional[dict]] = (None, None),
           fates: Optional[dict] = None) -> str:
    """`recipes`: both runs' recipe.resolved.yaml (for the params that differ); `fates`:
    what `fate_changes` found (documents whose fate differs)."""
    a, b = (escape(n) for n in names)
    title = f"Juicer comparison: {names[0]} vs {names[1]}"
    body = [_counts(first, second, a, b), _params(recipes, a, b), _funnel(first, second, a, b),
            _rules(first, second, a, b), _fates(fates, a, b), _shifts(first, second, a, b)]
    return "".join([
        '<!DOCTYPE html><html lang="en"><head><meta charset="utf-8">',
        f"<title>{escape(title)}</title><style>{CSS}</style></head><body>",
        f'<header><h1>{escape(title)}</h1><div class="meta">{a}: {escape(str(first.get("recipe")))} '
        f'({escape(str(first.get("started_at")))}) · {b}: {escape(str(second.get("recipe")))} '
        f'({escape(str(second.get("started_at")))})</div></header>',
        '<nav><a href="#counts">Counts</a><a href="#params">Params</a><a href="#funnel">Funnel'
        '</a><a href="#rules">Drops per rule</a><a href="#fates">Changed fates</a>'
        '<a href="#shifts">Statistics</a></nav>',
        "<main>", *body, "</main></body></html>\n"])


def write(first_dir: str, second_dir: str, path: str, key: Optional[str] = None) -> str:
    from juicer.io.writers import read_json, write_text

    reports = []
    for directory in (first_dir, second_dir):
        report_path = os.path.join(directory, "report.json")
        if not os.path.exists(report_path):
            raise JuicerError(f"'{directory}' holds no finished run (no report.json)")
        reports.append(read_json(report_path))
    names = (os.path.basename(os.path.normpath(first_dir)), os.path.basename(os.path.normpath(second_dir)))
    if names[0] == names[1]:
        names = (first_dir, second_dir)
    recipes = tuple(_resolved(d) for d in (first_dir, second_dir))
    fates = fate_changes(first_dir, second_dir, key, recipes)
    write_text(render(reports[0], reports[1], names, recipes, fates), path)
    return path


def _resolved(directory: str) -> Optional[dict]:
    path = os.path.join(directory, "recipe.resolved.yaml")
    if not os.path.exists(path):
        return None
    with open(path, encoding="utf-8") as handle:
        return yaml.safe_load(handle)


# ------------------------------------------------------------------ params


def param_changes(first: Optional[dict], second: Optional[dict]) -> list[tuple]:
    """(step, param, value in the first, value in the second) for each param that differs,
    steps found in one recipe only as (step, "(step)", op or None, op or None)."""
    if not first or not second:
        return []
    steps = [{entry["id"]: entry for entry in recipe.get("pipeline", [])}
             for recipe in (first, second)]
    changes = []
    for step_id in list(steps[0]) + [s for s in steps[1] if s not in steps[0]]:
        x, y = steps[0].get(step_id), steps[1].get(step_id)
        if x is None or y is None or x["op"] != y["op"]:
            changes.append((step_id, "(step)", x and x["op"], y and y["op"]))
            continue
        params_x, params_y = x.get("params") or {}, y.get("params") or {}
        for name in sorted(set(params_x) | set(params_y)):
            if params_x.get(name) != params_y.get(name):
                changes.append((step_id, name, params_x.get(name), params_y.get(name)))
    return changes


def _params(recipes, a: str, b: str) -> str:
    if not all(recipes):
        body = '<p class="muted">A run lacks its recipe.resolved.yaml: params not compared.</p>'
    else:
        changes = param_changes(*recipes)
        rows = "".join(f'<tr><td><code>{escape(step)}</code></td><td>{escape(name)}</td>'
                       f'<td>{escape(_value(x))}</td><td>{escape(_value(y))}</td></tr>'
                       for step, name, x, y in changes)
        body = (f'<table>{_header("step", "param", a, b)}{rows}</table>' if changes else
                '<p>Both runs used the same steps with the same params.</p>')
    return f'<section id="params"><h2>Params and thresholds that differ</h2>{body}</section>'


def _value(value) -> str:
    if value is None:
        return "(none)"
    if isinstance(value, (int, float)) and not isinstance(value, bool) and abs(value) >= 1e15:
        return "no bound"
    return value if isinstance(value, str) else json.dumps(value, ensure_ascii=False)


# ------------------------------------------------------------------ fates

KEY_FIELDS = ("id", "doc_id", "document_id", "uuid", "url")
FATE_SAMPLES = 3


def fate_changes(first_dir: str, second_dir: str, key: Optional[str] = None,
                 recipes=(None, None)) -> dict:
    """Documents whose fate (kept, or dropped with which reason) differs between two runs,
    matched by `key` (default: the first of KEY_FIELDS both outputs hold with one value per
    document, else the text itself: a document a mapper rewrote in one run only then counts
    as unmatched; documents sharing a key count once, kept if one of them was). Returns
    {"key", "matched", "only_first", "only_second", "changes": [{"from", "to", "documents",
    "samples": [{"key", "text"}]}]}."""
    from juicer.report.groups import NO_VALUE

    text_fields = [_text_field(r) for r in recipes]
    runs = [_Outputs(d) for d in (first_dir, second_dir)]
    if key is not None and not all(key in run.names for run in runs):
        raise JuicerError(f"--key {key}: the outputs of both runs need that field",
                          hint="a field every document has once, such as id")
    first = second = None
    for name in [key] if key else [n for n in KEY_FIELDS if all(n in r.names for r in runs)]:
        (first, unique_first), (second, unique_second) = (run.fates(name) for run in runs)
        if key or (unique_first and unique_second):
            key = name
            break
    else:
        key = None
        first, second = (run.fates(t)[0] for run, t in zip(runs, text_fields))
    common = first.keys() & second.keys()
    changed: dict[tuple, list] = {}
    for value in common:
        if first[value] != second[value]:
            changed.setdefault((first[value], second[value]), []).append(value)
    ordered = sorted(changed.items(), key=lambda kv: (-len(kv[1]), kv[0]))
    picked = {fates: sorted(values, key=lambda v: hashlib.blake2b(str(v).encode()).digest())
              [:FATE_SAMPLES] for fates, values in ordered}
    # the samples' texts in one read of the second run (the text itself when it is the key)
    wanted = {v for values in picked.values() for v in values}
    texts = runs[1].texts(key, text_fields[1], wanted) if key else {v: v for v in wanted}
    changes = [{"from": was, "to": now, "documents": len(values),
                "samples": [{"key": v if key else None, "text": clip(texts.get(v) or NO_VALUE)}
                            for v in picked[(was, now)]]}
               for (was, now), values in ordered]
    return {"key": key, "matched": len(common), "only_first": len(first.keys() - common),
            "only_second": len(second.keys() - common), "changes": changes}


def _text_field(recipe: Optional[dict]) -> str:
    return ((recipe or {}).get("input") or {}).get("text_field") or "text"


class _Outputs:
    """One run's data/ and dropped/: its field names, each document's fate by a field, and
    the texts of some documents."""

    def __init__(self, directory: str):
        from juicer.report.groups import field_names, output_files

        self.files = {kind: output_files(os.path.join(directory, kind))
                      for kind in ("data", "dropped")}
        self.names = field_names(self.files["data"] + self.files["dropped"])

    def fates(self, name: str) -> tuple[dict, bool]:
        """({value: fate}, whether every document has its own value). Documents sharing a
        value (copies of one text) count once: kept when one of them was (data/ is read
        first), else the first drop reason found."""
        from juicer.core.batch import DROP_REASON
        from juicer.report.groups import read_columns

        fates: dict = {}
        unique = True
        for kind in ("data", "dropped"):
            columns = [name] + ([DROP_REASON] if kind == "dropped" else [])
            for table in read_columns(self.files[kind], columns):
                reasons = table.column(DROP_REASON).to_pylist() if kind == "dropped" \
                    else ["kept"] * table.num_rows
                for value, fate in zip(table.column(name).to_pylist(), reasons):
                    if not isinstance(value, (str, int, float)):  # null, list, object
                        unique = False
                        continue
                    if value in fates or isinstance(value, float):
                        unique = False  # an id is a string or an integer, once
                    fates.setdefault(value, fate)
        return fates, unique and bool(fates)

    def texts(self, name: str, text_field: str, wanted: set) -> dict:
        from juicer.report.groups import read_columns

        found: dict = {}
        for kind in ("data", "dropped"):
            for table in read_columns(self.files[kind], [name, text_field]):
                for value, text in zip(table.column(name).to_pylist(),
                                       table.column(text_field).to_pylist()):
                    if value in wanted and value not in found:
                        found[value] = text
        return found


def _fates(fates: Optional[dict], a: str, b: str) -> str:
    if fates is None:
        return ""
    how = (f"matched by their <code>{escape(fates['key'])}</code>" if fates["key"] else
           "matched by their text (no id field both outputs hold once per document; "
           "<code>--key FIELD</code> names one)")
    html = [f'<p>{number(fates["matched"])} documents in both runs, {how}; '
            f'{number(fates["only_first"])} only in {a}, {number(fates["only_second"])} only in '
            f'{b}.</p>']
    if not fates["changes"]:
        html.append('<p>No matched document changed its fate.</p>')
    else:
        html.append(f'<table>{_header(f"in {a}", f"in {b}", "documents")}')
        html += [f'<tr><td><code>{escape(c["from"])}</code></td><td><code>{escape(c["to"])}'
                 f'</code></td><td class="n">{number(c["documents"])}</td></tr>'
                 for c in fates["changes"]]
        html.append('</table>')
        for change in fates["changes"][:10]:
            docs = "".join(
                '<div class="doc">' + (f'<b>{escape(str(s["key"]))}</b>\n' if s["key"] else "")
                + f'{escape(s["text"])}</div>' for s in change["samples"])
            html.append(f'<details><summary>{escape(change["from"])} in {a}, '
                        f'{escape(change["to"])} in {b}: {number(change["documents"])} '
                        f'documents</summary>{docs}</details>')
    return f'<section id="fates"><h2>Documents whose fate changed</h2>{"".join(html)}</section>'


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
