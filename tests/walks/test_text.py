"""The input mechanisms on their own: the text cleaner, the JSON loader, the date parser, ids, GeoJSON."""
from __future__ import annotations

import datetime as dt
import json
from zoneinfo import ZoneInfo

import pytest

from walks import dates, geo, jsonload, text
from walks.inputs import MAX_ID, parse_id

from ..conftest import _make_app


@pytest.fixture(scope="module")
def plain(tmp_path_factory):
    """An app context for messages and forms (no database): cheaper than an app per test."""
    app = _make_app(tmp_path_factory.mktemp("text"), "sqlite://")
    with app.app_context():
        yield app


@pytest.mark.parametrize("value", ["", "Trasig lampa", "två\nrader", "tab\there", "windows\r\nrad", "😀 ok",
                                   "ÅÄÖ åäö", "\u00a0nbsp", "x" * 10_000])
def test_clean_text_passes_unchanged(value):
    assert text.check_text(value, "text") == value


@pytest.mark.parametrize(("value", "message"), [
    ("a\x00b", "NUL"), ("\x00", "NUL"), ("\ud800", "surrogate"), ("a\udfffb", "surrogate"),
    ("bell\x07", "control"), ("esc\x1b[2J", "control"), ("del\x7f", "control"), ("c1\x85", "control"),
    ("\x0b", "control"), ("\x0c", "control"),
])
def test_bad_text_is_refused_with_a_message(plain, value, message):
    with plain.test_request_context(headers={"Cookie": "lang=en"}):
        with pytest.raises(text.TextError, match=message) as caught:
            text.check_text(value, "text")
        assert "“text”" in str(caught.value.message)


@pytest.mark.parametrize("value", ["a\nb", "a\rb", "a\u2028b", "a\u2029b"])
def test_single_line_fields_refuse_line_breaks(plain, value):
    assert text.check_text(value, "text") == value
    with pytest.raises(text.TextError, match="single line|en rad"):
        text.check_text(value, "title", single_line=True)


def test_single_line_fields_are_read_from_the_forms(plain):
    fields = text.single_line_fields()
    assert {"title", "name", "display_name", "email", "first_name"} <= fields
    assert not {"text", "description", "notes", "cover_text", "boundary_text"} & fields


@pytest.mark.parametrize("name", ["../../etc/passwd", "..\\boot.ini", "..", ".", "a/b.jpg", "a\x00.jpg",
                                  "a\nb.jpg"])
def test_file_names_must_be_bare(plain, name):
    with pytest.raises(text.TextError):
        text.check_file_name(name)


@pytest.mark.parametrize("name", ["IMG_0001.JPG", "bild från mobilen.jpeg", ".hidden.jpg", ""])
def test_plain_file_names_pass(name):
    assert text.check_file_name(name) == name


def test_names_in_messages_are_shown_escaped():
    assert text.shown("a\x00b\ud800") == "a\\x00b\\ud800"
    assert text.shown("x" * 100) == "x" * 40


# ---- JSON ---------------------------------------------------------------------------------------

def load(raw, **limits):
    return jsonload.loads(raw, max_bytes=limits.pop("max_bytes", 1024 * 1024), **limits)


@pytest.mark.parametrize(("raw", "expected"), [
    (b'{"a": [1, 2.5, "x", null, true]}', {"a": [1, 2.5, "x", None, True]}),
    ('{"text": "två\\nrader", "emoji": "\\ud83d\\ude00"}', {"text": "två\nrader", "emoji": "😀"}),
    (b"[" * 64 + b"]" * 64, json.loads("[" * 64 + "]" * 64)),
    (b'"[[[[ not nesting ]]]]"', "[[[[ not nesting ]]]]"),
])
def test_good_json_loads(raw, expected):
    assert load(raw) == expected


@pytest.mark.parametrize(("raw", "message"), [
    (b"[" * 65 + b"]" * 65, "nested too deeply"),
    (b"[" * 100_000, "nested too deeply"),
    (b'{"a":' * 70 + b"1" + b"}" * 70, "nested too deeply"),
    (b'{"lat": NaN}', "NaN"),
    (b'{"lat": Infinity}', "Infinity"),
    (b'[-Infinity]', "-Infinity"),
    (b'{"a": 1, "a": 2}', "twice"),
    (b'{"x": {"a": 1, "a": 1}}', "twice"),
    (b'{"text": "\\u0000"}', "NUL"),
    (b'{"text": "\\ud800"}', "surrogate"),
    (b'{"k\\u0007": 1}', "control"),
    (b'{"t": "\xff"}', "UTF-8"),
    (b"", "no JSON"),
    (b"   ", "no JSON"),
    (b'{"a": ', "not valid JSON"),
    (b"x" * 300_000, "too large"),
])
def test_bad_json_is_refused_with_a_message(plain, raw, message):
    with plain.test_request_context(headers={"Cookie": "lang=en"}):
        with pytest.raises(jsonload.JSONInputError) as caught:
            load(raw, max_bytes=200_000)
        assert message in str(caught.value.message)


def test_json_single_line_keys(plain):
    assert load(b'{"text": "a\\nb"}', single_line=frozenset({"title"})) == {"text": "a\nb"}
    with pytest.raises(jsonload.JSONInputError):
        load(b'{"title": "a\\nb"}', single_line=frozenset({"title"}))


