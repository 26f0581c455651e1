"""Every user-facing string has a Swedish translation, one per message id; the walker's pages speak seven
languages; English is selectable; an unknown language falls back to Swedish."""
from __future__ import annotations

import html
import json
import re
from datetime import datetime
from pathlib import Path

import pytest
from babel.messages.extract import extract_from_dir, extract_from_file
from babel.messages.pofile import read_po
from flask import render_template_string

from walks import i18n
from walks.categories.service import DEFAULT_CATEGORIES, DEFAULT_NAMES, NAME_LANGUAGES, THEME_TRANSLATIONS

from .conftest import csrf_token_from

ROOT = Path(__file__).resolve().parent.parent
METHODS = [("app.py", "python"), ("walks/**.py", "python"), ("maps/**.py", "python"),
           ("templates/**.html", "jinja2")]
KEYWORDS = {"_": None, "gettext": None, "ngettext": (1, 2), "lazy_gettext": None, "_l": None,
            "lazy_ngettext": (1, 2), "pgettext": ((1, "c"), 2)}


def extracted_messages() -> dict[str, set[str]]:
    found: dict[str, set[str]] = {}
    for filename, lineno, message, _comments, _context in extract_from_dir(ROOT, METHODS, keywords=KEYWORDS):
        msgid = message[0] if isinstance(message, tuple) else message  # a plural is keyed by its singular
        if msgid:
            found.setdefault(msgid, set()).add(f"{filename}:{lineno}")
    return found


# The walker's pages and what they show: offered in every walker language.
WALKER_SOURCES = [("templates/capture/*.html", "jinja2"), ("templates/index.html", "jinja2"),
                  ("templates/base.html", "jinja2"), ("templates/error.html", "jinja2"),
                  ("walks/capture/*.py", "python"), ("walks/photos.py", "python"), ("walks/i18n.py", "python"),
                  ("app.py", "python")]
WALKER_LANGUAGES = ("ar", "so", "ti", "fa", "fi")


def catalog_entries(language: str) -> list[tuple[str, str, str]]:
    """(msgid, translation, catalog) of every message of one language, in every catalog."""
    entries = []
    for path in i18n.catalogs():
        if path.parts[-3] != language:
            continue
        with path.open("rb") as handle:
            for message in read_po(handle):
                if message.id:
                    key = message.id[0] if isinstance(message.id, tuple) else message.id
                    text = message.string[0] if isinstance(message.string, tuple) else message.string
                    entries.append((key, text, str(path.relative_to(ROOT))))
    return entries


def swedish_catalog() -> dict[str, str]:
    return {msgid: text for msgid, text, _where in catalog_entries("sv")}


def walker_messages() -> set[str]:
    found = set()
    for pattern, method in WALKER_SOURCES:
        for path in sorted(ROOT.glob(pattern)):
            for _lineno, message, _comments, _context in extract_from_file(method, path, keywords=KEYWORDS):
                found.add(message[0] if isinstance(message, tuple) else message)
    return found


def test_every_message_has_a_swedish_translation():
    catalog = swedish_catalog()
    missing = {msgid: sorted(where)[0] for msgid, where in extracted_messages().items()
               if not catalog.get(msgid)}
    assert not missing, "untranslated (msgid -> first place):\n" + "\n".join(
        f"{where}: {msgid!r}" for msgid, where in sorted(missing.items(), key=lambda kv: kv[1]))


def test_swedish_by_default_english_when_chosen(client):
    page = client.get("/")
    assert '<html lang="sv">' in page.get_data(True)
    assert "Trygghetsvandringar" in page.get_data(True) or "trygghetsvandring" in page.get_data(True).lower()
    client.set_cookie("lang", "en")
    page = client.get("/")
    assert '<html lang="en">' in page.get_data(True)
    assert "Safety walks" in page.get_data(True)


@pytest.mark.parametrize("language", ["sv", *WALKER_LANGUAGES])
def test_one_translation_per_message_id(language):
    """Flask-Babel merges the catalogs: two that disagree show whichever is merged last."""
    seen: dict[str, dict[str, list[str]]] = {}
    for msgid, text, where in catalog_entries(language):
        seen.setdefault(msgid, {}).setdefault(text, []).append(where)
    disagreements = {msgid: texts for msgid, texts in seen.items() if len(texts) > 1}
    assert not disagreements, "\n".join(f"{msgid!r}: {texts}" for msgid, texts in disagreements.items())


@pytest.mark.parametrize("language", WALKER_LANGUAGES)
def test_the_walkers_pages_are_translated(language):
    catalog = {msgid: text for msgid, text, _where in catalog_entries(language)}
    missing = sorted(msgid for msgid in walker_messages() if not catalog.get(msgid))
    assert not missing, f"not in {language}:\n" + "\n".join(repr(m) for m in missing)


