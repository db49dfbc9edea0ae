"""Reading comfort in a real Chromium: the table of contents (a sticky column on a wide screen, a
closed <details> on a phone), heading links, the borders of controls, the search and 404 pages,
the tags a link preview reads, and the weight of the heaviest page."""

import gzip
import re
import struct
from urllib.parse import urljoin
from urllib.request import urlopen

import pytest

from .conftest import page_paths, serving

pytestmark = pytest.mark.browser

WIDE = {"width": 1280, "height": 900}
PHONE = {"width": 390, "height": 844}
UPPER_THIRD = 300  # px from the top of a 900 px window
CONTROL_CONTRAST = 3.0  # WCAG 1.4.11, non-text contrast
WEIGHT_LIMIT = 10 * 1024  # bytes of HTML + CSS, gzip-compressed, of the heaviest page
NOTHING = "zqxjvwk"  # a word no page holds
STYLESHEET = re.compile(r'<link rel="stylesheet" href="([^"]+)"')

# The first paragraph of a page's text: after its title, date and contents.
FIRST_PARAGRAPH = "article.page > p:not(.page-date, .draft-note)"


def html_of(out, path: str) -> str:
    """The built HTML of the page at URL path ``path`` (as page_paths gives it)."""
    return (out / path if path.endswith(".html") else out / path / "index.html").read_text("utf-8")


@pytest.fixture(scope="module")
def with_contents(served_site) -> list[str]:
    """The URL paths of the built pages that have a table of contents."""
    _, out = served_site
    paths = [path for path in page_paths(out) if 'class="contents"' in html_of(out, path)]
    assert paths, "no page of the site has a table of contents"
    return paths


def box(page, selector: str) -> dict:
    found = page.locator(selector).first.bounding_box()
    assert found is not None, f"{selector} is not shown"
    return found


def test_wide_screen_text_starts_in_the_upper_third_beside_a_sticky_contents(
    served_site, with_contents, tab, capsys
):
    base, _ = served_site
    page = tab(viewport=WIDE)
    tops = {}
    for path in with_contents:
        page.goto(base + path)
        paragraph, contents = box(page, FIRST_PARAGRAPH), box(page, ".contents nav")
        tops[path] = paragraph["y"]
        assert paragraph["y"] < UPPER_THIRD, path
        # A column of its own: right of the text, inside the window, its links shown.
        assert contents["x"] >= paragraph["x"] + paragraph["width"], path
        assert contents["x"] + contents["width"] <= WIDE["width"], path
        assert page.locator(".contents summary").is_hidden(), path
        assert page.locator(".contents a").first.is_visible(), path
        assert page.evaluate("getComputedStyle(document.querySelector('.contents')).position") == "sticky"
        assert page.evaluate("document.documentElement.scrollWidth <= innerWidth"), path
    with capsys.disabled():
        print(
            f"\nfirst paragraph's top at 1280x900: {', '.join(f'/{p} {t:.0f} px' for p, t in tops.items())}"
        )


def test_contents_stays_in_view_while_the_text_scrolls(served_site, with_contents, tab):
    base, _ = served_site
    page = tab(viewport=WIDE)
    heights = {}
    for path in with_contents:
        page.goto(base + path)
        heights[path] = page.evaluate("document.body.scrollHeight")
    page.goto(base + max(heights, key=heights.get))
    # Halfway down the article: the column has been scrolled past its place, and sticks.
    page.evaluate("scrollTo(0, document.querySelector('article').offsetHeight / 2)")
    assert page.evaluate("scrollY") > 300, "the page is too short to scroll the contents out of view"
    contents = box(page, ".contents")
    assert 0 <= contents["y"] < WIDE["height"]


@pytest.mark.parametrize("script", [True, False], ids=["javascript", "no-javascript"])
def test_phone_contents_is_a_closed_details(served_site, with_contents, tab, script):
    base, _ = served_site
    page = tab(viewport=PHONE, java_script_enabled=script)
    for path in with_contents:
        page.goto(base + path)
        assert page.evaluate("document.querySelector('details.contents').open") is False, path
        assert page.locator(".contents summary").is_visible(), path
        assert page.locator(".contents a").first.is_hidden(), path
        assert page.evaluate("document.documentElement.scrollWidth <= innerWidth"), path
        # The text comes right after the title and a one-line summary.
        assert box(page, FIRST_PARAGRAPH)["y"] < PHONE["height"], path
    page.click(".contents summary")
    assert page.locator(".contents a").first.is_visible()


