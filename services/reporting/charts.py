"""Bar charts as inline SVG, drawn here (no chart library, nothing fetched by the page)."""

from __future__ import annotations

from html import escape

PALETTE = ("#1f5f8b", "#e08a1e", "#3c8d5a", "#9b3d6b", "#6b6b6b")


def bar_chart(title: str, bars: list[tuple[str, float]], *, unit: str = "", width: int = 640,
              bar_height: int = 22, colour: str = PALETTE[0]) -> str:
    """Horizontal bars with the value written next to each; `title` is the accessible name."""
    if not bars:
        return f'<p class="empty">{escape(title)}: geen gegevens / no data</p>'
    label_width, gap = 170, 8
    top = max((v for _, v in bars), default=0) or 1
    room = width - label_width - 70
    height = len(bars) * (bar_height + gap) + gap
    parts = [f'<svg xmlns="http://www.w3.org/2000/svg" role="img" width="{width}" height="{height}"'
             f' viewBox="0 0 {width} {height}" aria-label="{escape(title)}"><title>{escape(title)}</title>']
    for i, (label, value) in enumerate(bars):
        y = gap + i * (bar_height + gap)
        length = max(round(room * value / top), 1 if value else 0)
        shown = f"{value:g}{unit}"
        parts.append(f'<text x="{label_width - 6}" y="{y + bar_height * 0.7:.1f}" text-anchor="end"'
                     f' font-size="12">{escape(label)}</text>'
                     f'<rect x="{label_width}" y="{y}" width="{length}" height="{bar_height}" fill="{colour}">'
                     f'<title>{escape(label)}: {escape(shown)}</title></rect>'
                     f'<text x="{label_width + length + 6}" y="{y + bar_height * 0.7:.1f}" font-size="12">'
                     f'{escape(shown)}</text>')
    parts.append("</svg>")
    return "".join(parts)
