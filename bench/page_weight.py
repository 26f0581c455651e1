"""The capture page's weight on a phone: what a first visit moves, and how soon the walker can tap.

Run: .venv/bin/python bench/page_weight.py
Starts the app on 127.0.0.1:5100+ with its own SQLite in a temporary folder and the demo loaded, joins
the open walk, then loads the capture page cold (empty cache, new browser context) in headless Chromium
at 390 × 844, throttled with CDP Network.emulateNetworkConditions to Chrome's "Slow 4G" profile
(1.6 Mbit/s down × 0.9, 750 kbit/s up × 0.9, 562.5 ms round trip). It waits until the service worker
has stored the walk for offline use, so the worker's own downloads are counted too.
Bytes are counted where they leave the server (headers and body as sent, so compressed), which sees
the page's and the service worker's requests alike; map tiles and photos are left out.
Prints every request, the total, the app's own JavaScript (compressed) and the time from navigation
until the first category button is on screen and can be tapped.
Goals: ≤ 80 kB transferred, own JS ≤ 30 kB compressed, first button ≤ 1.5 s.
"""
from __future__ import annotations

import logging
import os
import sys
import tempfile
import threading
from collections import defaultdict

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from werkzeug.serving import make_server  # noqa: E402

from app import create_app  # noqa: E402
from walks import demo  # noqa: E402
from walks.capture import service as capture  # noqa: E402
from walks.extensions import db  # noqa: E402

CHROMIUM = "/usr/bin/chromium"
SLOW_4G = {"offline": False, "latency": 562.5, "downloadThroughput": 1.6 * 1000 * 1000 / 8 * 0.9,
           "uploadThroughput": 750 * 1000 / 8 * 0.9}
NOT_COUNTED = ("/photos/",)  # tiles come from another host and never reach this server
GOALS = {"transfer_kb": 80, "own_js_kb": 30, "first_button_ms": 1500}


class ByteCounter:
    """WSGI middleware: the bytes of every response as sent (status line, headers, body)."""

    def __init__(self, app):
        self.app = app
        self.sent: dict[str, int] = defaultdict(int)
        self.header_bytes = 0
        self.responses = 0
        self.lock = threading.Lock()

    def __call__(self, environ, start_response):
        path = environ.get("PATH_INFO", "") + ("?" + environ["QUERY_STRING"] if environ.get("QUERY_STRING") else "")

        def counting_start(status, headers, exc_info=None):
            size = len(f"HTTP/1.1 {status}\r\n") + sum(len(f"{k}: {v}\r\n") for k, v in headers) + 2
            self.add(path, size)
            if not path.startswith(NOT_COUNTED):
                with self.lock:
                    self.header_bytes += size
                    self.responses += 1
            return start_response(status, headers, exc_info)

        for chunk in self.app(environ, counting_start):
            self.add(path, len(chunk))
            yield chunk

    def add(self, path: str, size: int) -> None:
        with self.lock:
            self.sent[path] += size


def serve(app) -> tuple[object, ByteCounter, int]:
    counter = ByteCounter(app.wsgi_app)
    app.wsgi_app = counter
    for port in range(5100, 5200):
        try:
            server = make_server("127.0.0.1", port, app, threaded=True)
        except OSError:
            continue
        threading.Thread(target=server.serve_forever, daemon=True).start()
        return server, counter, port
    raise SystemExit("no free port in 5100–5199")


def demo_walker(app) -> tuple[str, int, str]:
    """The demo's open walk: (join code, walk id, a joined walker's token)."""
    with app.app_context():
        db.create_all()
        loaded = demo.load_demo()
        open_walk = loaded["walks"][1]
        _participant, token = capture.join_walk(open_walk, display_name="", role="resident", consent=True)
        db.session.commit()
        return open_walk.join_code, open_walk.id, token


def load_cold(base: str, code: str, walk_id: int, token: str) -> float:
    """Load the capture page in a fresh context; the ms until the first category can be tapped."""
    from playwright.sync_api import sync_playwright
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, headless=True,
                                             args=["--no-sandbox", "--disable-gpu", "--disable-quic"])
        context = browser.new_context(viewport={"width": 390, "height": 844}, device_scale_factor=2,
                                      is_mobile=True, has_touch=True, locale="sv-SE",
                                      permissions=["geolocation"],
                                      geolocation={"latitude": 57.7216, "longitude": 11.9527, "accuracy": 12})
        context.add_cookies([{"name": f"tvp_{walk_id}", "value": token, "url": base}])
        page = context.new_page()
        cdp = context.new_cdp_session(page)
        cdp.send("Network.enable")
        cdp.send("Network.emulateNetworkConditions", SLOW_4G)
        page.goto(f"{base}/j/{code}/capture", wait_until="commit")
        page.locator("label.capture-category").first.wait_for(state="visible", timeout=30000)
        # Painted: the next animation frame comes only once the render-blocking CSS is in.
        first_button_ms = page.evaluate(
            "new Promise(r => requestAnimationFrame(() => r(performance.now())))")
        page.wait_for_selector("html[data-offline-ready]", state="attached", timeout=60000)
        page.wait_for_load_state("networkidle")
        browser.close()
    return first_button_ms


def main() -> None:
    logging.getLogger("werkzeug").setLevel(logging.ERROR)
    with tempfile.TemporaryDirectory() as tmp:
        app = create_app({"SECRET_KEY": "bench", "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp}/bench.db",
                          "UPLOAD_DIR": f"{tmp}/uploads", "TILE_URL": "http://127.0.0.1:9/{z}/{x}/{y}.png"})
        code, walk_id, token = demo_walker(app)
        server, counter, port = serve(app)
        try:
            first_button_ms = load_cold(f"http://127.0.0.1:{port}", code, walk_id, token)
        finally:
            server.shutdown()
            with app.app_context():
                db.engine.dispose()
    counted = {path: size for path, size in counter.sent.items() if not path.startswith(NOT_COUNTED)}
    for path, size in sorted(counted.items(), key=lambda item: -item[1]):
        print(f"{size / 1024:7.1f} kB  {path}")
    transfer_kb = sum(counted.values()) / 1024
    own_js_kb = sum(size for path, size in counted.items()
                    if path.startswith("/static/js/") or path.startswith("/sw.js")) / 1024
    # HTTP/1.1 as counted here; over HTTP/2 (HPACK) the repeated headers shrink to a few bytes each.
    print(f"{counter.responses} responses, {transfer_kb:.1f} kB, of which headers {counter.header_bytes / 1024:.1f} kB; "
          f"own JavaScript {own_js_kb:.1f} kB; "
          f"first category button after {first_button_ms:.0f} ms (Slow 4G)")
    figures = {"transfer_kb": transfer_kb, "own_js_kb": own_js_kb, "first_button_ms": first_button_ms}
    for name, goal in GOALS.items():
        print(f"{name}: {figures[name]:.1f} (goal ≤ {goal}) {'ok' if figures[name] <= goal else 'OVER'}")
    print(f"RESULT transfer_kb={transfer_kb:.1f} own_js_kb={own_js_kb:.1f} first_button_ms={first_button_ms:.0f}")


if __name__ == "__main__":
    main()