def test_heading_links_show_on_hover_and_focus_with_a_name(served_site, with_contents, tab):
    base, _ = served_site
    page = tab(viewport=WIDE)
    page.goto(base + with_contents[0])
    links = page.locator("article .heading-link")
    assert links.count() > 0
    assert page.get_by_role("link", name="Link to this section", exact=True).count() == links.count()

    def opacity() -> float:
        return float(links.first.evaluate("link => getComputedStyle(link).opacity"))

    page.mouse.move(0, 0)
    assert opacity() == 0
    links.first.evaluate("link => link.parentElement.scrollIntoView({block: 'center'})")
    heading = links.first.locator("xpath=..")
    heading.hover()
    assert opacity() == 1
    page.mouse.move(0, 0)
    assert opacity() == 0
    # The keyboard reaches it, and sees it.
    page.keyboard.press("Tab")
    for _ in range(200):
        if page.evaluate("document.activeElement.classList.contains('heading-link')"):
            break
        page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.classList.contains('heading-link')")
    assert float(page.evaluate("getComputedStyle(document.activeElement).opacity")) > 0


def test_the_menu_marks_the_section_holding_the_page_like_the_page(served_site, tab):
    base, out = served_site
    page = tab(viewport=WIDE)
    checked = 0
    for path in page_paths(out):
        page.goto(base + path)
        current = page.locator(".site-nav a[aria-current]")
        if not current.count():
            continue
        style = current.first.evaluate(
            "link => [getComputedStyle(link).color, getComputedStyle(link).textDecorationLine]"
        )
        assert style == [page.evaluate("getComputedStyle(document.body).color"), "underline"], path
        checked += page.locator(".site-nav a[aria-current='true']").count()
    assert checked, "no page sits inside a section of the menu"


def luminance(rgb: list[float]) -> float:
    def channel(value: float) -> float:
        value /= 255
        return value / 12.92 if value <= 0.04045 else ((value + 0.055) / 1.055) ** 2.4

    red, green, blue = (channel(value) for value in rgb[:3])
    return 0.2126 * red + 0.7152 * green + 0.0722 * blue


def contrast(first: list[float], second: list[float]) -> float:
    light, dark = sorted((luminance(first), luminance(second)), reverse=True)
    return (light + 0.05) / (dark + 0.05)


# The colour of an element's border, and the colours it meets: the element's own background
# (when it has one) and the first opaque one behind it.
BORDER_AND_BACKGROUNDS = """element => {
  const rgb = (text) => text.match(/[\\d.]+/g).map(Number);
  const opaque = (text) => { const parts = rgb(text); return parts.length < 4 || parts[3] === 1; };
  const style = getComputedStyle(element);
  const around = [];
  if (opaque(style.backgroundColor)) around.push(rgb(style.backgroundColor));
  for (let node = element.parentElement; node; node = node.parentElement) {
    const colour = getComputedStyle(node).backgroundColor;
    if (opaque(colour)) { around.push(rgb(colour)); break; }
  }
  return [rgb(style.borderTopColor), around];
}"""


@pytest.mark.parametrize("scheme", ["light", "dark"])
def test_borders_of_text_boxes_and_tags_reach_3_to_1(served_site, tab, scheme, capsys):
    base, out = served_site
    page = tab(viewport=WIDE, color_scheme=scheme)
    tagged = next(path for path in page_paths(out) if 'class="tag-list"' in html_of(out, path))
    ratios = {}
    for path, selector in [(tagged, "#search-box"), (tagged, ".tag-list a"), ("search/", "#search-query")]:
        page.goto(base + path)
        border, backgrounds = page.locator(selector).first.evaluate(BORDER_AND_BACKGROUNDS)
        assert backgrounds, selector
        ratios[selector] = min(contrast(border, background) for background in backgrounds)
    with capsys.disabled():
        print(f"\nborder contrast, {scheme}: " + ", ".join(f"{s} {r:.2f}:1" for s, r in ratios.items()))
    assert {selector: ratio for selector, ratio in ratios.items() if ratio < CONTROL_CONTRAST} == {}


