"""Listings at any size: pages of SITE_PAGE_SIZE that link each other, feeds of the newest
entries, sitemaps split at the protocol's limit, and a menu that never lists every page. Each
rebuilt from the cache after pages come and go gives the bytes of a clean build."""

import re
import shutil
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest
from conftest import make_app, snapshot

ATOM = "{http://www.w3.org/2005/Atom}"
SITEMAP = "{http://www.sitemaps.org/schemas/sitemap/0.9}"
SMALL = {"SITE_PAGE_SIZE": 20, "SITE_FEED_LIMIT": 20, "SITE_SITEMAP_LIMIT": 10}


@pytest.fixture
def blog(write_page):
    """A home page and 45 dated, tagged posts at the top of pages/, one folder of 3 more."""
    write_page("index.md", "title: Home\ndescription: The home page.")
    for number in range(45):
        day = f"2026-{1 + number // 28:02}-{1 + number % 28:02}"
        write_page(f"post-{number:02}.md", f"title: Post {number:02}\ndate: {day}\ntags: [news]")
    write_page("notes/index.md", "title: Notes\norder: 1")
    for number in range(3):
        write_page(f"notes/note-{number}.md", f"title: Note {number}")


def build(site, pages_dir: Path, tmp_path: Path, out: str = "out", cache: bool = True, **config) -> Path:
    app = make_app(site, pages_dir, tmp_path, **{**SMALL, **config})
    if not cache:
        app.config["SITE_CACHE_DIR"] = None
        app = site.create_app({**app.config})
    site.build_site(app, tmp_path / out)
    return tmp_path / out


def links(html: str, css_class: str) -> list[str]:
    """The hrefs of the links inside the first element of ``css_class``."""
    block = html.split(f'class="{css_class}"', 1)[1].split("</ul>", 1)[0]
    return re.findall(r'<a href="([^"]+)"', block)


def listed(out: Path, first: str) -> list[list[str]]:
    """The pages each page of a listing links in its list, following its "Next" links."""
    pages, url = [], first
    while url:
        html = (out / url.strip("/") / "index.html").read_text("utf-8")
        pages.append(links(html, "page-list"))
        following = re.search(r'href="([^"]+)" rel="next"', html)
        url = following and following.group(1)
    return pages


def test_a_listing_of_45_pages_gives_three_pages_that_link_each_other(site, blog, pages_dir, tmp_path):
    out = build(site, pages_dir, tmp_path)
    home = listed(out, "/")
    assert [len(page) for page in home] == [20, 20, 9]  # 45 posts, the notes page and its 3 notes
    every = [url for page in home for url in page]
    assert sorted(every) == sorted(
        [f"/post-{number:02}/" for number in range(45)]
        + ["/notes/"]
        + [f"/notes/note-{n}/" for n in range(3)]
    ), "every page exactly once"
    # The guide's tree order: the notes (order 1) first, each folder's page before its pages.
    assert every[:4] == ["/notes/", "/notes/note-0/", "/notes/note-1/", "/notes/note-2/"]
    last = (out / "page/3/index.html").read_text("utf-8")
    assert 'href="/page/2/" rel="prev"' in last and 'rel="next"' not in last
    assert 'href="/" aria-current' not in last and 'aria-current="page" href="/page/3/"' in last
    assert not (out / "page/1").exists() and not (out / "page/4").exists()


def test_a_tag_lists_its_pages_newest_first_in_pages_and_has_a_feed(site, blog, pages_dir, tmp_path):
    out = build(site, pages_dir, tmp_path)
    tag = listed(out, "/tags/news/")
    assert [len(page) for page in tag] == [20, 20, 5]
    assert [url for page in tag for url in page] == [f"/post-{number:02}/" for number in reversed(range(45))]
    html = (out / "tags/news/index.html").read_text("utf-8")
    assert "45 pages, newest first" in html
    assert 'type="application/atom+xml"' in html and 'href="/tags/news/feed.xml"' in html
    feed = ET.parse(out / "tags/news/feed.xml").getroot()
    titles = [entry.find(f"{ATOM}title").text for entry in feed.iter(f"{ATOM}entry")]
    assert titles == [f"Post {number:02}" for number in reversed(range(25, 45))]


