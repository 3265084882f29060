"""Inline SVG charts for the HTML report: no script, no external file, readable offline.
Every label is escaped; every bar has a <title> (the browser's tooltip) with exact values."""
from __future__ import annotations

import math
from html import escape
from typing import Optional, Sequence

KEPT, DROPPED, NEUTRAL, BEFORE = "#2e7d32", "#d84315", "#1565c0", "#90a4ae"


def number(value) -> str:
    """A value for people: thousands separators, at most 4 significant digits for floats."""
    if value is None:
        return "–"
    if isinstance(value, bool):
        return str(value).lower()
    if isinstance(value, int):
        return f"{value:,}"
    if isinstance(value, float):
        if value != value:
            return "NaN"
        if abs(value) >= 1e6 or (0 < abs(value) < 1e-3):
            return f"{value:.3g}"
        if value == int(value) and abs(value) < 1e15:
            return f"{int(value):,}"
        return f"{value:,.4g}" if abs(value) < 1000 else f"{value:,.1f}"
    return escape(str(value))


def hbars(rows: Sequence[tuple[str, float, str]], *, width: int = 640, color: str = NEUTRAL,
          total: Optional[float] = None) -> str:
    """Horizontal bars: (label, value, tooltip) each, scaled to `total` or the largest."""
    if not rows:
        return ""
    label_width, bar_height, gap = 220, 18, 6
    scale = total or max((value for _, value, _ in rows), default=0) or 1
    room = width - label_width - 90
    height = len(rows) * (bar_height + gap) + gap
    parts = [f'<svg class="chart" role="img" width="{width}" height="{height}" '
             f'viewBox="0 0 {width} {height}" xmlns="http://www.w3.org/2000/svg">']
    for index, (label, value, tip) in enumerate(rows):
        y = gap + index * (bar_height + gap)
        length = max(room * value / scale, 1 if value else 0)
        parts.append(
            f'<g><title>{escape(tip)}</title>'
            f'<text x="{label_width - 8}" y="{y + 13}" text-anchor="end">{escape(_short(label, 32))}</text>'
            f'<rect x="{label_width}" y="{y}" width="{length:.1f}" height="{bar_height}" fill="{color}"/>'
            f'<text x="{label_width + length + 6:.1f}" y="{y + 13}">{number(value)}</text></g>')
    parts.append("</svg>")
    return "".join(parts)


def paired_hbars(rows: Sequence[tuple[str, float, float]], *, names=("before", "after"),
                 width: int = 640) -> str:
    """Two bars per label (e.g. documents before and after a step)."""
    if not rows:
        return ""
    label_width, bar_height, gap = 120, 9, 8
    scale = max((max(a, b) for _, a, b in rows), default=0) or 1
    room = width - label_width - 90
    height = len(rows) * (2 * bar_height + gap) + gap + 18
    parts = [f'<svg class="chart" role="img" width="{width}" height="{height}" '
             f'viewBox="0 0 {width} {height}" xmlns="http://www.w3.org/2000/svg">',
             _legend([(BEFORE, names[0]), (KEPT, names[1])], label_width, 12)]
    for index, (label, first, second) in enumerate(rows):
        y = 22 + index * (2 * bar_height + gap)
        parts.append(f'<g><title>{escape(label)}: {names[0]} {first:,}, {names[1]} {second:,}</title>'
                     f'<text x="{label_width - 8}" y="{y + 13}" text-anchor="end">{escape(_short(label, 14))}</text>')
        for offset, value, color in ((0, first, BEFORE), (bar_height, second, KEPT)):
            length = max(room * value / scale, 1 if value else 0)
            parts.append(f'<rect x="{label_width}" y="{y + offset}" width="{length:.1f}" '
                         f'height="{bar_height - 1}" fill="{color}"/>')
        parts.append(f'<text x="{label_width + room * max(first, second) / scale + 6:.1f}" '
                     f'y="{y + 13}">{number(first)} → {number(second)}</text></g>')
    parts.append("</svg>")
    return "".join(parts)