def test_request_json_goes_through_the_loader(app, client):
    response = client.post("/api/walks/NOPE/track", data=b'{"points": [' * 50 + b"]" * 50,
                           content_type="application/json")
    assert response.status_code == 400
    assert "djupt" in response.json["error"]


# ---- dates --------------------------------------------------------------------------------------

@pytest.mark.parametrize(("raw", "expected"), [
    ("2026-11-20T18:30:00Z", dt.datetime(2026, 11, 20, 18, 30)),
    ("2026-11-20T18:30:00+01:00", dt.datetime(2026, 11, 20, 17, 30)),
    ("2026-11-20T18:30:00 01:00", dt.datetime(2026, 11, 20, 17, 30)),  # "+" lost in a query string
    ("2026-11-20T18:30", dt.datetime(2026, 11, 20, 18, 30)),
    ("2026-11-20", dt.datetime(2026, 11, 20)),
    ("2000-01-01T00:30+01:00", dt.datetime(1999, 12, 31, 23, 30)),
])
def test_dates_parse_to_naive_utc(raw, expected):
    assert dates.parse_datetime(raw) == expected


def test_a_naive_time_is_taken_in_the_given_zone():
    assert dates.parse_datetime("2026-07-01T12:00", ZoneInfo("Europe/Stockholm")) == dt.datetime(2026, 7, 1, 10)


@pytest.mark.parametrize("raw", ["0001-01-01T00:00:00+01:00", "9999-12-31T23:59:59-05:00", "1999-12-31",
                                 "2101-01-01T00:00Z", "2026-13-01", "2026-02-30", "igår", "", "1" * 70, 5, None,
                                 ["2026-01-01"]])
def test_bad_dates_are_refused(plain, raw):
    with pytest.raises(dates.DateError):
        dates.parse_datetime(raw)


def test_local_times_out_of_range_are_refused_before_conversion():
    with pytest.raises(dates.DateError):
        dates.to_utc(dt.datetime(1, 1, 1), ZoneInfo("Europe/Stockholm"))


# ---- ids ----------------------------------------------------------------------------------------

@pytest.mark.parametrize(("raw", "expected"), [
    ("1", 1), (" 42 ", 42), (str(MAX_ID), MAX_ID), (str(MAX_ID + 1), None), ("0", None), ("-1", None),
    ("1e3", None), ("²", None), ("١٢", None), ("", None), ("9" * 400, None),
])
def test_parse_id(raw, expected):
    assert parse_id(raw) == expected


@pytest.mark.parametrize("path", ["/observations/99999999999999999999", f"/observations/{MAX_ID + 1}",
                                  "/observations/-1", "/observations/%EF%BC%91", "/walks/1e3.csv"])
def test_ids_the_database_cannot_hold_are_404(client, path):
    response = client.get(path)
    assert response.status_code == 404


def test_the_largest_id_reaches_the_route(client, login):
    login()
    client.set_cookie("lang", "en")
    largest = client.get(f"/observations/{MAX_ID}")  # the route looks, and finds nothing
    assert largest.status_code == 404 and "That observation was not found." in largest.get_data(True)
    beyond = client.get(f"/observations/{MAX_ID + 1}")  # no route matches
    assert beyond.status_code == 404 and "The page was not found." in beyond.get_data(True)


# ---- GeoJSON member types -----------------------------------------------------------------------

@pytest.mark.parametrize("data", [
    {"type": "Feature", "geometry": 5}, {"type": "Feature", "geometry": [1, 2]}, {"type": "Feature"},
    {"type": "FeatureCollection", "features": [1, 2]}, {"type": "FeatureCollection", "features": 5},
    {"type": "FeatureCollection", "features": [{"type": "Polygon", "coordinates": []}]},
    {"type": "FeatureCollection"}, {"type": "MultiPolygon", "coordinates": 5},
    {"type": "Polygon", "coordinates": [[[1e400, 1], [1, 2], [2, 2], [1e400, 1]]]},
    {"type": "Polygon", "coordinates": [[[10 ** 400, 1], [1, 2], [2, 2], [10 ** 400, 1]]]},
    {"type": "Polygon", "coordinates": [[[1, 1, "x"], [1, 2], [2, 2], [1, 1, "x"]]]},
])
@pytest.mark.parametrize("validator", [geo.validate_polygon, geo.validate_linestring])
def test_geojson_members_are_checked_before_use(plain, data, validator):
    with pytest.raises(geo.GeoJSONError):
        validator(data)


# ---- strict UTF-8 forms keep every real character ------------------------------------------------

def test_non_ascii_text_and_file_names_pass_in_multipart_and_urlencoded(app, client, make):
    from .capture_samples import jpeg_bytes, payload
    from .test_capture_api import join, post_multipart

    walk = make.walk()
    headers = join(client, walk)
    data = payload(text="Gångväg – € ő ğ 😀\nandra raden")
    response = post_multipart(client, walk, headers, data, [("bild från € ő.jpg", jpeg_bytes())])
    assert response.status_code == 201, response.get_data(True)
    assert response.json["text"] == "Gångväg – € ő ğ 😀\nandra raden"
    edited = client.patch(f"/api/observations/{data['uuid']}", data={"text": "Åter – €"}, headers=headers)
    assert edited.status_code == 200 and edited.json["text"] == "Åter – €"