def test_the_feed_holds_the_newest_entries_with_full_content_when_asked(site, blog, pages_dir, tmp_path):
    out = build(site, pages_dir, tmp_path)
    entries = list(ET.parse(out / "feed.xml").getroot().iter(f"{ATOM}entry"))
    assert [entry.find(f"{ATOM}title").text for entry in entries] == [
        f"Post {number:02}" for number in reversed(range(25, 45))
    ]
    assert all(entry.find(f"{ATOM}content") is None for entry in entries)
    full = build(site, pages_dir, tmp_path, "full", SITE_FEED_FULL_CONTENT=True, SITE_FEED_LIMIT=3)
    entries = list(ET.parse(full / "feed.xml").getroot().iter(f"{ATOM}entry"))
    assert len(entries) == 3
    assert [entry.find(f"{ATOM}content").text for entry in entries] == ["<p>Some text.</p>"] * 3


def test_a_full_content_feed_follows_an_edit_of_a_body(site, blog, pages_dir, write_page, tmp_path):
    build(site, pages_dir, tmp_path, SITE_FEED_FULL_CONTENT=True)
    write_page("post-44.md", "title: Post 44\ndate: 2026-02-17\ntags: [news]", "Some text.\n\nAnd more.\n")
    out = build(site, pages_dir, tmp_path, SITE_FEED_FULL_CONTENT=True)
    assert "And more." in (out / "feed.xml").read_text("utf-8")
    assert "And more." in (out / "tags/news/feed.xml").read_text("utf-8")


def test_a_sitemap_past_its_limit_is_an_index_whose_files_hold_every_url_once(
    site, blog, pages_dir, tmp_path
):
    out = build(site, pages_dir, tmp_path)
    index = ET.parse(out / "sitemap.xml").getroot()
    assert index.tag == f"{SITEMAP}sitemapindex"
    parts = [loc.text for loc in index.iter(f"{SITEMAP}loc")]
    assert parts == [f"http://127.0.0.1:5000/sitemaps/{number}.xml" for number in range(1, 6)]
    urls = []
    for number in range(1, 6):
        part = ET.parse(out / f"sitemaps/{number}.xml").getroot()
        found = [loc.text for loc in part.iter(f"{SITEMAP}loc")]
        assert 0 < len(found) <= 10
        urls += found
    assert len(urls) == len(set(urls)) == 50, "the home page, 45 posts, the notes and 3 notes"
    small = build(site, pages_dir, tmp_path, "small", SITE_SITEMAP_LIMIT=50_000)
    assert ET.parse(small / "sitemap.xml").getroot().tag == f"{SITEMAP}urlset"
    assert not (small / "sitemaps").exists()


def test_listings_rebuilt_after_pages_come_and_go_match_a_clean_build(
    site, blog, pages_dir, write_page, tmp_path
):
    build(site, pages_dir, tmp_path)
    (pages_dir / "post-03.md").unlink()
    write_page("post-99.md", "title: Post 99\ndate: 2026-03-01\ntags: [news, more]")
    write_page("notes/note-9.md", "title: Note 9")
    rebuilt = snapshot(build(site, pages_dir, tmp_path))
    shutil.rmtree(tmp_path / "clean", ignore_errors=True)
    clean = snapshot(build(site, pages_dir, tmp_path, "clean", cache=False))
    assert rebuilt.keys() == clean.keys()
    assert [name for name in rebuilt if rebuilt[name] != clean[name]] == []
    assert "page/3/index.html" in rebuilt and "tags/more/index.html" in rebuilt


def test_the_menu_of_200_top_level_pages_holds_only_folders_and_pages_that_ask(
    site, pages_dir, write_page, tmp_path
):
    write_page("index.md", "title: Home")
    for number in range(200):
        write_page(f"page-{number:03}.md", f"title: Page {number:03}")
    write_page("about.md", "title: About\nmenu: About us\norder: 1")
    write_page("guide/index.md", "title: Guide\norder: 2")
    out = build(site, pages_dir, tmp_path)
    html = (out / "page-000/index.html").read_text("utf-8")
    nav = html.split('<nav class="site-nav"', 1)[1].split("</nav>", 1)[0]
    assert re.findall(r'href="([^"]+)"[^>]*>([^<]+)</a>', nav) == [
        ("/about/", "About us"),
        ("/guide/", "Guide"),
    ]
    assert len(html) < 20_000, "no page carries every other page"


@pytest.mark.parametrize("path", ["page/2.md", "guide/page/3.md", "guide/page/12/deep.md"])
def test_a_page_named_like_a_listing_page_is_refused(site, pages_dir, write_page, tmp_path, path):
    from flaskguide.errors import SourceProblems

    write_page("index.md", "title: Home")
    write_page(path, "title: Clash")
    with pytest.raises(SourceProblems) as raised:
        build(site, pages_dir, tmp_path)
    assert raised.value.problems == [
        f"pages/{path}: its URL /{path.removesuffix('.md')}/ holds 'page/' and a number, the form of a "
        "listing's later pages (/guide/page/2/): rename the file or folder"
    ]
