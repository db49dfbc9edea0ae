"""The page model: a page knows its URL and its place in the site; one lookup finds a page by URL."""

import pytest

from flaskguide.pages import GuidePage, ReservedUrls, SiteIndex, url_of


# fmt: off
@pytest.mark.parametrize(
    ("page_path", "url"),
    [
        ("index",                 "/"),
        ("why-flask",             "/why-flask/"),
        ("guide/index",           "/guide/"),
        ("guide/intro",           "/guide/intro/"),
        ("guide/deep/index",      "/guide/deep/"),
        ("guide/deep/step",       "/guide/deep/step/"),
        ("guide/index-of-things", "/guide/index-of-things/"),
        ("reindex",               "/reindex/"),
        ("café/crème",            "/café/crème/"),
    ],
)
def test_url_of(page_path, url):
    assert url_of(page_path) == url
# fmt: on


def make_page(path: str, title: str = "", **meta) -> GuidePage:
    page = GuidePage(path, "", None, lambda page: "", "")
    page.__dict__["meta"] = {"title": title or path, **meta}
    page.source, page.source_sha = f"pages/{path}.md", path
    return page


# fmt: off
@pytest.mark.parametrize(
    ("path", "kind", "parent_url", "ancestor_urls", "in_folder"),
    [
        ("index",             "index",   None,            [],                          False),
        ("about",             "page",    "/",             [],                          False),
        ("guide/index",       "section", "/",             [],                          True),
        ("guide/intro",       "page",    "/guide/",       ["/guide/"],                 True),
        ("guide/deep/index",  "section", "/guide/",       ["/guide/"],                 True),
        ("guide/deep/step",   "page",    "/guide/deep/",  ["/guide/", "/guide/deep/"], True),
    ],
)
def test_a_page_knows_its_place(path, kind, parent_url, ancestor_urls, in_folder):
    page = make_page(path)
    assert (page.kind, page.parent_url, page.ancestor_urls, page.in_folder) == (
        kind, parent_url, ancestor_urls, in_folder,
    )
    assert page.is_home == (kind == "index") and page.is_section == (kind == "section")
# fmt: on


@pytest.fixture
def index():
    """A site with a nested section, a folder without its own page and a page beside a folder."""
    paths = [
        "index", "about", "guide/index", "guide/b", "guide/a", "guide/deep/index", "guide/deep/step",
        "loose/page", "notes", "notes/first",
    ]  # fmt: skip
    orders = {"guide/a": 1, "guide/b": 2, "guide/deep/index": 3, "about": 1, "guide/index": 2, "notes": 3}
    menus = {"about": "About"}  # notes.md does not ask to be in the menu
    return SiteIndex([make_page(path, order=orders.get(path, 99), **menu(menus, path)) for path in paths])


def menu(menus: dict, path: str) -> dict:
    return {"menu": menus[path]} if path in menus else {}


def paths(pages) -> list[str]:
    return [page.path for page in pages]


def test_one_lookup_finds_every_page_by_its_url(index):
    assert {url: page.path for url, page in index.by_url.items()} == {
        "/": "index",
        "/about/": "about",
        "/guide/": "guide/index",
        "/guide/a/": "guide/a",
        "/guide/b/": "guide/b",
        "/guide/deep/": "guide/deep/index",
        "/guide/deep/step/": "guide/deep/step",
        "/loose/page/": "loose/page",
        "/notes/": "notes",
        "/notes/first/": "notes/first",
    }
    assert "/guide/index/" not in index.by_url and index.home.path == "index"


# fmt: off
@pytest.mark.parametrize(
    ("path", "parent", "breadcrumbs", "children"),
    [
        ("about",           "index",            [],                             []),
        ("guide/index",     "index",            [],                             ["guide/a", "guide/b", "guide/deep/index"]),
        ("guide/a",         "guide/index",      ["guide/index"],                []),
        ("guide/deep/step", "guide/deep/index", ["guide/index", "guide/deep/index"], []),
        ("loose/page",      None,               [],                             []),
        # notes.md is a page, not the page of the notes/ folder (that would be notes/index.md).
        ("notes/first",     None,               [],                             []),
        ("notes",           "index",            [],                             []),
    ],
)
def test_parent_breadcrumbs_and_children(index, path, parent, breadcrumbs, children):
    page = index.by_url[url_of(path)]
    assert (index.parent(page).path if index.parent(page) else None) == parent
    assert paths(index.breadcrumbs(page)) == breadcrumbs
    assert paths(index.children(page)) == children
