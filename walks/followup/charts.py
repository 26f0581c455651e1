"""Charts drawn by the app: pure functions that return inline SVG (no chart library, no CDN).

Bars are horizontal so that long labels (walk titles, category names) fit a phone: each row has its
label on one line and its bar below. Every text that goes into the SVG is escaped here.
"""
from __future__ import annotations

import re
from collections.abc import Mapping, Sequence

from markupsafe import Markup, escape

FALLBACK_COLOUR = "#5b6670"
_COLOUR = re.compile(r"^#[0-9a-fA-F]{6}$")

FONT = 12          # user units; the viewBox is about phone width, so this is near 12 px on a phone
PAD = 8
LEGEND_SWATCH = 12
LEGEND_ROW = 18
LABEL_ROW = 16     # the category label above its bar(s)
STACK_BAR = 20
GROUP_BAR = 12
ROW_GAP = 10
VALUE_ROOM = 40    # room right of the longest bar for its value
MAX_LABEL = 48


def safe_colour(colour: str | None) -> str:
    """A #rrggbb colour, or a neutral grey for anything else (it goes into an attribute)."""
    return colour if colour and _COLOUR.match(colour) else FALLBACK_COLOUR


def text_colour(colour: str) -> str:
    """Black or white, whichever reads better on the given background."""
    red, green, blue = (int(colour[i:i + 2], 16) for i in (1, 3, 5))
    return "#000" if (0.299 * red + 0.587 * green + 0.114 * blue) > 140 else "#fff"


def _number(value: float) -> str:
    return str(int(value)) if float(value).is_integer() else f"{value:g}"


def _short(label: str) -> str:
    return label if len(label) <= MAX_LABEL else label[:MAX_LABEL - 1] + "…"


def _legend(series: Sequence[Mapping], width: int, y: float) -> tuple[list[str], float]:
    """Swatch + label per series, wrapped into rows; returns the parts and the height used."""
    parts, x, rows = [], PAD, 1
    for item in series:
        label = _short(str(item["label"]))
        item_width = LEGEND_SWATCH + 6 + int(len(label) * FONT * 0.6) + 14
        if x > PAD and x + item_width > width - PAD:
            x, rows = PAD, rows + 1
        row_y = y + (rows - 1) * LEGEND_ROW
        parts.append(
            f'<rect class="swatch" x="{x}" y="{row_y}" width="{LEGEND_SWATCH}" height="{LEGEND_SWATCH}" '
            f'fill="{safe_colour(item.get("color"))}"/>'
            f'<text x="{x + LEGEND_SWATCH + 6}" y="{row_y + LEGEND_SWATCH - 2}">{escape(label)}</text>')
        x += item_width
    return parts, rows * LEGEND_ROW


def bar_chart(series: Sequence[Mapping], categories: Sequence[str], *, title: str, chart_id: str,
              stacked: bool = True, description: str = "", empty_text: str = "–",
              width: int = 360) -> Markup:
    """Horizontal bars, one row per category; `series` is a list of
    {"label": str, "color": "#rrggbb", "values": [number per category]}.

    Stacked: one bar per row made of the series' segments, the row's total at its end.
    Grouped: one thin bar per series in each row, each with its value.
    Returns an accessible <svg role="img"> with a <title> (and <desc>), as Markup.
    """
    ident = re.sub(r"[^A-Za-z0-9_-]", "-", chart_id)
    for item in series:
        if len(item["values"]) != len(categories):
            raise ValueError(f"series {item['label']!r} has {len(item['values'])} values "
                             f"for {len(categories)} categories")
    totals = [sum(item["values"][i] for item in series) for i in range(len(categories))]
    peak = max(totals if stacked else [v for item in series for v in item["values"]], default=0)

    parts: list[str] = []
    y = PAD
    if len(series) > 1 and peak > 0:
        legend, used = _legend(series, width, y)
        parts += legend
        y += used + 4
    if peak <= 0:
        y += FONT
        parts.append(f'<text x="{PAD}" y="{y}" class="chart-empty">{escape(empty_text)}</text>')
        y += PAD
    else:
        scale = (width - 2 * PAD - VALUE_ROOM) / peak
        for index, category in enumerate(categories):
            label = str(category)
            tooltip = "; ".join(f"{item['label']}: {_number(item['values'][index])}" for item in series)
            parts.append(f'<g><title>{escape(label)} – {escape(tooltip)}</title>')
            y += FONT
            parts.append(f'<text x="{PAD}" y="{y}" class="chart-label">{escape(_short(label))}</text>')
            y += LABEL_ROW - FONT + 2
            if stacked:
                x = PAD
                for item in series:
                    value = item["values"][index]
                    if value <= 0:
                        continue
                    colour = safe_colour(item.get("color"))
                    bar = value * scale
                    parts.append(f'<rect x="{x:.1f}" y="{y}" width="{bar:.1f}" height="{STACK_BAR}" '
                                 f'fill="{colour}"/>')
                    text = _number(value)
                    if bar >= len(text) * FONT * 0.6 + 6:
                        parts.append(f'<text x="{x + bar / 2:.1f}" y="{y + STACK_BAR - 6}" '
                                     f'text-anchor="middle" fill="{text_colour(colour)}">{text}</text>')
                    x += bar
                parts.append(f'<text x="{x + 4:.1f}" y="{y + STACK_BAR - 6}" class="chart-total">'
                             f'{_number(totals[index])}</text>')
                y += STACK_BAR
            else:
                for item in series:
                    value = item["values"][index]
                    bar = max(value * scale, 0)
                    parts.append(f'<rect x="{PAD}" y="{y}" width="{bar:.1f}" height="{GROUP_BAR}" '
                                 f'fill="{safe_colour(item.get("color"))}"/>')
                    parts.append(f'<text x="{PAD + bar + 4:.1f}" y="{y + GROUP_BAR - 2}" '
                                 f'class="chart-value">{_number(value)}</text>')
                    y += GROUP_BAR + 2
            y += ROW_GAP
            parts.append("</g>")
    height = int(y + PAD)
    desc = f'<desc id="{ident}-desc">{escape(description)}</desc>' if description else ""
    labelled = f"{ident}-title {ident}-desc" if description else f"{ident}-title"
    return Markup(
        f'<svg class="chart" role="img" id="{ident}" aria-labelledby="{labelled}" '
        f'viewBox="0 0 {width} {height}" width="100%" font-size="{FONT}" '
        f'xmlns="http://www.w3.org/2000/svg">'
        f'<title id="{ident}-title">{escape(title)}</title>{desc}{"".join(parts)}</svg>')
