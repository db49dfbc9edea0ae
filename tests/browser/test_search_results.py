"""The search page with more matches than it shows at once: the count, "more results", deep links to
headings, and the same page in a relative build (served from a subpath, and opened from disk)."""

import re
from pathlib import Path

import pytest

from .conftest import CHROMIUM_ARGS, find_chromium, serving

pytestmark = [pytest.mark.browser, pytest.mark.search]

WORD = "walrus"
MATCHING = 30  # pages with the word: more than the 25 the issue names, three batches of 10
BATCH = 10
ODD_TITLE = 'Note 5 <b>bold</b> & "co"'  # markup in a title is text
# big/ gets a search bundle of its own (100 pages, see flaskguide/search.py), so the count and the
# batches only come out right if the search page merges the bundles.
BIG_FOLDER, BIG_MATCHING, FILLER = "big", 20, 80


def page_paths() -> list[str]:
    """Each matching page's URL path: ten at the top, the rest in big/."""
    top = MATCHING - BIG_MATCHING
    return [f"/p{n}/" if n <= top else f"/{BIG_FOLDER}/p{n}/" for n in range(1, MATCHING + 1)]


def write_pages(root: Path) -> None:
    def write(relative: str, title: str, body: str) -> None:
        path = root / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(f"---\ntitle: {title!r}\n---\n{body}", "utf-8")

    write("index.md", "Home", "The home page.\n")
    for n, path in enumerate(page_paths(), start=1):
        title = ODD_TITLE if n == 5 else f"Note {n}"
        body = f"Opening text on the {WORD}, `<em>{n}</em>`.\n\n## Walrus colony {n}\n\nA {WORD} colony of {n}.\n"
        write(f"{path.strip('/')}.md", title, body)
    for n in range(FILLER):
        write(f"{BIG_FOLDER}/filler-{n}.md", f"Filler {n}", "Nothing to find here.\n")


@pytest.fixture(scope="module")
def sites(tmp_path_factory):
    """The pages built twice, each served: at / (base, folder), and relative at /rel/ (base, folder)."""
    from conftest import site_module

    work = tmp_path_factory.mktemp("search-results")
    write_pages(work / "pages")
    (work / "site").mkdir()
    config = {
        "FLATPAGES_ROOT": str(work / "pages"),
        "SITE_CACHE_DIR": str(work / "cache"),
        "SITE_SEARCH": True,
    }
    with serving(work / "site") as base, serving(work / "served") as served:
        site_module.build_site(site_module.create_app({**config, "SITE_URL": base}), work / "site")
        site_module.build_site(
            site_module.create_app({**config, "SITE_RELATIVE": True}), work / "served" / "rel"
        )
        yield (base, work / "site"), (served + "rel/", work / "served" / "rel")


def search(page, url: str, word: str = WORD) -> None:
    page.goto(f"{url}search/?q={word}")
    page.wait_for_selector(".search-result", timeout=15_000)


def show_all(page) -> list[int]:
    """Press "more results" until it is gone; the number of results shown after each press."""
    counts = []
    while page.locator("button.search-more").count():
        before = page.locator(".search-result").count()
        page.get_by_role("button", name=re.compile("more results")).click()
        page.wait_for_function(f"document.querySelectorAll('.search-result').length > {before}")
        counts.append(page.locator(".search-result").count())
    return counts


def hrefs(page, selector: str = ".search-title") -> list[str]:
    return page.eval_on_selector_all(selector, "links => links.map(link => link.getAttribute('href'))")


def texts(page, selector: str) -> list[str]:
    return page.eval_on_selector_all(selector, "nodes => nodes.map(node => node.textContent)")


def test_the_count_is_of_pages_matched_not_shown(sites, tab):
    page = tab()
    search(page, sites[0][0])
    assert page.inner_text("[role=status]") == f"{MATCHING} pages match “{WORD}”, {BATCH} shown."
    assert page.locator("ol.search-list > li.search-result").count() == BATCH