def histogram(edges: Sequence[float], all_counts: Sequence[int], kept_counts: Sequence[int],
              thresholds: Sequence[tuple[float, str]] = (), *, width: int = 640,
              height: int = 190, names=("kept", "dropped"), clamped: bool = False,
              log: bool = False) -> str:
    """Stacked histogram (kept below, the rest above) with dashed threshold lines. When
    `clamped`, the end bins also hold the values beyond them (labelled ≤ and ≥); `log`
    places the (log-spaced) edges on a log axis."""
    if not edges or not any(all_counts):
        return '<p class="muted">no values</p>'
    left, right, top, bottom = 48, 12, 22, 34
    plot_w, plot_h = width - left - right, height - top - bottom
    low, high = edges[0], edges[-1]
    log = log and low > 0
    if log:
        def position(value: float) -> float:
            return left + plot_w * math.log(value / low) / (math.log(high / low) or 1.0)
    else:
        def position(value: float) -> float:
            return left + plot_w * (value - low) / ((high - low) or 1.0)
    peak = max(all_counts) or 1
    bin_w = plot_w / len(all_counts)
    # one line of text per threshold below the axis: the chart grows by the extra lines
    svg_h = height + 13 * max(len(thresholds) - 1, 0)
    parts = [f'<svg class="chart" role="img" width="{width}" height="{svg_h}" '
             f'viewBox="0 0 {width} {svg_h}" xmlns="http://www.w3.org/2000/svg">',
             _legend([(KEPT, names[0])] + ([(DROPPED, names[1])] if names[1] else []), left, 12),
             f'<line x1="{left}" y1="{top + plot_h}" x2="{left + plot_w}" y2="{top + plot_h}" stroke="#888"/>',
             f'<text x="{left - 6}" y="{top + 10}" text-anchor="end">{number(peak)}</text>',
             f'<text x="{left - 6}" y="{top + plot_h}" text-anchor="end">0</text>',
             f'<text x="{width - right}" y="12" text-anchor="end" fill="#777">'
             f'{"log scale" if log else ""}</text>']
    for index, (total, kept) in enumerate(zip(all_counts, kept_counts)):
        if not total:
            continue
        x = left + index * bin_w
        lo, hi = edges[index], edges[index + 1] if index + 1 < len(edges) else high
        kept_h, total_h = plot_h * kept / peak, plot_h * total / peak
        parts.append(f'<g><title>{number(lo)} – {number(hi)}: {total:,} documents, '
                     f'{kept:,} {names[0]}, {total - kept:,} {names[1]}</title>'
                     f'<rect x="{x + 0.5:.1f}" y="{top + plot_h - total_h:.1f}" width="{max(bin_w - 1, 1):.1f}" '
                     f'height="{total_h - kept_h:.1f}" fill="{DROPPED}"/>'
                     f'<rect x="{x + 0.5:.1f}" y="{top + plot_h - kept_h:.1f}" width="{max(bin_w - 1, 1):.1f}" '
                     f'height="{kept_h:.1f}" fill="{KEPT}"/></g>')
    for tick in range(5):
        value = low * (high / low) ** (tick / 4) if log else low + (high - low) * tick / 4
        x = left + plot_w * tick / 4
        anchor = "start" if tick == 0 else "end" if tick == 4 else "middle"
        prefix = ("≤ " if tick == 0 else "≥ " if tick == 4 else "") if clamped else ""
        parts.append(f'<text x="{x:.1f}" y="{top + plot_h + 14}" text-anchor="{anchor}">'
                     f'{prefix}{number(value)}</text>')
    for row, (value, label) in enumerate(thresholds):
        inside = min(max(value, low), high)
        x = position(inside)
        # the range takes in every threshold among the values: one outside bounds nothing
        where = "" if inside == value else (" (below every document)" if value < low
                                            else " (above every document)")
        # one line of text per threshold, below the axis: names are never cut
        y = top + plot_h + 28 + 13 * row
        parts.append(f'<g class="threshold"><title>{escape(label)} = {number(value)}{where}</title>'
                     f'<line x1="{x:.1f}" y1="{top - 4}" x2="{x:.1f}" y2="{top + plot_h}" '
                     f'stroke="#000" stroke-width="1.5" stroke-dasharray="4 3"/>'
                     f'<text x="{x + 3 if x < width / 2 else x - 3:.1f}" y="{y}" '
                     f'text-anchor="{"start" if x < width / 2 else "end"}">'
                     f'{escape(label)} {number(value)}{escape(where)}</text></g>')
    parts.append("</svg>")
    return "".join(parts)


def csv_link(filename: str, header: Sequence[str], rows: Sequence[Sequence], label: str) -> str:
    """A link that saves `rows` as a CSV file, carried in the page itself (a data: URL):
    the report stays one self-contained file and needs no script."""
    import csv
    import io
    from urllib.parse import quote

    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(header)
    writer.writerows([["" if v is None else v for v in row] for row in rows])
    return (f'<a class="csv" download="{escape(filename)}" '
            f'href="data:text/csv;charset=utf-8,{quote(buffer.getvalue())}">{escape(label)}</a>')


def _legend(items, x: int, y: int) -> str:
    parts = []
    for color, name in items:
        parts.append(f'<rect x="{x}" y="{y - 9}" width="10" height="10" fill="{color}"/>'
                     f'<text x="{x + 14}" y="{y}">{escape(name)}</text>')
        x += 24 + 7 * len(name)
    return "".join(parts)


def _short(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[:limit - 1] + "…"
