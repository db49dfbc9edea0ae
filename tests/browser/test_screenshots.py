"""Screenshots of every page of the project's own site, for a reviewer who does not build it.

With $SCREENSHOTS set (the Pages workflow sets ``screenshots``, git-ignored, and uploads it), each
built page is saved there whole at 1280x900 in light and dark and at 390x844, named by its URL
path: ``structure--this-site.1280x900-dark.png``, ``home.390x844.png``. Without it the same pages
are loaded at the same sizes and nothing is saved.
"""

import os
from pathlib import Path

import pytest

from .conftest import page_paths

pytestmark = pytest.mark.browser

SHOTS = {  # the name's ending: (viewport, colour scheme)
    "1280x900-light": ({"width": 1280, "height": 900}, "light"),
    "1280x900-dark": ({"width": 1280, "height": 900}, "dark"),
    "390x844": ({"width": 390, "height": 844}, "light"),
}


def shot_name(path: str) -> str:
    """A file name for the page at URL path ``path`` (as page_paths gives it): its segments joined
    by ``--``, the home page ``home``, ``404.html`` ``404``."""
    return path.strip("/").removesuffix(".html").replace("/", "--") or "home"


def test_names_are_distinct_and_plain():
    paths = ["", "structure/", "structure/this-site/", "404.html", "tags/page/2/"]
    names = [shot_name(path) for path in paths]
    assert names == ["home", "structure", "structure--this-site", "404", "tags--page--2"]


def test_every_page_is_photographed(served_site, playwright_browser):
    base, out = served_site
    folder = Path(os.environ["SCREENSHOTS"]) if os.environ.get("SCREENSHOTS") else None
    if folder:
        folder.mkdir(parents=True, exist_ok=True)
    paths = page_paths(out)
    assert paths
    saved = []
    for ending, (viewport, scheme) in SHOTS.items():
        context = playwright_browser.new_context(viewport=viewport, color_scheme=scheme)
        page = context.new_page()
        try:
            for path in paths:
                response = page.goto(base + path, wait_until="networkidle")
                assert response is not None and response.ok, path
                assert page.locator("h1").count() == 1, path
                if folder:
                    target = folder / f"{shot_name(path)}.{ending}.png"
                    page.screenshot(path=target, full_page=True)
                    saved.append(target)
        finally:
            context.close()
    if folder:
        assert len(saved) == len(paths) * len(SHOTS)
        assert all(target.stat().st_size > 0 for target in saved)