def test_more_results_shows_every_page_once_and_focuses_the_first_new_one(sites, tab):
    page = tab()
    search(page, sites[0][0])
    assert show_all(page) == [20, 30]
    assert sorted(hrefs(page)) == sorted(page_paths())
    assert page.evaluate("document.activeElement === document.querySelectorAll('.search-title')[20]")
    assert page.inner_text("[role=status]") == f"{MATCHING} pages match “{WORD}”."


def test_no_button_when_one_batch_shows_every_match(sites, tab):
    page = tab()
    search(page, sites[0][0], "home")
    assert page.inner_text("[role=status]") == "1 page matches “home”."
    assert page.locator(".search-result").count() == 1
    assert page.locator("button.search-more").count() == 0


def test_each_result_links_to_its_heading(sites, tab):
    (base, out) = sites[0]
    page = tab()
    search(page, base)
    show_all(page)
    links = hrefs(page, ".search-sections a")
    headings = [f"{path}#walrus-colony-{n}" for n, path in enumerate(page_paths(), start=1)]
    assert sorted(links) == sorted(headings)
    for link in links:
        path, anchor = link.split("#")
        assert f'id="{anchor}"' in (out / path.strip("/") / "index.html").read_text("utf-8")


def test_titles_and_excerpts_are_text_but_the_marks(sites, tab):
    page = tab()
    search(page, sites[0][0])
    show_all(page)
    assert ODD_TITLE in texts(page, ".search-title")
    assert page.locator(".search-list b, .search-list em").count() == 0
    assert "<em>5</em>" in page.inner_text(".search-list")
    assert WORD in page.locator(".search-list mark").first.inner_text().lower()


def test_one_batch_fetches_one_batch_of_fragments(sites, tab, capsys):
    page = tab()
    loaded = []
    page.on("response", lambda response: loaded.append(response))
    search(page, sites[0][0])
    page.wait_for_load_state("networkidle")
    index = [response for response in loaded if "/pagefind/" in response.url]
    assert len([response for response in index if "/fragment/" in response.url]) == BATCH
    with capsys.disabled():
        print(f"\none query, {MATCHING} matches: {sum(len(r.body()) for r in index)} bytes from /pagefind/")


@pytest.mark.parametrize("scheme", ["light", "dark"])
def test_results_pass_axe_and_fit_360px(sites, tab, scheme):
    from axe_playwright_python.sync_playwright import Axe

    page = tab(viewport={"width": 360, "height": 740}, color_scheme=scheme)
    search(page, sites[0][0])
    show_all(page)
    results = Axe().run(page)
    assert results.violations_count == 0, results.generate_report()
    assert page.evaluate("document.documentElement.scrollWidth <= document.documentElement.clientWidth")


def test_relative_build_searches_from_a_subpath(sites, tab):
    base = sites[1][0]
    page = tab()
    page.goto(f"{base}search/index.html?q={WORD}")
    page.wait_for_selector(".search-result", timeout=15_000)
    assert all(href.startswith("/rel/") for href in hrefs(page))
    page.click(".search-title")
    assert page.inner_text("h1").startswith("Note")


def test_relative_build_from_disk_says_search_needs_a_server(sites, tab):
    out = sites[1][1]
    page = tab()
    page.goto((out / "search" / "index.html").as_uri() + f"?q={WORD}")
    page.wait_for_selector("#search-elsewhere:not([hidden])")
    assert page.inner_text("[role=status]").startswith("Search needs a web server")
    assert page.get_attribute("#search-elsewhere a", "href") == "../index.html"


def test_relative_build_from_disk_links_index_files_where_search_runs(sites, playwright_browser):
    out = sites[1][1]
    chromium = find_chromium()[0]
    args = [*CHROMIUM_ARGS, "--allow-file-access-from-files"]  # lets a page on disk load the index
    browser = playwright_browser.browser_type.launch(executable_path=chromium, args=args)
    try:
        page = browser.new_page()
        page.goto((out / "search" / "index.html").as_uri() + f"?q={WORD}")
        page.wait_for_selector(".search-result", timeout=15_000)
        page.click(".search-title")
        assert page.url.startswith(out.as_uri()) and page.url.endswith("/index.html")
        assert page.inner_text("h1").startswith("Note")
    finally:
        browser.close()
