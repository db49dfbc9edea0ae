"""What readers get: navigation, tags, feed, sitemap, head tags, sanitised HTML, search index."""

import json
import re
import xml.etree.ElementTree as ET
from datetime import date, timedelta

import pytest

ATOM = "{http://www.w3.org/2005/Atom}"
SITEMAP = "{http://www.sitemaps.org/schemas/sitemap/0.9}"
SITE_URL = "https://example.org/guide/"


@pytest.fixture
def guide(write_page):
    write_page("index.md", "title: Home\ndescription: The home page.")
    write_page("guide/index.md", "title: The guide\norder: 1\ndescription: A section.")
    write_page("guide/a.md", "title: Step A\norder: 1\ndate: 2024-01-01\ntags: [Flask, C#]", "First step.\n")
    write_page("guide/b.md", "title: Step B\norder: 2\ndate: 2024-03-01\ntags: [flask, C]", "Second step.\n")
    write_page("guide/c.md", "title: Step C\norder: 3\ntags: ['why?', a/b, café, Big  Data]", "Third step.\n")
    write_page(
        "about.md", "title: About\norder: 2\ndate: 2024-02-01", "All about *us*, in a long first paragraph.\n"
    )


@pytest.fixture
def built(site, guide, pages_dir, tmp_path):
    app = site.create_app({"FLATPAGES_ROOT": str(pages_dir), "SITE_URL": SITE_URL})
    out = tmp_path / "out"
    site.build_site(app, out)
    return out


def read(out, path):
    return (out / path).read_text("utf-8")


def test_previous_and_next_in_reading_order(built):
    html = read(built, "guide/b/index.html")
    assert (
        '<a class="pager-previous" href="/guide/guide/a/" rel="prev"><span>Previous</span> Step A</a>' in html
    )
    assert '<a class="pager-next" href="/guide/guide/c/" rel="next"><span>Next</span> Step C</a>' in html
    first = read(built, "guide/a/index.html")  # the first of its section: before it, the section's page
    assert '<a class="pager-previous" href="/guide/guide/" rel="prev">' in first and 'rel="next"' in first


def test_breadcrumbs_for_nested_pages(built):
    html = read(built, "guide/b/index.html")
    crumbs = html.split('<nav class="breadcrumbs" aria-label="Breadcrumb">')[1].split("</nav>")[0]
    assert [part.split('">')[1] for part in crumbs.split("</a>")[:-1]] == ["Home", "The guide", "Step B"]
    assert 'aria-label="Breadcrumb"' not in read(built, "about/index.html")


def test_table_of_contents_on_long_pages_only(site, write_page, tmp_app):
    write_page("index.md", "title: Home")
    write_page(
        "long.md", "title: Long", "## One\n\ntext\n\n## Two\n\ntext\n\n### Two and a half\n\n## Three\n"
    )
    write_page("short.md", "title: Short", "## Only\n\ntext\n")
    client = tmp_app.test_client()
    html = client.get("/long/").get_data(as_text=True)
    toc = html.split('<nav class="toc"')[1].split("</nav>")[0]
    assert re.findall(r'href="(#[^"]+)"', toc) == ["#one", "#two", "#two-and-a-half", "#three"]
    assert '<h2 id="two">Two<a aria-label="Link to this section" class="heading-link" href="#two"' in html
    assert 'class="toc"' not in client.get("/short/").get_data(as_text=True)


def test_tags_index_lists_every_tag_with_counts(built):
    html = read(built, "tags/index.html")
    assert '>Flask</a> <span class="count">(2 pages)</span>' in html
    for name in ("C#", "C", "why?", "a/b", "café", "Big Data"):
        assert f'>{name}</a> <span class="count">(1 page)</span>' in html


def test_every_tag_link_resolves_to_its_own_html_folder(built):
    html = read(built, "tags/index.html")
    links = [part.split('"')[0] for part in html.split('<a href="/guide/tags/')[1:]]
    links = [link for link in links if link]  # the footer's link to /tags/ itself
    assert len(links) == len(set(links)) == 7
    for link in links:
        assert link.endswith("/") and "/" not in link[:-1], link
        assert (built / "tags" / link / "index.html").is_file(), link
    assert sorted(links) == sorted({link.casefold() for link in links})  # no case-only twins


