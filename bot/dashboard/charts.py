"""Charts as inline SVG, drawn on the server: no script, nothing to load, readable on a 390-px phone (the SVG
scales to its container) and printable. Only presentation attributes, no style attributes: the page's
Content-Security-Policy allows no inline styles."""
from __future__ import annotations

from collections.abc import Sequence

from markupsafe import Markup, escape

BAR = "#2f6fb0"
ALERT = "#c0392b"
DONE = "#2e8b57"


def bars(items: Sequence[tuple[str, int]], *, links: Sequence[str | None] | None = None,
         colours: Sequence[str] | None = None, label_width: int = 96) -> Markup:
    """Horizontal bars, one per (label, value), each optionally a link to its list."""
    if not items:
        return Markup('<p class="muted">暂无数据</p>')
    top = max((v for _, v in items), default=0) or 1
    row, width = 26, 320
    span = width - label_width - 40
    parts = [f'<svg class="chart" viewBox="0 0 {width} {row * len(items) + 4}" role="img" '
             f'aria-label="{escape("、".join(f"{k} {v}" for k, v in items))}">']
    for n, (label, value) in enumerate(items):
        y = n * row + 2
        length = max(round(span * value / top), 1 if value else 0)
        colour = colours[n] if colours else BAR
        bar = (f'<text x="{label_width - 6}" y="{y + 17}" text-anchor="end" font-size="13">{escape(label)}</text>'
               f'<rect x="{label_width}" y="{y + 4}" width="{length}" height="16" rx="2" fill="{colour}"/>'
               f'<text x="{label_width + length + 6}" y="{y + 17}" font-size="13">{value}</text>')
        link = links[n] if links else None
        parts.append(f'<a href="{escape(link)}">{bar}</a>' if link else bar)
    parts.append("</svg>")
    return Markup("".join(parts))


def columns(items: Sequence[tuple[str, int]], *, links: Sequence[str | None] | None = None) -> Markup:
    """Vertical bars over time (hazards found per month)."""
    top = max((v for _, v in items), default=0) or 1
    width, height, base = 320, 150, 126
    step = width / max(len(items), 1)
    parts = [f'<svg class="chart" viewBox="0 0 {width} {height}" role="img" '
             f'aria-label="{escape("、".join(f"{k} {v}" for k, v in items))}">',
             f'<line x1="0" y1="{base}" x2="{width}" y2="{base}" stroke="#999" stroke-width="1"/>']
    for n, (label, value) in enumerate(items):
        x = n * step + step * 0.15
        h = round(100 * value / top)
        bar = (f'<rect x="{x:.1f}" y="{base - h}" width="{step * 0.7:.1f}" height="{h}" fill="{BAR}"/>'
               f'<text x="{x + step * 0.35:.1f}" y="{base - h - 3}" text-anchor="middle" font-size="11">'
               f'{value if value else ""}</text>'
               f'<text x="{x + step * 0.35:.1f}" y="{base + 15}" text-anchor="middle" font-size="10">'
               f'{escape(label[5:].lstrip("0"))}月</text>')
        link = links[n] if links else None
        parts.append(f'<a href="{escape(link)}">{bar}</a>' if link else bar)
    parts.append("</svg>")
    return Markup("".join(parts))


def progress(done: int, minimum: int) -> Markup:
    """A quota's progress bar: done of minimum, green once reached."""
    share = min(done / minimum, 1.0) if minimum else 1.0
    colour = DONE if done >= minimum else ALERT
    return Markup(f'<svg class="progress" viewBox="0 0 200 12" preserveAspectRatio="none" role="img" '
                  f'aria-label="{done}/{minimum}"><rect width="200" height="12" rx="3" fill="#e3e6ea"/>'
                  f'<rect width="{round(200 * share)}" height="12" rx="3" fill="{colour}"/></svg>')