# fmt: on


def test_menu_and_neighbours_follow_order_then_title(index):
    assert paths(index.menu) == ["about", "guide/index"]
    previous, following = index.neighbours(index.by_url["/guide/b/"])
    assert (previous.path, following.path) == ("guide/a", "guide/deep/index")
    assert index.neighbours(index.home) == (None, index.by_url["/about/"])


def test_next_walks_the_whole_guide_from_the_home_page_to_its_last_page(index):
    walked, page = [], index.home
    while page is not None:
        walked.append(page.path)
        page = index.neighbours(page)[1]
    assert walked == ["index", *paths(index.tree)]
    assert index.neighbours(index.by_url[url_of(walked[-1])])[1] is None
    previous = index.neighbours(index.by_url["/guide/"])[0]
    assert previous.path == "about"  # across folders, not only within one


def test_the_menu_marks_the_section_a_page_is_in(index):
    guide, about = index.by_url["/guide/"], index.by_url["/about/"]
    assert index.holds(guide, index.by_url["/guide/deep/step/"])
    assert index.holds(guide, guide) and index.holds(about, about)
    assert not index.holds(guide, about) and not index.holds(about, index.by_url["/guide/a/"])


def test_listings_follow_the_tree_each_folder_after_its_own_page(index):
    # loose/ and notes/ have no page of their own (notes.md is a page beside its folder): they
    # sort after the folders that do, by name.
    assert paths(index.tree) == [
        "about", "guide/index", "guide/a", "guide/b", "guide/deep/index", "guide/deep/step",
        "notes", "loose/page", "notes/first",
    ]  # fmt: skip
    assert paths(index.listing(index.home)) == paths(index.tree)
    assert paths(index.listing(index.by_url["/guide/"])) == [
        "guide/a",
        "guide/b",
        "guide/deep/index",
        "guide/deep/step",
    ]
    assert paths(index.listing(index.by_url["/guide/deep/"])) == ["guide/deep/step"]
    assert index.listing(index.by_url["/about/"]) == []
    # Even after the pages beside it that have no order.
    unordered = SiteIndex([make_page("index"), make_page("zebra"), make_page("loose/page")])
    assert paths(unordered.tree) == ["zebra", "loose/page"]


def test_the_menu_of_a_flat_site_holds_only_folders_and_the_pages_that_ask():
    pages = [make_page("index")] + [make_page(f"post-{number}") for number in range(200)]
    pages += [make_page("about", menu="About"), make_page("guide/index")]
    assert paths(SiteIndex(pages).menu) == ["about", "guide/index"]


RESERVED = ReservedUrls({"tags": "the site's own /tags/", "feed.xml": "the site's own /feed.xml"})


# fmt: off
@pytest.mark.parametrize(
    ("url", "problem"),
    [
        ("/why/",                 None),
        ("/tagsoup/",             None),
        ("/guide/tags/",          None),
        ("/guide/index-card/",    None),
        ("/tags/",                "is taken by the site's own /tags/: rename the file or folder"),
        ("/Tags/python/",         "is taken by the site's own /tags/: rename the file or folder"),
        ("/feed.xml/",            "is taken by the site's own /feed.xml: rename the file or folder"),
        ("/guide/index/",         "uses 'index', the name of a folder's own page (index.md)"),
        ("/index/page/",          "uses 'index', the name of a folder's own page (index.md)"),
        ("/Index/",               "uses 'index', the name of a folder's own page (index.md)"),
        ("/what?/",               "holds '?', '#' or a backslash, which no URL's path can"),
        ("/c#sharp/notes/",       "holds '?', '#' or a backslash, which no URL's path can"),
        ("/back\\slash/",          "holds '?', '#' or a backslash, which no URL's path can"),
    ],
)
def test_reserved_url_forms(url, problem):
    found = RESERVED.problem(url)
    assert (found is None) if problem is None else (found is not None and found.startswith(problem))
# fmt: on


def test_a_url_that_is_not_a_pages_own_is_a_404_in_serve_too(site, write_page, pages_dir):
    write_page("index.md", "title: Home")
    write_page("guide/index.md", "title: Guide")
    write_page("guide/step.md", "title: Step")
    client = site.serve_app({"FLATPAGES_ROOT": str(pages_dir)}).test_client()
    assert client.get("/guide/").status_code == 200
    assert client.get("/guide/step/").status_code == 200
    for url in ("/guide/index/", "/index/", "/guide/step/index/", "/guide/step.md/"):
        assert client.get(url).status_code == 404, url