def test_tag_page_lists_its_pages_and_pages_link_their_tags(built):
    html = read(built, "tags/flask/index.html")
    assert html.index("Step B") < html.index("Step A")  # newest first
    page = read(built, "guide/a/index.html")
    assert '<a href="/guide/tags/flask/">Flask</a>' in page


def test_atom_feed(built):
    feed = ET.fromstring(read(built, "feed.xml"))
    assert feed.tag == f"{ATOM}feed"
    entries = feed.findall(f"{ATOM}entry")
    assert [entry.find(f"{ATOM}title").text for entry in entries] == ["Step B", "About", "Step A"]
    assert feed.find(f"{ATOM}updated").text == "2024-03-01T00:00:00Z"
    for entry in entries:
        assert entry.find(f"{ATOM}id").text.startswith(SITE_URL)
        assert entry.find(f"{ATOM}link").get("href").startswith(SITE_URL)
        assert entry.find(f"{ATOM}updated").text.endswith("T00:00:00Z")
    assert feed.find(f"{ATOM}link[@rel='self']").get("href") == SITE_URL + "feed.xml"
    assert '<link rel="alternate" type="application/atom+xml"' in read(built, "index.html")


def test_sitemap_and_robots(built):
    sitemap = ET.fromstring(read(built, "sitemap.xml"))
    locations = sorted(url.find(f"{SITEMAP}loc").text for url in sitemap)
    paths = ["", "about/", "guide/", "guide/a/", "guide/b/", "guide/c/"]
    assert locations == sorted(SITE_URL + path for path in paths)
    assert f"Sitemap: {SITE_URL}sitemap.xml" in read(built, "robots.txt")


def test_head_of_a_page(built):
    html = read(built, "about/index.html")
    assert "<title>About · Flask, briefly</title>" in html
    assert '<meta name="description" content="All about us, in a long first paragraph.">' in html
    assert f'<link rel="canonical" href="{SITE_URL}about/">' in html
    assert '<meta property="og:title" content="About">' in html
    assert '<meta property="og:description" content="All about us, in a long first paragraph.">' in html
    assert f'<meta property="og:url" content="{SITE_URL}about/">' in html
    assert re.search(
        r'<link rel="icon" href="/guide/static/img/favicon\.[0-9a-f]{8}\.svg" type="image/svg\+xml">', html
    )


@pytest.mark.parametrize(
    ("path", "canonical"),
    [
        ("index.html", SITE_URL),
        ("guide/index.html", SITE_URL + "guide/"),
        ("guide/a/index.html", SITE_URL + "guide/a/"),
        ("tags/index.html", SITE_URL + "tags/"),
    ],
)
def test_canonical_link_is_the_pages_own_url(built, path, canonical):
    html = read(built, path)
    assert f'<link rel="canonical" href="{canonical}">' in html
    assert f'<meta property="og:url" content="{canonical}">' in html


def test_urls_are_written_percent_encoded_everywhere(site, write_page, pages_dir, tmp_path):
    write_page("index.md", "title: Home")
    write_page("café.md", "title: Café")
    out = tmp_path / "out"
    site.build_site(site.create_app({"FLATPAGES_ROOT": str(pages_dir), "SITE_URL": SITE_URL}), out)
    page, home = read(out, "café/index.html"), read(out, "index.html")
    assert f'<link rel="canonical" href="{SITE_URL}caf%C3%A9/">' in page
    assert f'<meta property="og:url" content="{SITE_URL}caf%C3%A9/">' in page
    assert f"<loc>{SITE_URL}caf%C3%A9/</loc>" in read(out, "sitemap.xml")
    assert 'href="/guide/caf%C3%A9/"' in home and "café/" not in home


def test_a_section_is_published_at_its_folder_only(built):
    assert (built / "guide/index.html").is_file()
    assert not (built / "guide/index").exists()


def test_future_pages_stay_out_of_feed_and_sitemap(site, write_page, pages_dir, tmp_path):
    write_page("index.md", "title: Home")
    write_page("later.md", f"title: Later\ndate: {date.today() + timedelta(days=3)}")
    site.build_site(site.create_app({"FLATPAGES_ROOT": str(pages_dir)}), tmp_path / "out")
    assert "Later" not in read(tmp_path / "out", "feed.xml")
    assert "later" not in read(tmp_path / "out", "sitemap.xml")