def test_search_page_has_its_own_box_with_the_focus(served_site, tab):
    base, _ = served_site
    page = tab(viewport=WIDE)
    page.goto(base + "search/")
    assert page.evaluate("document.activeElement.id") == "search-query"
    assert page.locator("#search-none").is_hidden()
    page.keyboard.type("flask")  # straight into the box
    page.keyboard.press("Enter")
    page.wait_for_url(re.compile(r"/search/\?q=flask$"))
    page.wait_for_selector(".search-result", timeout=15_000)
    assert page.input_value("#search-query") == "flask"
    assert page.locator("#search-none").is_hidden()


def menu_links(page) -> list[str]:
    return page.eval_on_selector_all(".site-nav a", "links => links.map(link => link.href)")


def test_search_that_finds_nothing_offers_the_sections(served_site, tab):
    base, _ = served_site
    page = tab(viewport=WIDE)
    page.goto(f"{base}search/?q={NOTHING}")
    page.wait_for_selector("#search-none:not([hidden])", timeout=15_000)
    assert page.inner_text("[role=status]").startswith(f"No page mentions “{NOTHING}”.")
    sections = page.eval_on_selector_all("#search-none a", "links => links.map(link => link.href)")
    assert sections == menu_links(page) and sections


def test_404_page_offers_search_and_the_sections(served_site, tab):
    base, out = served_site
    page = tab(viewport=WIDE)
    page.goto(base + "404.html")
    form = page.locator("main form[role=search]")
    assert form.get_attribute("action") == "/search/"
    listed = page.eval_on_selector_all("main .page-list a", "links => links.map(link => link.href)")
    assert listed == menu_links(page) and listed
    assert len(listed) < len(page_paths(out))  # the sections, never every page
    page.fill("main input[name=q]", "flask")
    page.press("main input[name=q]", "Enter")
    page.wait_for_selector(".search-result", timeout=15_000)


@pytest.mark.parametrize("scheme", ["light", "dark"])
def test_axe_finds_nothing_on_the_reading_pages(served_site, with_contents, tab, scheme):
    from axe_playwright_python.sync_playwright import Axe

    base, _ = served_site
    axe = Axe()
    failures = {}
    for viewport in (WIDE, PHONE):
        page = tab(viewport=viewport, color_scheme=scheme)
        for path, ready in [
            (with_contents[0], None),
            ("search/", "#search-status:not(:empty)"),
            (f"search/?q={NOTHING}", "#search-none:not([hidden])"),
            ("404.html", None),
        ]:
            page.goto(base + path, wait_until="networkidle")
            if ready:
                page.wait_for_selector(ready, timeout=15_000)
            results = axe.run(page)
            if results.violations_count:
                failures[f"{path} at {viewport['width']}px"] = results.generate_report()
    assert failures == {}


def meta(page, selector: str) -> str | None:
    found = page.locator(f"head meta[{selector}]")
    return found.get_attribute("content") if found.count() else None


def test_search_and_404_pages_ask_not_to_be_indexed(served_site, tab):
    base, out = served_site
    page = tab()
    for path in page_paths(out):
        page.goto(base + path)
        wanted = "noindex" if path in ("search/", "404.html") else None
        assert meta(page, 'name="robots"') == wanted, path


def png_size(data: bytes) -> tuple[int, int]:
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    return struct.unpack(">II", data[16:24])


def test_link_previews_get_a_picture_and_a_type(served_site, tab):
    base, out = served_site
    page = tab()
    images = set()
    for path in page_paths(out):
        page.goto(base + path)
        image = meta(page, 'property="og:image"')
        assert image and image.startswith(base), path  # absolute, under the site's URL
        images.add(image)
        assert meta(page, 'name="twitter:card"') == "summary_large_image", path
        is_page = page.locator("article.page[data-pagefind-body]").count() and path != ""
        assert meta(page, 'property="og:type"') == ("article" if is_page else "website"), path
    for image in images:
        with urlopen(image) as response:
            assert response.headers["Content-Type"] == "image/png"
            assert png_size(response.read()) == (1200, 630)


