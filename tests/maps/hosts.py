"""Find every host an HTML page would contact: src/href attributes and URLs inside scripts and styles."""
from __future__ import annotations

import re
from html.parser import HTMLParser
from urllib.parse import urlsplit

URL_IN_TEXT = re.compile(r"""(?:https?:)?//[A-Za-z0-9.\-\[\]:{}]+""")
URL_ATTRIBUTES = {"src", "href", "action", "srcset", "poster", "data", "formaction"}


class _Collector(HTMLParser):
    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.urls: list[str] = []
        self._in_text = False

    def handle_starttag(self, tag, attrs):
        for name, value in attrs:
            if value and (name in URL_ATTRIBUTES or name == "style"):
                self.urls.extend(URL_IN_TEXT.findall(value) if name in ("style", "srcset") else [value])
        self._in_text = tag in ("script", "style")

    def handle_endtag(self, tag):
        self._in_text = False

    def handle_data(self, data):
        if self._in_text:
            self.urls.extend(URL_IN_TEXT.findall(data))


def hosts_in(html: str) -> set[str]:
    """The hosts (netloc) of every absolute or protocol-relative URL the page refers to."""
    collector = _Collector()
    collector.feed(html)
    hosts = set()
    for url in collector.urls:
        url = url.strip()
        if url.startswith("//") or re.match(r"^[a-z][a-z0-9+.\-]*:", url, re.I):
            parts = urlsplit(url if not url.startswith("//") else "http:" + url)
            if parts.scheme in ("http", "https") or url.startswith("//"):
                hosts.add(parts.netloc)
            elif parts.scheme not in ("data", "mailto", "tel", "blob"):
                hosts.add(f"{parts.scheme}:")
    return hosts