RAW = """\
<details><summary>More</summary><kbd>Ctrl</kbd> <abbr title="HyperText">HTML</abbr> x<sup>2</sup></details>

<img src="/static/img/favicon.svg" alt="logo" onerror="alert(1)">

<table><tr><td>cell</td></tr></table>

<script>alert("script")</script>
<p onclick="alert('click')">Click</p>
<a href="javascript:alert('js')">js link</a>
<!-- a private comment -->
"""


def test_raw_html_is_sanitised(write_page, tmp_app):
    write_page("index.md", "title: Home")
    write_page("raw.md", "title: Raw", RAW)
    html = tmp_app.test_client().get("/raw/").get_data(as_text=True)
    for kept in (
        "<details><summary>More</summary>",
        "<kbd>Ctrl</kbd>",
        '<abbr title="HyperText">',
        "<sup>2</sup>",
    ):
        assert kept in html
    # The image stays, by its fingerprinted name and with its size read from the file (links.py).
    assert re.search(
        r'<img src="/static/img/favicon\.[0-9a-f]{8}\.svg" alt="logo" width="32" height="32">', html
    )
    assert "<td>cell</td>" in html
    for removed in ("alert", "onclick", "onerror", "javascript:", "private comment"):
        assert removed not in html


def test_raw_html_can_be_trusted_by_a_setting(site, write_page, pages_dir):
    write_page("index.md", "title: Home")
    write_page("raw.md", "title: Raw", RAW)
    app = site.create_app({"FLATPAGES_ROOT": str(pages_dir), "SITE_TRUST_HTML": True})
    assert '<script>alert("script")</script>' in app.test_client().get("/raw/").get_data(as_text=True)


def test_front_matter_is_escaped_everywhere(site, write_page, pages_dir, tmp_path):
    evil = "<script>alert(1)</script>"
    write_page("index.md", "title: Home")
    write_page(
        "evil.md",
        f"title: '{evil}'\ndescription: '\"><b>x</b>'\ndate: 2024-01-01\ntags: ['{evil}']\nmenu: '{evil}'",
    )
    out = tmp_path / "out"
    site.build_site(site.create_app({"FLATPAGES_ROOT": str(pages_dir)}), out)
    for path in out.rglob("*"):
        if path.suffix in (".html", ".xml"):
            text = path.read_text("utf-8")
            assert evil not in text, path
            assert '"><b>x</b>' not in text, path
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in read(out, "evil/index.html")


@pytest.mark.search
def test_build_writes_a_search_index(built):
    assert json.loads((built / "pagefind/bundles.json").read_text()) == ["site/"]
    assert (built / "pagefind/site/pagefind.js").is_file()
    assert 'data-bundle="/guide/pagefind/"' in read(built, "search/index.html")
    assert "<form" in read(built, "about/index.html") and 'action="/guide/search/"' in read(
        built, "about/index.html"
    )


def test_previous_and_next_walk_the_guide_and_the_menu_marks_the_section(write_page, tmp_app):
    write_page("index.md", "title: Home\norder: 0")
    write_page("first.md", "title: First\norder: 1\nmenu: First")
    write_page("guide/index.md", "title: Guide\norder: 2")
    write_page("guide/step.md", "title: Step\norder: 1")
    write_page("last.md", "title: Last\norder: 3\nmenu: Last")
    client = tmp_app.test_client()

    def nav(url: str) -> tuple[str | None, str | None, list[str]]:
        html = client.get(url).get_data(as_text=True)
        previous = re.search(r'href="([^"]*)" rel="prev"', html)
        following = re.search(r'href="([^"]*)" rel="next"', html)
        menu = html[html.index('<nav class="site-nav"') :].split("</nav>", 1)[0]
        marked = re.findall(r'<a href="([^"]*)" aria-current="(?:page|true)"', menu)
        return previous and previous[1], following and following[1], marked

    assert nav("/") == (None, "/first/", [])
    assert nav("/first/") == ("/", "/guide/", ["/first/"])
    assert nav("/guide/") == ("/first/", "/guide/step/", ["/guide/"])
    assert nav("/guide/step/") == ("/guide/", "/last/", ["/guide/"])  # its section, marked
    assert nav("/last/") == ("/guide/step/", None, ["/last/"])
