"""Languages: Swedish first, English selectable and remembered in a cookie.

Message ids are English; each capability keeps its Swedish catalog beside its code
(`walks/<capability>/translations/sv/LC_MESSAGES/messages.po`) and Flask-Babel merges them.
Catalogs are compiled by the set-up (`flask --app app translations compile`), never committed as .mo.
"""
from __future__ import annotations

from pathlib import Path
from urllib.parse import urlsplit

import click
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from flask import Blueprint, current_app, has_request_context, redirect, request, url_for
from flask_babel import get_locale

ROOT = Path(__file__).resolve().parent.parent
LANG_COOKIE = "lang"

bp = Blueprint("i18n", __name__)


PACKAGES = ("walks", "maps")


def translation_directories() -> list[str]:
    """Every `translations` folder of the project's packages (walks/, maps/)."""
    found = {po.parent.parent.parent
             for package in PACKAGES
             for po in (ROOT / package).glob("**/translations/*/LC_MESSAGES/*.po")}
    return [str(path) for path in sorted(found)]


def catalogs() -> list[Path]:
    return [Path(d) / lang / "LC_MESSAGES" / "messages.po"
            for d in translation_directories()
            for lang in ("sv", "en") if (Path(d) / lang / "LC_MESSAGES" / "messages.po").exists()]


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


def select_locale() -> str:
    languages = current_app.config["LANGUAGES"]
    # CLI commands and services called outside a request speak the default language.
    chosen = request.cookies.get(LANG_COOKIE) if has_request_context() else None
    if chosen in languages:
        return chosen
    return current_app.config["BABEL_DEFAULT_LOCALE"]


def safe_next(target: str | None, fallback: str = "/") -> str:
    """Only a path on this site: never an open redirect."""
    if not target:
        return fallback
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or not target.startswith("/") or target.startswith("//"):
        return fallback
    return target


@bp.post("/language/<code>")
def set_language(code: str):
    response = redirect(safe_next(request.form.get("next") or request.referrer and urlsplit(request.referrer).path,
                                  url_for("index")))
    if code in current_app.config["LANGUAGES"]:
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
        return {"current_locale": str(get_locale())}