def test_a_page_can_name_its_own_picture(tmp_path, tab):
    """``image:``: a file beside the page, or a path in static/; the site's picture otherwise."""
    from conftest import site_module

    pages = tmp_path / "pages"
    (pages / "guide").mkdir(parents=True)
    (pages / "index.md").write_text("---\ntitle: Home\n---\nThe home page.\n", "utf-8")
    (pages / "guide/index.md").write_text(
        "---\ntitle: Guide\nimage: img/favicon.svg\n---\nA guide.\n", "utf-8"
    )
    (pages / "guide/cover.png").write_bytes(b"\x89PNG\r\n\x1a\n")
    (pages / "guide/intro.md").write_text("---\ntitle: Intro\nimage: cover.png\n---\nAn intro.\n", "utf-8")
    (tmp_path / "site").mkdir()
    with serving(tmp_path / "site") as base:
        config = {
            "FLATPAGES_ROOT": str(pages),
            "SITE_CACHE_DIR": None,
            "SITE_SEARCH": False,
            "SITE_URL": base,
        }
        site_module.build_site(site_module.create_app(config), tmp_path / "site")
        page = tab()
        found = {}
        for path in ("", "guide/", "guide/intro/"):
            page.goto(base + path)
            found[path] = meta(page, 'property="og:image"')
    assert found["guide/intro/"] == urljoin(base, "guide/cover.png")
    assert re.fullmatch(re.escape(base) + r"static/img/favicon\.\w+\.svg", found["guide/"])
    assert re.fullmatch(re.escape(base) + r"static/img/social\.\w+\.png", found[""])


def test_heaviest_page_is_light(served_site, capsys):
    """HTML and its stylesheets, gzip-compressed as a static host sends them (the files as built)."""
    _, out = served_site
    weights = {}
    for path in page_paths(out):
        html = html_of(out, path)
        sheets = [(out / href.lstrip("/")).read_bytes() for href in STYLESHEET.findall(html)]
        weights[path] = sum(len(gzip.compress(data, 6)) for data in [html.encode(), *sheets])
    heaviest = max(weights, key=weights.get)
    with capsys.disabled():
        print(f"\nheaviest page (HTML + CSS, gzip): /{heaviest} {weights[heaviest]} bytes")
    assert weights[heaviest] < WEIGHT_LIMIT, heaviest


EXCERPT_PAGE = """---
title: Installing
---
Opening words.

## Setup

Install the walrusware package[^1] with pip, then import it.

```python
walrusware = install_walrusware()
```

[^1]: From PyPI.
"""


@pytest.mark.search
def test_excerpts_leave_out_code_and_footnote_numbers(tmp_path, tab):
    from conftest import site_module

    pages = tmp_path / "pages"
    pages.mkdir()
    (pages / "index.md").write_text("---\ntitle: Home\n---\nThe home page.\n", "utf-8")
    (pages / "installing.md").write_text(EXCERPT_PAGE, "utf-8")
    (tmp_path / "site").mkdir()
    with serving(tmp_path / "site") as base:
        config = {"FLATPAGES_ROOT": str(pages), "SITE_CACHE_DIR": None, "SITE_SEARCH": True, "SITE_URL": base}
        site_module.build_site(site_module.create_app(config), tmp_path / "site")
        page = tab()
        page.goto(f"{base}search/?q=walrusware")
        page.wait_for_selector(".search-result", timeout=15_000)
        excerpts = " ".join(
            page.eval_on_selector_all(".search-excerpt", "nodes => nodes.map(n => n.textContent)")
        )
    # Without the exclusions: "Install the walrusware package 1 with pip, then import it.
    # walrusware = install_walrusware() From PyPI. ↩"
    assert "walrusware package with pip" in excerpts
    assert "install_walrusware" not in excerpts and "↩" not in excerpts
