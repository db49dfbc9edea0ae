"""Browser fixtures: the real site, built and served on 127.0.0.1, and Debian's Chromium via Playwright.

Where Chromium is missing these tests skip with the reason; under CI=true a missing browser fails.
"""

import functools
import http.server
import os
import shutil
import socket
import threading
from pathlib import Path

import pytest

CHROMIUM = "/usr/bin/chromium"
# Without these Chromium reaches for Google's services, which this machine's closed network refuses.
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]


def require(condition: bool, reason: str) -> None:
    if condition:
        return
    if os.environ.get("CI") == "true":
        pytest.fail(f"{reason} (CI=true: browser tests must run)")
    pytest.skip(reason)


@pytest.fixture(scope="session")
def playwright_browser():
    require(Path(CHROMIUM).exists(), f"Chromium is not installed at {CHROMIUM} (apt-get install chromium)")
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        require(False, "Playwright for Python is not installed (pip install '.[test]')")
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


class QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, format, *args):  # noqa: A002 - the name http.server uses
        pass


@pytest.fixture(scope="session")
def served_site(tmp_path_factory):
    """The real site, built for and served at http://127.0.0.1:<port>/; yields (base URL, folder)."""
    from conftest import site_module

    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    port = listener.getsockname()[1]
    listener.close()
    base = f"http://127.0.0.1:{port}/"
    out = tmp_path_factory.mktemp("browser") / "site"
    site_module.build_site(site_module.create_app({"SITE_URL": base}), out)
    handler = functools.partial(QuietHandler, directory=str(out))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", port), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield base, out
    server.shutdown()
    server.server_close()
    shutil.rmtree(out, ignore_errors=True)


def page_paths(out: Path) -> list[str]:
    """The URL path of every HTML page in a build, search index excluded."""
    paths = []
    for path in sorted(out.rglob("*.html")):
        relative = path.relative_to(out).as_posix()
        if not relative.startswith("pagefind/"):
            paths.append(relative.removesuffix("index.html"))
    return paths
