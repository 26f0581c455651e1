"""The bar charts: geometry computed by a pure function, drawn as SVG by the Jinja macro."""
import pytest
from flask import render_template_string

from walks.followup.charts import FALLBACK_COLOUR, PAD, VALUE_ROOM, bar_chart, safe_colour, text_colour

WIDTH = 360
FULL = WIDTH - 2 * PAD - VALUE_ROOM  # the longest bar


def rect_widths(chart, colour: str) -> list[float]:
    return [round(r.width, 1) for r in chart.rects if r.fill == colour]


def texts(chart, css_class: str) -> list[str]:
    return [t.text for row in chart.rows for t in row.texts if t.css_class == css_class]


def draw(chart) -> str:
    """The markup the pages show (needs the app for Jinja)."""
    return render_template_string('{% from "followup/_chart.html" import bar_chart_svg %}{{ bar_chart_svg(c) }}',
                                  c=chart)


def test_stacked_bars_scale_to_the_largest_total(app):
    series = [{"label": "Trygghet", "color": "#c0392b", "values": [3, 1]},
              {"label": "Rent och snyggt", "color": "#7d5ba6", "values": [1, 0]}]
    chart = bar_chart(series, ["Vandring 1", "Vandring 2"], title="Per tema", chart_id="c1")
    # Walk 1 totals 4 (the peak): 3/4 and 1/4 of the full length; walk 2: 1/4.
    assert rect_widths(chart, "#c0392b") == [pytest.approx(FULL * 3 / 4, abs=0.1), pytest.approx(FULL / 4, abs=0.1)]
    # A zero value draws no segment (legend swatches are not bars).
    assert rect_widths(chart, "#7d5ba6") == [pytest.approx(FULL / 4, abs=0.1)]
    assert texts(chart, "chart-total") == ["4", "1"]
    svg = draw(chart)
    assert 'class="chart-total">4</text>' in svg and 'class="chart-total">1</text>' in svg


def test_grouped_bars_draw_one_bar_per_series_and_row_with_its_value(app):
    series = [{"label": "Skickade", "color": "#1f6fb2", "values": [4, 0]},
              {"label": "Åtgärdade", "color": "#2e8540", "values": [2, 0]}]
    chart = bar_chart(series, ["A", "B"], title="Fel", chart_id="c2", stacked=False)
    assert rect_widths(chart, "#1f6fb2") == [pytest.approx(FULL), 0.0]
    assert rect_widths(chart, "#2e8540") == [pytest.approx(FULL / 2), 0.0]
    assert texts(chart, "chart-value") == ["4", "2", "0", "0"]
    assert draw(chart).count('class="chart-value">') == 4


def test_chart_is_accessible_svg_with_title_and_description(app):
    svg = draw(bar_chart([{"label": "x", "color": "#000000", "values": [1]}], ["a"], title="Trygghet per vandring",
                         chart_id="chart safety", description="Antal per betyg"))
    assert svg.startswith('<svg class="chart" role="img" id="chart-safety" '
                          'aria-labelledby="chart-safety-title chart-safety-desc"')
    assert '<title id="chart-safety-title">Trygghet per vandring</title>' in svg
    assert '<desc id="chart-safety-desc">Antal per betyg</desc>' in svg


@pytest.mark.parametrize("where", ["title", "category", "series"])
def test_every_label_is_escaped(app, where):
    evil = '<script>alert("x")</script>&'
    svg = draw(bar_chart([{"label": evil if where == "series" else "s", "color": "#123456", "values": [1]},
                          {"label": "t", "color": "#654321", "values": [2]}],
                         [evil if where == "category" else "c"],
                         title=evil if where == "title" else "t", chart_id="c"))
    assert "<script" not in svg
    assert "&lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt;&amp;" in svg


@pytest.mark.parametrize("colour, expected", [
    ("#2e8540", "#2e8540"), ("#ABCDEF", "#ABCDEF"), ('red" onload="x', FALLBACK_COLOUR),
    ("#abc", FALLBACK_COLOUR), (None, FALLBACK_COLOUR), ("", FALLBACK_COLOUR)])
def test_colours_are_checked_before_they_go_into_an_attribute(app, colour, expected):
    assert safe_colour(colour) == expected
    svg = draw(bar_chart([{"label": "s", "color": colour, "values": [1]}], ["c"], title="t", chart_id="c"))
    assert f'fill="{expected}"' in svg and "onload" not in svg


@pytest.mark.parametrize("background, ink", [("#ffffff", "#000"), ("#9cc27a", "#000"), ("#e67e22", "#000"),
                                             ("#c0392b", "#fff"), ("#1b3a4b", "#fff")])
def test_value_text_reads_on_its_segment(background, ink):
    assert text_colour(background) == ink


def test_no_data_shows_the_empty_text_and_no_bars():
    chart = bar_chart([{"label": "s", "color": "#123456", "values": [0, 0]}], ["a", "b"], title="t",
                      chart_id="c", empty_text="Inga vandringar än")
    assert chart.rects == [] and chart.legend == [] and chart.empty.text == "Inga vandringar än"
    assert bar_chart([], [], title="t", chart_id="c", empty_text="Tomt").empty.text == "Tomt"


def test_long_labels_are_shortened_in_the_drawing_but_kept_whole_in_the_tooltip(app):
    label = "Gångtunneln under järnvägen vid norra uppgången mot hållplatsen"
    chart = bar_chart([{"label": "s", "color": "#123456", "values": [1]}], [label], title="t", chart_id="c")
    (row,) = chart.rows
    assert row.tooltip == f"{label} – s: 1"
    assert row.label.text == "Gångtunneln under järnvägen vid norra uppgången…"
    assert f"<title>{label} – s: 1</title>" in draw(chart)


def test_a_series_with_the_wrong_number_of_values_is_refused():
    with pytest.raises(ValueError, match="2 values for 3 categories"):
        bar_chart([{"label": "s", "color": "#123456", "values": [1, 2]}], ["a", "b", "c"], title="t", chart_id="c")


def test_height_grows_with_the_rows():
    one = bar_chart([{"label": "s", "color": "#123456", "values": [1]}], ["a"], title="t", chart_id="c")
    three = bar_chart([{"label": "s", "color": "#123456", "values": [1, 2, 3]}], ["a", "b", "c"],
                      title="t", chart_id="c")
    assert three.height > one.height * 2


def test_the_drawing_follows_the_geometry(app):
    chart = bar_chart([{"label": "s", "color": "#123456", "values": [2, 1]}], ["a", "b"], title="t", chart_id="c")
    svg = draw(chart)
    assert f'viewBox="0 0 {WIDTH} {chart.height}"' in svg
    assert svg.count("<rect ") == len(chart.rects) == 2
    first = chart.rects[0]
    assert f'<rect x="{first.x:.1f}" y="{first.y:.1f}" width="{first.width:.1f}" height="{first.height}" ' \
           f'fill="#123456"/>' in svg
