"""Charts as inline SVG, drawn in Python for `/dashboard`: no charting library, no script,
nothing fetched. Every label passes through `markupsafe.escape`; the SVGs scale with their
container (a `viewBox`, width 100 %) and carry presentation attributes, so they draw the
same without the stylesheet."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

from markupsafe import Markup, escape

WIDTH = 560
INK, MUTED, GRID, BAR = "#1d2330", "#667085", "#e3e6ec", "#2563eb"
TARGET = "#b91c1c"
FONT = 'font-family="system-ui, sans-serif"'
LABEL_CHARS = 24


@dataclass(frozen=True, slots=True)
class Bar:
    """One row of a bar chart: its value, an optional interval, the text at its end."""

    label: str
    value: float
    text: str
    low: float | None = None
    high: float | None = None
    color: str = BAR


def _svg(height: float, title: str, body: list[str]) -> Markup:
    head = (f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {WIDTH} {height:g}" '
            f'width="100%" role="img" aria-label="{escape(title)}" class="chart" {FONT}>'
            f"<title>{escape(title)}</title>")
    return Markup(head + "".join(body) + "</svg>")  # noqa: S704 - every part escaped above


def _text(x: float, y: float, text: str, *, anchor: str = "start", size: int = 12,
          color: str = INK, weight: str = "normal") -> str:
    return (f'<text x="{x:.1f}" y="{y:.1f}" text-anchor="{anchor}" font-size="{size}" '
            f'fill="{color}" font-weight="{weight}">{escape(text)}</text>')


def _short(label: str) -> str:
    return label if len(label) <= LABEL_CHARS else label[:LABEL_CHARS - 1] + "…"


def empty(title: str, message: str = "No data in this window yet.") -> Markup:
    return _svg(60, title, [_text(WIDTH / 2, 35, message, anchor="middle", color=MUTED)])


def bars(title: str, rows: Sequence[Bar], *, top: float | None = None) -> Markup:
    """Horizontal bars in the order given, with whiskers where a row has an interval and
    each row's text in a column on the right. `top` is the axis maximum (default: the
    largest value or interval end)."""
    if not rows:
        return empty(title)
    scale = top or max(max(r.value, r.high or 0.0) for r in rows) or 1.0
    left, right, row_h = 180.0, 350.0, 28.0
    body = []
    for i, row in enumerate(rows):
        y = 10 + i * row_h
        width = max(0.0, min(row.value / scale, 1.0)) * (right - left)
        body.append(f'<g><title>{escape(row.label)}: {escape(row.text)}</title>'
                    + _text(left - 8, y + 15, _short(row.label), anchor="end")
                    + f'<rect x="{left}" y="{y + 3:.1f}" width="{width:.1f}" height="18" '
                      f'rx="3" fill="{row.color}" opacity="0.85"/>')
        if row.low is not None and row.high is not None:
            body.append(_whisker(left, right, scale, low=row.low, high=row.high, y=y + 12))
        body.append(_text(right + 10, y + 16, row.text, size=11, color=MUTED) + "</g>")
    bottom = 10 + len(rows) * row_h
    body.append(f'<line x1="{left}" y1="6" x2="{left}" y2="{bottom:.1f}" stroke="{GRID}"/>'
                f'<line x1="{right}" y1="6" x2="{right}" y2="{bottom:.1f}" stroke="{GRID}" '
                'stroke-dasharray="2 3"/>')
    return _svg(bottom + 10, title, body)


def _whisker(left: float, right: float, scale: float, *, low: float, high: float,
             y: float) -> str:
    x1 = left + max(0.0, min(low / scale, 1.0)) * (right - left)
    x2 = left + max(0.0, min(high / scale, 1.0)) * (right - left)
    cap = 6
    return (f'<path d="M{x1:.1f},{y:.1f}H{x2:.1f}M{x1:.1f},{y - cap:.1f}V{y + cap:.1f}'
            f'M{x2:.1f},{y - cap:.1f}V{y + cap:.1f}" stroke="{INK}" stroke-width="1.5" '
            'fill="none" class="whisker"/>')


def histogram(title: str, buckets: Sequence[tuple[float, float | None, int]], *,
              marker: float | None = None, marker_label: str = "") -> Markup:
    """Equal-width columns for (low, high, count) buckets, labelled by range, with a dashed
    vertical line at the bucket edge equal to `marker` (the 10 s target)."""
    if not buckets or not any(count for _, _, count in buckets):
        return empty(title, "No accepted handoffs in this window yet.")
    left, right, top, bottom = 40.0, WIDTH - 10.0, 26.0, 180.0
    step = (right - left) / len(buckets)
    peak = max(count for _, _, count in buckets)
    body = [f'<line x1="{left}" y1="{bottom}" x2="{right}" y2="{bottom}" stroke="{GRID}"/>',
            _text(left - 6, top + 4, str(peak), anchor="end", size=10, color=MUTED),
            _text(left - 6, bottom, "0", anchor="end", size=10, color=MUTED)]
    for i, (low, high, count) in enumerate(buckets):
        x = left + i * step
        h = (bottom - top) * count / peak
        span = f"{low:g}+" if high is None else f"{low:g}–{high:g}"
        body.append(f'<g><title>{escape(span)} s: {count}</title>'
                    f'<rect x="{x + 2:.1f}" y="{bottom - h:.1f}" width="{step - 4:.1f}" '
                    f'height="{h:.1f}" fill="{BAR}" opacity="0.85"/></g>')
        body.append(_text(x, bottom + 16, f"{low:g}", anchor="middle", size=10,
                          color=MUTED))
        if count:
            body.append(_text(x + step / 2, bottom - h - 4, str(count), anchor="middle",
                              size=10))
    body.append(_text(right, bottom + 16, "+", anchor="middle", size=10, color=MUTED))
    edges = [low for low, _, _ in buckets]
    if marker is not None and marker in edges:
        x = left + edges.index(marker) * step
        body.append(f'<line x1="{x:.1f}" y1="{top - 12}" x2="{x:.1f}" y2="{bottom}" '
                    f'stroke="{TARGET}" stroke-width="2" stroke-dasharray="5 3" '
                    'class="target"/>')
        body.append(_text(x + 4, top - 4, marker_label, size=11, color=TARGET, weight="bold"))
    body.append(_text((left + right) / 2, bottom + 34, "seconds from escalation to pickup",
                      anchor="middle", size=11, color=MUTED))
    return _svg(bottom + 42, title, body)


def scale_text(value: float | None, low: float | None, high: float | None, n: int,
               fmt: Callable[[float], str]) -> str:
    """`4.6 (4.3–4.8) · n=12`, or `no data`."""
    if value is None:
        return "no data"
    interval = f" ({fmt(low)}–{fmt(high)})" if low is not None and high is not None else ""
    return f"{fmt(value)}{interval} · n={n}"


def percent(value: float) -> str:
    return f"{value * 100:.0f} %" if value >= 0.1 or value == 0 else f"{value * 100:.1f} %"


#: Colours of the stacked parts of `columns`, in order (colour-blind-safe Okabe-Ito hues).
PARTS = ("#0072b2", "#e69f00", "#009e73", "#cc79a7", "#d55e00", "#56b4e9")


@dataclass(frozen=True, slots=True)
class Column:
    """One column of `columns`: its height, an optional interval, and the parts it splits
    into (name, share of the height; the shares of a column add up to 1)."""

    label: str
    value: float | None
    text: str
    low: float | None = None
    high: float | None = None
    parts: tuple[tuple[str, float], ...] = ()


def columns(title: str, cols: Sequence[Column], legend: Sequence[str], *,
            fmt: Callable[[float], str]) -> Markup:
    """Vertical columns in the order given, each split into coloured parts (the legend's
    order), with a whisker for its interval; a column without a value leaves a gap."""
    if not cols or all(c.value is None for c in cols):
        return empty(title)
    left, right, top, bottom = 44.0, WIDTH - 10.0, 30.0, 170.0
    scale = max(max(c.value or 0.0, c.high or 0.0) for c in cols) or 1.0
    step = (right - left) / len(cols)
    colour = {name: PARTS[i % len(PARTS)] for i, name in enumerate(legend)}
    body = [f'<line x1="{left}" y1="{bottom}" x2="{right}" y2="{bottom}" stroke="{GRID}"/>',
            _text(left - 6, top + 4, fmt(scale), anchor="end", size=10, color=MUTED),
            _text(left - 6, bottom, fmt(0.0), anchor="end", size=10, color=MUTED)]
    for i, name in enumerate(legend):
        x = left + i * 110
        body.append(f'<rect x="{x:.1f}" y="4" width="10" height="10" fill="{colour[name]}"/>'
                    + _text(x + 14, 13, _short(name.replace("_", " ")), size=10))
    for i, col in enumerate(cols):
        x = left + i * step
        if i % max(1, len(cols) // 6) == 0:  # at most ~6 labels under the axis
            body.append(_text(x + step / 2, bottom + 14, col.label, anchor="middle", size=9,
                              color=MUTED))
        if col.value is None:
            continue
        y, parts = bottom, [f"<title>{escape(col.label)}: {escape(col.text)}</title>"]
        for name, share in col.parts or (("all", 1.0),):
            h = (bottom - top) * col.value / scale * share
            y -= h
            parts.append(f'<rect x="{x + 2:.1f}" y="{y:.1f}" width="{max(1.0, step - 4):.1f}" '
                         f'height="{h:.1f}" fill="{colour.get(name, BAR)}" opacity="0.9"/>')
        if col.low is not None and col.high is not None:
            cx = x + step / 2
            y1 = bottom - (bottom - top) * col.low / scale
            y2 = bottom - (bottom - top) * col.high / scale
            parts.append(f'<path d="M{cx:.1f},{y1:.1f}V{y2:.1f}M{cx - 4:.1f},{y1:.1f}'
                         f'H{cx + 4:.1f}M{cx - 4:.1f},{y2:.1f}H{cx + 4:.1f}" stroke="{INK}" '
                         'stroke-width="1.2" fill="none" class="whisker"/>')
        body.append("<g class=\"column\">" + "".join(parts) + "</g>")
    return _svg(bottom + 24, title, body)
