"""Every page the demo links to opens: an admin and the demo coordinator follow every link they are shown.

Route tests use hand-made rows; this one uses the demo's (walks, reports, actions, follow-ups and
their history), so a page that breaks on real data (a 500) is found here.
"""
from __future__ import annotations

import html
import re
from collections import deque
from urllib.parse import urljoin, urlsplit

import pytest

from walks import demo
from walks.auth import service as accounts
from walks.extensions import db

from .. import factories

HREF = re.compile(r'href="([^"]+)"')
SKIP = ("/static/", "/logout", "/sw.js")
PER_PATH = 3  # the same path with other query strings (filters, pages): a few are enough
LIMIT = 600


def crawl(client, start: str = "/") -> dict[str, int]:
    seen: dict[str, int] = {}
    per_path: dict[str, int] = {}
    queue = deque([start])
    while queue and len(seen) < LIMIT:
        url = queue.popleft()
        if url in seen:
            continue
        response = client.get(url)
        seen[url] = response.status_code
        if response.status_code in (301, 302, 303):
            links = [response.headers["Location"]]
        elif response.status_code == 200 and response.mimetype == "text/html":
            links = HREF.findall(response.get_data(True))
        else:
            links = []
        response.close()  # photos and downloads are files: close them
        for raw in links:
            parts = urlsplit(urljoin(url, html.unescape(raw)))
            if parts.scheme not in ("", "http") or parts.netloc not in ("", "localhost"):
                continue
            path = parts.path
            if any(path.startswith(s) for s in SKIP):
                continue
            target = path + (f"?{parts.query}" if parts.query else "")
            if target in seen or per_path.get(path, 0) >= PER_PATH:
                continue
            per_path[path] = per_path.get(path, 0) + 1
            queue.append(target)
    return seen


@pytest.fixture
def demo_app(app, runner):
    result = runner.invoke(args=["demo"])
    assert result.exit_code == 0, result.output
    return app


@pytest.mark.parametrize("who", ["admin", "coordinator"])
def test_every_linked_page_of_the_demo_opens(demo_app, client, login, who):
    if who == "admin":
        login(factories.user(role="admin"))
    else:
        user = accounts.find_user(demo.DEMO_EMAIL)
        accounts.set_password(user, "correct horse battery")
        db.session.commit()
        login(user)
    pages = crawl(client)
    broken = {url: status for url, status in pages.items() if status >= 500}
    assert not broken, broken
    assert len(pages) > 100  # the crawl reached the walks, reports, actions and follow-ups
