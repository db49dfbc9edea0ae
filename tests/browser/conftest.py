"""Browser fixtures: the real site, built and served on 127.0.0.1, and a system Chromium via Playwright.

The browser is $CHROMIUM if set, else the first of CHROMIUM_NAMES on PATH. Where there is none these
tests skip with the reason; under CI=true a missing browser fails.
"""

import contextlib
import functools
import http.server
import os
import shutil
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

# Looked up on PATH, in this order, when CHROMIUM is not set; each is a real Chromium build that
# Playwright launches headless through executable_path:
# - chromium: Debian's /usr/bin/chromium (this machine, .ci/run). On GitHub's Ubuntu runners it is a
#   link to the Chromium snapshot the image unpacks into /usr/local/share/chromium (actions/runner-images,
#   images/ubuntu/scripts/build/install-google-chrome.sh), so the Pages workflow installs nothing.
# - google-chrome-stable, google-chrome: Google's Chrome .deb, a Chromium build Playwright supports.
# chromium-browser is left out: Ubuntu's apt package of that name installs only a script that hands
# over to the Chromium snap (or says to install it), and a snap needs snapd and runs confined, which a
# headless launch in CI cannot count on. On the runners chromium-browser is the same link as
# chromium, so nothing is lost; a snap's launcher found under any name (/snap/bin/chromium) is
# passed over too.
CHROMIUM_NAMES = ("chromium", "google-chrome-stable", "google-chrome")
HOW_TO_GET_ONE = "set CHROMIUM to a Chromium or Chrome executable, or apt-get install chromium (Debian)"

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


def is_snap(path: str) -> bool:
    """Whether ``path`` launches a snap (/snap/bin/<name> is a link to /usr/bin/snap)."""
    return path.startswith("/snap/") or Path(path).resolve().name == "snap"


def find_chromium() -> tuple[str | None, str]:
    """The Chromium executable to drive, or None and why there is none."""
    chosen = os.environ.get("CHROMIUM")
    if chosen:  # taken as given, even a snap: whoever sets it has chosen
        found = shutil.which(chosen)
        return found, "" if found else f"CHROMIUM={chosen} is not an executable ({HOW_TO_GET_ONE})"
    for name in CHROMIUM_NAMES:
        found = shutil.which(name)
        if found and not is_snap(found):
            return found, ""
    return None, f"no Chromium on PATH, snaps aside (tried {', '.join(CHROMIUM_NAMES)}): {HOW_TO_GET_ONE}"


@pytest.fixture(scope="session")
def playwright_browser():
    chromium, reason = find_chromium()
    require(chromium is not None, reason)
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        require(False, "Playwright for Python is not installed (pip install '.[test]')")
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=chromium, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


class QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, format, *args):  # noqa: A002 - the name http.server uses
        pass


@contextlib.contextmanager
def serving(folder: Path) -> Iterator[str]:
    """Serve ``folder`` on 127.0.0.1 (a free port) while the block runs; its base URL."""
    handler = functools.partial(QuietHandler, directory=str(folder))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/"
    finally:
        server.shutdown()
        server.server_close()


@pytest.fixture(scope="session")
def served_site(tmp_path_factory):
    """The real site, built for and served at http://127.0.0.1:<port>/; yields (base URL, folder)."""
    from conftest import site_module

    work = tmp_path_factory.mktemp("browser")
    out = work / "site"
    out.mkdir()
    with serving(out) as base:  # the port first: the build writes its URL into every page
        config = {"SITE_URL": base, "SITE_SEARCH": True, "SITE_CACHE_DIR": str(work / "cache")}
        site_module.build_site(site_module.create_app(config), out)
        yield base, out


def page_paths(out: Path) -> list[str]:
    """The URL path of every HTML page in a build, search index excluded."""
    paths = []
    for path in sorted(out.rglob("*.html")):
        relative = path.relative_to(out).as_posix()
        if not relative.startswith("pagefind/"):
            paths.append(relative.removesuffix("index.html"))
    return paths


@pytest.fixture
def tab(playwright_browser):
    """A fresh tab (options as for a browser context) that fails the test on any page error."""
    contexts, errors = [], []

    def make(**options):
        context = playwright_browser.new_context(**options)
        contexts.append(context)
        page = context.new_page()
        page.on("pageerror", lambda error: errors.append(error))
        return page

    yield make
    for context in contexts:
        context.close()
    assert errors == []
