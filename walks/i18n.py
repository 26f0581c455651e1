"""Languages: Swedish first; the chosen language is remembered in a cookie.

The walker's pages (joining, capturing, the walker's own list, the start page) are offered in every
language of LANGUAGES; the coordinators' pages in COORDINATOR_LANGUAGES only, and a walker language
shows them in Swedish. An unknown language code falls back to Swedish. English dates and numbers
follow en_GB.

Message ids are English; each capability keeps its catalogs beside its code
(`walks/<capability>/translations/<lang>/LC_MESSAGES/messages.po`) and Flask-Babel merges them, so a
message id must have one translation per language across all catalogs (tests/test_i18n.py checks it).
Catalogs are compiled by the set-up (`flask --app app translations compile`), never committed as .mo.
"""
from __future__ import annotations

from pathlib import Path
from urllib.parse import urlsplit

import click
from babel import Locale
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from flask import Blueprint, current_app, has_request_context, redirect, request, url_for
from flask_babel import get_locale
from flask_babel import gettext as _

from .web import fail

ROOT = Path(__file__).resolve().parent.parent
LANG_COOKIE = "lang"
# Each language's name in itself, for the chooser.
LANGUAGE_NAMES = {"sv": "Svenska", "en": "English", "ar": "العربية", "so": "Soomaali", "ti": "ትግርኛ",
                  "fa": "فارسی", "fi": "Suomi"}
# The locale that formats dates and numbers, where it is not the language itself (no US dates).
FORMAT_LOCALES = {"en": "en_GB"}
# Pages a walker sees, offered in every language; all other pages are the coordinators'.
WALKER_BLUEPRINTS = {"capture", "capture_offline", "i18n"}
WALKER_ENDPOINTS = {"index"}

bp = Blueprint("i18n", __name__)


PACKAGES = ("walks", "maps")


def translation_directories() -> list[str]:
    """Every `translations` folder of the project's packages (walks/, maps/)."""
    found = {po.parent.parent.parent
             for package in PACKAGES
             for po in (ROOT / package).glob("**/translations/*/LC_MESSAGES/*.po")}
    return [str(path) for path in sorted(found)]


def catalogs() -> list[Path]:
    """Every catalog of every language, in a fixed order."""
    return sorted(po for d in translation_directories() for po in Path(d).glob("*/LC_MESSAGES/messages.po"))


def compile_catalogs() -> list[Path]:
    """Write a .mo beside every .po that is newer than its .mo; return what was written."""
    written = []
    for po_path in catalogs():
        mo_path = po_path.with_suffix(".mo")
        if mo_path.exists() and mo_path.stat().st_mtime >= po_path.stat().st_mtime:
            continue
        with po_path.open("rb") as po_file:
            catalog = read_po(po_file)
        with mo_path.open("wb") as mo_file:
            write_mo(mo_file, catalog)
        written.append(mo_path)
    return written


def is_walker_page() -> bool:
    return has_request_context() and (request.blueprint in WALKER_BLUEPRINTS
                                      or request.endpoint in WALKER_ENDPOINTS)


def offered_languages() -> list[str]:
    """The languages of this page: every walker language on a walker's page, else the coordinators'."""
    config = current_app.config
    return config["LANGUAGES"] if is_walker_page() else config["COORDINATOR_LANGUAGES"]


def chosen_language() -> str:
    # CLI commands and services called outside a request speak the default language.
    chosen = request.cookies.get(LANG_COOKIE) if has_request_context() else None
    if chosen in offered_languages():
        return chosen
    return current_app.config["BABEL_DEFAULT_LOCALE"]


def select_locale() -> str:
    language = chosen_language()
    return FORMAT_LOCALES.get(language, language)


def language_of(locale) -> str:
    """The language code of a locale ("en" for en_GB), as Category.name() and the catalogs use it."""
    return str(locale).split("_")[0]


def leaflet_texts() -> dict:
    """The map controls' texts (static/js/leaflet-i18n.js puts them into Leaflet)."""
    return {"zoomIn": _("Zoom in"), "zoomOut": _("Zoom out"), "layers": _("Layers"), "marker": _("Marker"),
            "library": _("A JavaScript library for interactive maps")}


def safe_next(target: str | None, fallback: str = "/") -> str:
    """Only a path on this site: never an open redirect."""
    if not target:
        return fallback
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or not target.startswith("/") or target.startswith("//"):
        return fallback
    return target


@bp.post("/language")
@bp.post("/language/<code>")
def set_language(code: str | None = None):
    code = code or request.form.get("code", "")
    if code not in current_app.config["LANGUAGES"]:
        fail(400, _("We do not have that language. Choose one from the list."))
    response = redirect(safe_next(request.form.get("next") or request.referrer and urlsplit(request.referrer).path,
                                  url_for("index")))
    response.set_cookie(LANG_COOKIE, code, max_age=365 * 24 * 3600, samesite="Lax", httponly=True)
    return response


@click.group("translations")
def translations_cli():
    """Translation catalogs."""


@translations_cli.command("compile")
def compile_command():
    """Compile every .po catalog to .mo."""
    for path in compile_catalogs():
        click.echo(f"compiled {path.relative_to(ROOT)}")


def init_app(app):
    app.register_blueprint(bp)
    app.cli.add_command(translations_cli)

    @app.context_processor
    def inject_locale():
        locale = get_locale()
        return {"current_locale": language_of(locale), "text_direction": locale.text_direction,
                "language_choices": [(code, LANGUAGE_NAMES.get(code, code), Locale.parse(code).text_direction)
                                     for code in offered_languages()],
                "walker_page": is_walker_page(), "leaflet_texts": leaflet_texts}
