"""Every user-facing string has a Swedish translation, and English is selectable."""
from __future__ import annotations

from pathlib import Path

from babel.messages.extract import extract_from_dir
from babel.messages.pofile import read_po

from walks import i18n

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


def swedish_catalog() -> dict[str, str]:
    merged = {}
    for path in i18n.catalogs():
        if path.parts[-3] != "sv":
            continue
        with path.open("rb") as handle:
            for message in read_po(handle):
                if message.id:
                    key = message.id[0] if isinstance(message.id, tuple) else message.id
                    text = message.string[0] if isinstance(message.string, tuple) else message.string
                    merged[key] = text
    return merged


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
