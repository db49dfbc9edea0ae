"""Every built page in a real Chromium: no errors, accessible, responsive, dark mode, light weight."""

import gzip
import re
import xml.etree.ElementTree as ET
from urllib.request import urlopen

import pytest

from .conftest import page_paths

pytestmark = pytest.mark.browser

WEIGHT_LIMIT = 15 * 1024  # bytes of HTML + CSS, gzip-compressed as a static host sends them


@pytest.fixture
def new_page(playwright_browser):
    """Open a page in a fresh browser context (viewport, colour scheme, JavaScript as given)."""
    contexts = []

    def make(**options):
        context = playwright_browser.new_context(**options)
        contexts.append(context)
        return context.new_page()

    yield make
    for context in contexts:
        context.close()


def visit(page, url):
    """Load ``url`` in a fresh tab; return the tab and the console errors and failed requests it caused."""
    page = page.context.new_page()
    problems = []
    page.on(
        "console", lambda message: message.type == "error" and problems.append(f"console: {message.text}")
    )
    page.on("pageerror", lambda error: problems.append(f"page error: {error}"))
    page.on("requestfailed", lambda request: problems.append(f"failed: {request.url}"))
    page.on(
        "response",
        lambda response: response.status >= 400 and problems.append(f"{response.status}: {response.url}"),
    )
    page.goto(url, wait_until="networkidle")
    return page, problems


def test_every_page_loads_cleanly_and_passes_axe(served_site, new_page):
    from axe_playwright_python.sync_playwright import Axe

    base, out = served_site
    axe = Axe()
    page = new_page()
    failures = {}
    for path in page_paths(out):
        tab, problems = visit(page, base + path)
        results = axe.run(tab)
        if results.violations_count:
            problems.append(results.generate_report())
        if problems:
            failures[path] = problems
        tab.close()
    assert failures == {}


def test_no_horizontal_scroll_at_360px(served_site, new_page):
    base, out = served_site
    page = new_page(viewport={"width": 360, "height": 740})
    wide = {}
    for path in page_paths(out):
        page.goto(base + path)
        scroll, client = page.evaluate(
            "[document.documentElement.scrollWidth, document.documentElement.clientWidth]"
        )
        if scroll > client:
            wide[path] = scroll
    assert wide == {}


def luminance(css_colour: str) -> float:
    red, green, blue = (int(value) for value in re.findall(r"\d+", css_colour)[:3])
    return (0.2126 * red + 0.7152 * green + 0.0722 * blue) / 255


@pytest.mark.parametrize(("scheme", "dark"), [("dark", True), ("light", False)])
def test_colour_scheme_follows_the_system(served_site, new_page, scheme, dark):
    base, _ = served_site
    page = new_page(color_scheme=scheme)
    page.goto(base + "structure/")
    background = page.evaluate("getComputedStyle(document.body).backgroundColor")
    text = page.evaluate("getComputedStyle(document.body).color")
    code = page.evaluate("getComputedStyle(document.querySelector('.highlight')).backgroundColor")
    assert (luminance(background) < 0.2) is dark
    assert (luminance(text) > 0.8) is dark
    assert (luminance(code) < 0.3) is dark


def test_search_box_finds_a_page_by_a_word_in_its_body(served_site, new_page):
    base, _ = served_site
    page, problems = visit(new_page(), base + "structure/this-site/")
    page.fill("#search-box", "monolithic")
    page.click(".search-form button")
    page.wait_for_selector(".search-list a", timeout=10_000)
    hrefs = page.eval_on_selector_all(
        ".search-list a", "links => links.map(link => link.getAttribute('href'))"
    )
    assert "/why-flask/" in hrefs
    assert problems == []


def test_pages_read_without_javascript(served_site, new_page):
    base, _ = served_site
    page = new_page(java_script_enabled=False)
    page.goto(base + "why-flask/")
    assert page.inner_text("h1") == "Why Flask?"
    page.goto(base + "search/?q=flask")
    assert "Every page is listed" in page.content()


def test_page_weight_and_nothing_blocks_rendering(served_site, new_page, capsys):
    base, out = served_site
    page = new_page()
    weights = {}
    for path in page_paths(out):
        loaded = []
        page = page.context.new_page()
        page.on("response", lambda response, loaded=loaded: loaded.append(response))
        page.goto(base + path, wait_until="networkidle")
        sent = [
            response for response in loaded if response.request.resource_type in ("document", "stylesheet")
        ]
        weights[path] = sum(len(gzip.compress(response.body(), 6)) for response in sent)
        blocking = page.evaluate(
            "document.querySelectorAll('head script:not([async]):not([defer]):not([type=module])').length"
        )
        assert blocking == 0, path
        assert page.evaluate("document.fonts.size") == 0, path  # no web font to wait for
    with capsys.disabled():
        heaviest = max(weights, key=weights.get)
        print(
            f"\npage weight (HTML + CSS, gzip): heaviest /{heaviest} {weights[heaviest]} bytes, "
            f"mean {sum(weights.values()) // len(weights)} bytes over {len(weights)} pages"
        )
    assert {path: size for path, size in weights.items() if size > WEIGHT_LIMIT} == {}


def test_feed_and_sitemap_list_the_pages(served_site):
    base, out = served_site
    pages = {
        base + path for path in page_paths(out) if path and not path.startswith(("tags/", "search/", "404"))
    }
    pages.add(base)
    sitemap = ET.fromstring(urlopen(base + "sitemap.xml").read())
    assert {url[0].text for url in sitemap} == pages
    feed = ET.fromstring(urlopen(base + "feed.xml").read())
    atom = "{http://www.w3.org/2005/Atom}"
    entries = [entry.find(f"{atom}link").get("href") for entry in feed.findall(f"{atom}entry")]
    assert set(entries) <= pages and len(entries) == len(set(entries)) > 0
    # Newest published first; an entry's <updated> is its last change, in any order.
    published = [entry.find(f"{atom}published").text for entry in feed.findall(f"{atom}entry")]
    assert published == sorted(published, reverse=True)
