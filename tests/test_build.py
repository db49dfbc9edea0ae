"""Freezing: every page written where a static host finds it, every internal link resolving."""

import hashlib
import re
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import unquote, urljoin, urlsplit

import pytest
from conftest import PROJECT, published_urls, snapshot


def built_files(out: Path) -> set[str]:
    return {path.relative_to(out).as_posix() for path in out.rglob("*") if path.is_file()}


class LinkCollector(HTMLParser):
    def __init__(self):
        super().__init__()
        self.links = []

    def handle_starttag(self, tag, attrs):
        for name, value in attrs:
            if name in ("href", "src") and value:
                self.links.append(value)


def internal_links(html: str, page_url: str) -> list[str]:
    collector = LinkCollector()
    collector.feed(html)
    absolute = (urljoin(page_url, link) for link in collector.links)
    return [urlsplit(link).path for link in absolute if link.startswith("http://site.test/")]


def resolves(out: Path, url_path: str) -> bool:
    target = out / unquote(url_path).lstrip("/")
    return (target / "index.html").is_file() if url_path.endswith("/") else target.is_file()


def fingerprinted(path: Path, out: Path) -> str:
    """Where a static file is published: its name carries the start of the SHA-256 of the bytes
    published (a stylesheet's are its own, rewritten: references by hashed names, no comments)."""
    stem, suffix = path.relative_to(PROJECT).as_posix().rsplit(".", 1)
    [published] = [
        found
        for found in out.glob(f"{stem}.*.{suffix}")
        if re.fullmatch(r"[0-9a-f]{8}", found.name.split(".")[-2])
    ]
    assert published.name.split(".")[-2] == hashlib.sha256(published.read_bytes()).hexdigest()[:8]
    if suffix != "css":
        assert published.read_bytes() == path.read_bytes()
    return published.relative_to(out).as_posix()


@pytest.mark.search
def test_freeze_writes_exactly_the_site(site, tmp_app, write_page, tmp_path):
    write_page("index.md", "title: Home")
    write_page("about.md", "title: About")
    write_page("guide/index.md", "title: Guide")
    write_page("guide/deep/step.md", "title: A deep step")
    site.build_site(tmp_app, tmp_path / "out")
    static = {
        fingerprinted(path, tmp_path / "out") for path in (PROJECT / "static").rglob("*") if path.is_file()
    }
    files = built_files(tmp_path / "out")
    # Pagefind names its index files by content hash; its entry point has a fixed name.
    assert {"pagefind/bundles.json", "pagefind/site/pagefind.js"} <= files
    code_css = [name for name in files if re.fullmatch(r"code\.[0-9a-f]{8}\.css", name)]
    assert len(code_css) == 1
    assert {name for name in files if not name.startswith("pagefind/")} == {
        "index.html",
        "404.html",
        code_css[0],
        "feed.xml",
        "sitemap.xml",
        "robots.txt",
        "search/index.html",
        "tags/index.html",
        "about/index.html",
        "guide/index.html",
        "guide/deep/step/index.html",
    } | static


def test_unlinked_page_is_published(site, tmp_app, write_page, tmp_path):
    write_page("index.md", "title: Home")
    write_page("hidden/corner.md", "title: Nobody links here")
    site.build_site(tmp_app, tmp_path / "out")
    assert "Nobody links here" in (tmp_path / "out/hidden/corner/index.html").read_text("utf-8")


def test_404_page_is_the_sites_not_found_page(site, app, tmp_path):
    site.build_site(app, tmp_path / "out")
    html = (tmp_path / "out/404.html").read_text("utf-8")
    assert "<h1>Page not found</h1>" in html


def test_every_page_file_becomes_an_index_html(site, app, tmp_path):
    site.build_site(app, tmp_path / "out")
    files = built_files(tmp_path / "out")
    urls = published_urls(PROJECT / "pages")
    assert len(urls) >= 6
    for url in urls:
        assert url.lstrip("/") + "index.html" in files, url


def test_every_internal_link_resolves(site, app, tmp_path):
    out = tmp_path / "out"
    site.build_site(app, out)
    broken = []
    for page in out.rglob("*.html"):
        relative = page.relative_to(out).as_posix()
        url = "http://site.test/" + relative.removesuffix("index.html")
        for link in internal_links(page.read_text("utf-8"), url):
            if not resolves(out, link):
                broken.append(f"{relative} -> {link}")
    assert broken == []


@pytest.mark.search
def test_a_first_build_leaves_a_copy_of_itself_search_index_included(site, tmp_app, write_page, tmp_path):
    """Copied while Pagefind works, the copy the next build starts from is the whole output,
    and shares no inode with it (an edit of one never changes the other)."""
    write_page("index.md", "title: Home")
    write_page("guide/one.md", "title: One", "Walrus.\n")
    tmp_app.config["SITE_SEARCH"] = True
    out = tmp_path / "out"
    site.build_site(tmp_app, out)
    copy = tmp_path / ".out.old"
    assert snapshot(copy) == snapshot(out) and any(name.startswith("pagefind/") for name in snapshot(out))
    inodes = {path.stat().st_ino for path in out.rglob("*") if path.is_file()}
    assert not inodes & {path.stat().st_ino for path in copy.rglob("*") if path.is_file()}


@pytest.mark.search
def test_a_first_build_that_fails_while_indexing_leaves_no_copy(
    site, tmp_app, write_page, tmp_path, monkeypatch
):
    from flaskguide import search
    from flaskguide.errors import SearchError

    write_page("index.md", "title: Home")
    tmp_app.config["SITE_SEARCH"] = True

    def failing(self):
        raise SearchError("pagefind failed")

    monkeypatch.setattr(search.Indexing, "finish", failing)
    with pytest.raises(SearchError):
        site.build_site(tmp_app, tmp_path / "out")
    assert sorted(path.name for path in tmp_path.iterdir() if path.name.startswith(".out")) == [
        ".out.built",
        ".out.lock",
    ]
    monkeypatch.undo()
    site.build_site(tmp_app, tmp_path / "out")  # nothing left beside it is refused


def test_build_replaces_previous_output(site, tmp_app, write_page, tmp_path):
    write_page("index.md", "title: Home")
    gone = write_page("gone.md", "title: Soon deleted")
    out = tmp_path / "out"
    site.build_site(tmp_app, out)
    gone.unlink()
    (out / "stray.txt").write_text("left over")
    site.build_site(tmp_app, out)
    assert not (out / "gone").exists()
    assert not (out / "stray.txt").exists()
    assert not (tmp_path / ".out.new").exists()
    # The replaced build stays beside as hard links, for the next build to start from.
    replaced = snapshot(tmp_path / ".out.old")
    assert "gone/index.html" in replaced and "stray.txt" in replaced
    assert "gone/index.html" not in snapshot(out)