@pytest.mark.parametrize("language", WALKER_LANGUAGES)
def test_translations_keep_their_placeholders(language):
    for msgid, text, where in catalog_entries(language):
        assert sorted(re.findall(r"%\(\w+\)\w", text)) == sorted(re.findall(r"%\(\w+\)\w", msgid)), where


@pytest.mark.parametrize("language, direction, words", [
    ("sv", "ltr", "Gå med i en vandring"), ("en", "ltr", "Join a walk"), ("ar", "rtl", "انضم إلى جولة"),
    ("so", "ltr", "Ku biir socod"), ("ti", "ltr", "ናብ ዙረት ተጸንበር"), ("fa", "rtl", "پیوستن به یک پیاده‌روی"),
    ("fi", "ltr", "Liity kävelylle"),
])
def test_walker_page_in_each_language(client, language, direction, words):
    client.set_cookie("lang", language)
    page = client.get("/join").get_data(True)
    rtl = ' dir="rtl"' if direction == "rtl" else ""  # left to right is HTML's default
    assert f'<html lang="{language}"{rtl}>' in page
    assert words in page
    # The chooser offers every language, each named in itself.
    for name in i18n.LANGUAGE_NAMES.values():
        assert f">{name}</button>" in page


@pytest.mark.parametrize("cookie", ["xx", "EN", "en_GB", "../sv", "", "ar;fa"])
def test_an_unknown_language_falls_back_to_swedish(client, cookie):
    client.set_cookie("lang", cookie)
    page = client.get("/join").get_data(True)
    assert '<html lang="sv">' in page and "Gå med i en vandring" in page


def test_choosing_an_unknown_language_is_refused_and_changes_nothing(client):
    page = client.get("/join").get_data(True)
    response = client.post("/language", data={"csrf_token": csrf_token_from(page), "code": "xx", "next": "/join"})
    assert response.status_code == 400 and "Välj ett i listan" in response.get_data(True)
    assert client.get_cookie("lang") is None


def test_the_chooser_remembers_a_walker_language(client):
    page = client.get("/join").get_data(True)
    response = client.post("/language", data={"csrf_token": csrf_token_from(page), "code": "fa", "next": "/join"})
    assert response.status_code == 302 and response.headers["Location"] == "/join"
    assert client.get_cookie("lang").value == "fa"
    assert '<html lang="fa" dir="rtl">' in client.get("/join").get_data(True)


def test_coordinator_pages_stay_swedish_or_english(client):
    client.set_cookie("lang", "ar")
    page = client.get("/login").get_data(True)
    assert '<html lang="sv">' in page and "Logga in" in page
    assert "العربية" not in page  # no walker-language chooser on a coordinator's page


def test_english_dates_are_british(app):
    app.config["BABEL_DEFAULT_TIMEZONE"] = "UTC"
    with app.test_request_context(headers={"Cookie": "lang=en"}):
        text = render_template_string("{{ when|datetimeformat('short') }}", when=datetime(2026, 3, 4, 18, 30))
    assert text.startswith("04/03/2026")


def leaflet_texts(page: str) -> dict:
    return json.loads(html.unescape(re.search(r"<meta name=\"leaflet-texts\" content='([^']*)'>", page).group(1)))


def test_leaflet_controls_speak_the_page_language(client):
    texts = leaflet_texts(client.get("/join").get_data(True))
    assert texts["zoomIn"] == "Zooma in" and texts["library"] == "Ett JavaScript-bibliotek för interaktiva kartor"
    client.set_cookie("lang", "fi")
    assert leaflet_texts(client.get("/join").get_data(True))["zoomIn"] == "Lähennä"


def test_leaflet_is_served_with_its_translation_patch(client):
    with client.get("/maps/assets/leaflet/leaflet.js") as response:
        body = response.get_data(True)
    assert body.startswith("/* @preserve") and 'meta[name="leaflet-texts"]' in body


def test_default_category_and_theme_names_in_every_walker_language():
    codes = {row[0] for row in DEFAULT_CATEGORIES}
    assert set(DEFAULT_NAMES) == codes
    for names in [*DEFAULT_NAMES.values(), *THEME_TRANSLATIONS.values()]:
        assert set(names) == set(NAME_LANGUAGES) and all(name.strip() for name in names.values())


def test_capture_page_shows_categories_in_the_walkers_language(client, make):
    from tests.walks.test_capture_pages import join
    walk = make.walk()
    join(client, walk)
    client.set_cookie("lang", "so")
    page = client.get(f"/j/{walk.join_code}/capture").get_data(True)
    assert "Iftiinka" in page and "Nadaafad iyo nidaam" in page and "Khatar" not in page
