"""A menu of twelve entries and listings of many pages, in a real browser at a phone's width: no
sideways scroll, and every page reachable from the home page through the listings' own links."""

import re

import pytest

from .conftest import serving

pytestmark = pytest.mark.browser

SECTIONS = [f"Section with a long name {number}" for number in range(1, 11)]


@pytest.fixture(scope="module")
def listed_site(tmp_path_factory):
    """Ten sections and two menu pages (twelve menu entries), 130 posts in all; served."""
    from conftest import site_module

    work = tmp_path_factory.mktemp("listings")
    pages = work / "pages"

    def write(relative: str, front: str) -> None:
        path = pages / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(f"---\n{front}\n---\nA few words about it.\n", "utf-8")

    write("index.md", "title: Home")
    write("about.md", "title: About\nmenu: About this guide\norder: 1")
    write("contact.md", "title: Contact\nmenu: Contact the authors\norder: 99")
    for number, name in enumerate(SECTIONS, start=1):
        write(f"s{number}/index.md", f"title: {name}\norder: {number + 1}")
        for post in range(12):
            write(f"s{number}/post-{post}.md", f"title: Post {post} of {number}\ntags: [walrus, t{number}]")
    write("loose.md", "title: A page not in the menu")
    (work / "site").mkdir()
    config = {"FLATPAGES_ROOT": str(pages), "SITE_CACHE_DIR": str(work / "cache"), "SITE_SEARCH": False}
    with serving(work / "site") as base:
        site_module.build_site(site_module.create_app({**config, "SITE_URL": base}), work / "site")
        yield base


@pytest.fixture
def phone(playwright_browser):
    context = playwright_browser.new_context(viewport={"width": 360, "height": 740})
    yield context.new_page()
    context.close()


def test_twelve_menu_entries_and_listings_fit_360px(listed_site, phone):
    phone.goto(listed_site)
    entries = phone.locator(".site-nav a").all_inner_texts()
    assert entries == ["About this guide", *SECTIONS, "Contact the authors"]
    for path in ["", "page/2/", "s3/", "tags/", "tags/walrus/", "tags/walrus/page/3/", "s3/post-4/"]:
        phone.goto(listed_site + path)
        scroll, client = phone.evaluate(
            "[document.documentElement.scrollWidth, document.documentElement.clientWidth]"
        )
        assert scroll <= client, f"/{path} scrolls sideways at 360 px"


def test_every_page_is_reachable_from_the_home_page_by_its_listings(listed_site, phone):
    """Follow "Next" from the home page; every page of the site is listed on the way, once."""
    seen, url = [], listed_site
    while url:
        phone.goto(url)
        seen += phone.eval_on_selector_all(".page-list a", "links => links.map(link => link.pathname)")
        following = phone.locator('.pagination a[rel="next"]')
        url = following.get_attribute("href") if following.count() else None
        url = url and re.sub(r"^/", listed_site, url)
    assert len(seen) == len(set(seen)) == 3 + 10 * 13, (
        "about, contact, loose, and each section with its posts"
    )
