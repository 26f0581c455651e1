"""User-written text on its way into a mail header or a file name: one helper each.

Names of areas, walks, actors and recipients are typed by people; a line break in one must not add
a header to an e-mail (or make sending fail), and a slash or a quote must not change where a
download lands or break its Content-Disposition.
"""
from __future__ import annotations

import re
import unicodedata
from urllib.parse import quote

_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f\u2028\u2029]")
_SPACES = re.compile(r"\s+")
_FILE_UNSAFE = re.compile(r'[\\/:*?"<>|;,%=]')


def _one_line(value) -> str:
    text = unicodedata.normalize("NFC", "" if value is None else str(value))
    return _SPACES.sub(" ", _CONTROL.sub(" ", text)).strip()


def mail_header(value, max_length: int = 200) -> str:
    """One line without control characters, for a Subject or a display name in From/To."""
    return _one_line(value)[:max_length].rstrip()


def download_name(value, suffix: str = "", fallback: str = "download", max_length: int = 100) -> str:
    """A file name for Content-Disposition: no path, quotes, separators or control characters."""
    text = _FILE_UNSAFE.sub("-", _one_line(value)).replace(" ", "-")
    text = re.sub(r"-{2,}", "-", text).strip(".- ")[:max_length].rstrip(".- ")
    return (text or fallback) + suffix


def content_disposition(filename, disposition: str = "attachment") -> str:
    """The Content-Disposition header for a download: a cleaned name, with an ASCII fallback for old clients."""
    name = download_name(filename)
    fallback = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode() or "download"
    return f"{disposition}; filename=\"{fallback}\"; filename*=UTF-8''{quote(name, safe='')}"
