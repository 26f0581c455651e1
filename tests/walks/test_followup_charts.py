"""The inline SVG bar charts: pure functions, checked on their markup."""
import re

import pytest
from markupsafe import Markup

from walks.followup.charts import FALLBACK_COLOUR, PAD, VALUE_ROOM, bar_chart, safe_colour, text_colour

WIDTH = 360
FULL = WIDTH - 2 * PAD - VALUE_ROOM  # the longest bar


def rect_widths(svg: str, colour: str) -> list[float]:
    return [float(w) for w in re.findall(rf'<rect x="[^"]+" y="[^"]+" width="([^"]+)" height="\d+" '
                                        rf'fill="{colour}"/>', svg)]


def test_stacked_bars_scale_to_the_largest_total():
    series = [{"label": "Trygghet", "color": "#c0392b", "values": [3, 1]},
              {"label": "Rent och snyggt", "color": "#7d5ba6", "values": [1, 0]}]
    svg = str(bar_chart(series, ["Vandring 1", "Vandring 2"], title="Per tema", chart_id="c1"))
    # Walk 1 totals 4 (the peak): 3/4 and 1/4 of the full length; walk 2: 1/4.
    assert rect_widths(svg, "#c0392b") == [pytest.approx(FULL * 3 / 4, abs=0.1), pytest.approx(FULL / 4, abs=0.1)]
    assert rect_widths(svg, "#7d5ba6")[-1] == pytest.approx(FULL / 4, abs=0.1)
    # A zero value draws no segment; legend swatches are 12×12 and not counted above.
    assert len(rect_widths(svg, "#7d5ba6")) == 1
    assert 'class="chart-total">4</text>' in svg and 'class="chart-total">1</text>' in svg


def test_grouped_bars_draw_one_bar_per_series_and_row_with_its_value():
    series = [{"label": "Skickade", "color": "#1f6fb2", "values": [4, 0]},
              {"label": "Åtgärdade", "color": "#2e8540", "values": [2, 0]}]
    svg = str(bar_chart(series, ["A", "B"], title="Fel", chart_id="c2", stacked=False))
    assert rect_widths(svg, "#1f6fb2") == [pytest.approx(FULL), 0.0]
    assert rect_widths(svg, "#2e8540") == [pytest.approx(FULL / 2), 0.0]
    assert svg.count('class="chart-value">') == 4


def test_chart_is_accessible_svg_with_title_and_description():
    svg = bar_chart([{"label": "x", "color": "#000000", "values": [1]}], ["a"], title="Trygghet per vandring",
                    chart_id="chart safety", description="Antal per betyg")
    assert isinstance(svg, Markup)
    assert svg.startswith('<svg class="chart" role="img" id="chart-safety" '
                          'aria-labelledby="chart-safety-title chart-safety-desc"')
    assert '<title id="chart-safety-title">Trygghet per vandring</title>' in svg
    assert '<desc id="chart-safety-desc">Antal per betyg</desc>' in svg


@pytest.mark.parametrize("where", ["title", "category", "series"])
def test_every_label_is_escaped(where):
    evil = '<script>alert("x")</script>&'
    svg = str(bar_chart([{"label": evil if where == "series" else "s", "color": "#123456", "values": [1]},
                         {"label": "t", "color": "#654321", "values": [2]}],
                        [evil if where == "category" else "c"],
                        title=evil if where == "title" else "t", chart_id="c"))
    assert "<script" not in svg
    assert "&lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt;&amp;" in svg


@pytest.mark.parametrize("colour, expected", [
    ("#2e8540", "#2e8540"), ("#ABCDEF", "#ABCDEF"), ('red" onload="x', FALLBACK_COLOUR),
    ("#abc", FALLBACK_COLOUR), (None, FALLBACK_COLOUR), ("", FALLBACK_COLOUR)])
def test_colours_are_checked_before_they_go_into_an_attribute(colour, expected):
    assert safe_colour(colour) == expected
    svg = str(bar_chart([{"label": "s", "color": colour, "values": [1]}], ["c"], title="t", chart_id="c"))
    assert f'fill="{expected}"' in svg and "onload" not in svg


@pytest.mark.parametrize("background, ink", [("#ffffff", "#000"), ("#9cc27a", "#000"), ("#e67e22", "#000"), ("#c0392b", "#fff"),
                                             ("#1b3a4b", "#fff")])
def test_value_text_reads_on_its_segment(background, ink):
    assert text_colour(background) == ink


def test_no_data_shows_the_empty_text_and_no_bars():
    svg = str(bar_chart([{"label": "s", "color": "#123456", "values": [0, 0]}], ["a", "b"], title="t",
                        chart_id="c", empty_text="Inga vandringar än"))
    assert "<rect" not in svg
    assert "Inga vandringar än" in svg
    svg = str(bar_chart([], [], title="t", chart_id="c", empty_text="Tomt"))
    assert "Tomt" in svg


def test_long_labels_are_shortened_in_the_drawing_but_kept_whole_in_the_tooltip():
    label = "Gångtunneln under järnvägen vid norra uppgången mot hållplatsen"
    svg = str(bar_chart([{"label": "s", "color": "#123456", "values": [1]}], [label], title="t", chart_id="c"))
    assert f"<title>{label} – s: 1</title>" in svg
    assert 'class="chart-label">Gångtunneln under järnvägen vid norra uppgången…</text>' in svg


def test_a_series_with_the_wrong_number_of_values_is_refused():
    with pytest.raises(ValueError, match="2 values for 3 categories"):
        bar_chart([{"label": "s", "color": "#123456", "values": [1, 2]}], ["a", "b", "c"], title="t", chart_id="c")


def test_height_grows_with_the_rows():
    one = str(bar_chart([{"label": "s", "color": "#123456", "values": [1]}], ["a"], title="t", chart_id="c"))
    three = str(bar_chart([{"label": "s", "color": "#123456", "values": [1, 2, 3]}], ["a", "b", "c"],
                          title="t", chart_id="c"))

    def height(svg):
        return int(re.search(r'viewBox="0 0 360 (\d+)"', svg).group(1))
    assert height(three) > height(one) * 2
