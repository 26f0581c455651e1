"""Charts drawn by the app (no chart library, no CDN): the geometry is computed here, in plain Python,
and drawn as inline SVG by the Jinja macro `bar_chart_svg` in templates/followup/_chart.html, which
escapes every text as any template does.

Bars are horizontal so that long labels (walk titles, category names) fit a phone: each row has its
label on one line and its bar below.
"""
from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

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


@dataclass(frozen=True)
class Rect:
    x: float
    y: float
    width: float
    height: float
    fill: str


@dataclass(frozen=True)
class Text:
    x: float
    y: float
    text: str
    css_class: str = ""
    anchor: str = ""   # SVG text-anchor, "" for the start
    fill: str = ""     # "" for the stylesheet's colour


@dataclass
class Row:
    """One category: its label above, its bar(s) and their figures, and a tooltip with every value."""
    tooltip: str
    label: Text
    rects: list[Rect] = field(default_factory=list)
    texts: list[Text] = field(default_factory=list)


@dataclass
class BarChart:
    ident: str
    title: str
    description: str
    width: int
    height: int
    legend: list[tuple[Rect, Text]] = field(default_factory=list)
    rows: list[Row] = field(default_factory=list)
    empty: Text | None = None

    @property
    def rects(self) -> list[Rect]:
        """Every bar segment (legend swatches left out)."""
        return [rect for row in self.rows for rect in row.rects]


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


def _legend(series: Sequence[Mapping], width: int, y: float) -> tuple[list[tuple[Rect, Text]], float]:
    """Swatch + label per series, wrapped into rows; returns them and the height used."""
    items, x, rows = [], PAD, 1
    for item in series:
        label = _short(str(item["label"]))
        item_width = LEGEND_SWATCH + 6 + int(len(label) * FONT * 0.6) + 14
        if x > PAD and x + item_width > width - PAD:
            x, rows = PAD, rows + 1
        row_y = y + (rows - 1) * LEGEND_ROW
        items.append((Rect(x, row_y, LEGEND_SWATCH, LEGEND_SWATCH, safe_colour(item.get("color"))),
                      Text(x + LEGEND_SWATCH + 6, row_y + LEGEND_SWATCH - 2, label)))
        x += item_width
    return items, rows * LEGEND_ROW


def _stacked_bars(row: Row, series: Sequence[Mapping], index: int, y: float, scale: float, total: float) -> float:
    x = PAD
    for item in series:
        value = item["values"][index]
        if value <= 0:
            continue
        colour = safe_colour(item.get("color"))
        bar = value * scale
        row.rects.append(Rect(x, y, bar, STACK_BAR, colour))
        text = _number(value)
        if bar >= len(text) * FONT * 0.6 + 6:  # the value inside its segment, where it fits
            row.texts.append(Text(x + bar / 2, y + STACK_BAR - 6, text, anchor="middle", fill=text_colour(colour)))
        x += bar
    row.texts.append(Text(x + 4, y + STACK_BAR - 6, _number(total), css_class="chart-total"))
    return y + STACK_BAR


def _grouped_bars(row: Row, series: Sequence[Mapping], index: int, y: float, scale: float) -> float:
    for item in series:
        value = item["values"][index]
        bar = max(value * scale, 0)
        row.rects.append(Rect(PAD, y, bar, GROUP_BAR, safe_colour(item.get("color"))))
        row.texts.append(Text(PAD + bar + 4, y + GROUP_BAR - 2, _number(value), css_class="chart-value"))
        y += GROUP_BAR + 2
    return y


def bar_chart(series: Sequence[Mapping], categories: Sequence[str], *, title: str, chart_id: str,
              stacked: bool = True, description: str = "", empty_text: str = "–",
              width: int = 360) -> BarChart:
    """Horizontal bars, one row per category; `series` is a list of
    {"label": str, "color": "#rrggbb", "values": [number per category]}.

    Stacked: one bar per row made of the series' segments, the row's total at its end.
    Grouped: one thin bar per series in each row, each with its value.
    """
    for item in series:
        if len(item["values"]) != len(categories):
            raise ValueError(f"series {item['label']!r} has {len(item['values'])} values "
                             f"for {len(categories)} categories")
    chart = BarChart(ident=re.sub(r"[^A-Za-z0-9_-]", "-", chart_id), title=title, description=description,
                     width=width, height=0)
    totals = [sum(item["values"][i] for item in series) for i in range(len(categories))]
    peak = max(totals if stacked else [v for item in series for v in item["values"]], default=0)
    y = PAD
    if len(series) > 1 and peak > 0:
        chart.legend, used = _legend(series, width, y)
        y += used + 4
    if peak <= 0:
        y += FONT
        chart.empty = Text(PAD, y, empty_text, css_class="chart-empty")
        y += PAD
    else:
        scale = (width - 2 * PAD - VALUE_ROOM) / peak
        for index, category in enumerate(categories):
            label = str(category)
            values = "; ".join(f"{item['label']}: {_number(item['values'][index])}" for item in series)
            y += FONT
            row = Row(tooltip=f"{label} – {values}", label=Text(PAD, y, _short(label), css_class="chart-label"))
            y += LABEL_ROW - FONT + 2
            if stacked:
                y = _stacked_bars(row, series, index, y, scale, totals[index])
            else:
                y = _grouped_bars(row, series, index, y, scale)
            chart.rows.append(row)
            y += ROW_GAP
    chart.height = int(y + PAD)
    return chart
