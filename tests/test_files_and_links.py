"""Authors' files and links: images beside pages, links by file name, static files by plain name."""

from __future__ import annotations

import posixpath
import re
import struct
import zlib
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import unquote, urljoin, urlsplit

import pytest
from conftest import make_app, snapshot

from flaskguide import links
from flaskguide.pages import GuidePage


def png(width: int, height: int) -> bytes:
    """A valid PNG of the given size (one grey pixel row repeated)."""
    row = b"\x00" + b"\x80" * width
    data = zlib.compress(row * height)

    def chunk(kind: bytes, body: bytes) -> bytes:
        return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))

    header = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", data) + chunk(b"IEND", b"")


def page_at(path: str) -> GuidePage:
    return GuidePage(path, "", None, lambda page: "", posixpath.dirname(path))


FILES = {
    "/guide/diagram.svg": "pages/guide/diagram.svg",
    "/guide/sub dir/a b.png": "pages/guide/sub dir/a b.png",
    "/logo.png": "pages/logo.png",
}

RESOLVED = [
    # (the page's path in pages/, what its author wrote, what readers get, under the base path /sub)
    ("guide/intro", "other.md", "../other/"),
    ("guide/intro", "other.md#setup", "../other/#setup"),
    ("guide/intro", "other.md?x=1#y", "../other/?x=1#y"),
    ("guide/intro", "index.md", "../"),
    ("guide/intro", "../index.md", "../../"),
    ("guide/intro", "../why-flask.md", "../../why-flask/"),
    ("guide/intro", "deeper/page.md", "../deeper/page/"),
    ("guide/intro", "missing.md", "../missing/"),  # a page that does not exist: check names it
    ("guide/intro", "diagram.svg", "../diagram.svg"),
    ("guide/intro", "./diagram.svg", "../diagram.svg"),
    ("guide/intro", "sub%20dir/a%20b.png", "../sub%20dir/a%20b.png"),
    ("guide/intro", "../logo.png", "../../logo.png"),
    ("guide/intro", "../why-flask/", "../why-flask/"),  # a URL relative to the page's: as written
    ("guide/intro", "nothing.svg", "nothing.svg"),  # no such file: as written
    ("guide/intro", "../../../outside.md", "../../../outside.md"),  # above pages/: as written
    ("guide/intro", "/structure/", "/sub/structure/"),
    ("guide/intro", "/guide/diagram.svg", "/sub/guide/diagram.svg"),
    ("guide/intro", "https://flask.palletsprojects.com/", "https://flask.palletsprojects.com/"),
    ("guide/intro", "mailto:a@example.org", "mailto:a@example.org"),
    ("guide/intro", "#setup", "#setup"),
    ("guide/index", "diagram.svg", "diagram.svg"),  # a section's page is at its folder's URL
    ("guide/index", "intro.md", "intro/"),
    ("guide/index", "index.md", "./"),
    ("guide/index", "../index.md", "../"),
    ("index", "guide/index.md", "guide/"),
    ("index", "guide/intro.md#setup", "guide/intro/#setup"),
    ("index", "logo.png", "logo.png"),
    ("why-flask", "guide/diagram.svg", "../guide/diagram.svg"),
]


@pytest.mark.parametrize(("path", "written", "expected"), RESOLVED)
def test_a_reference_resolves_from_the_pages_file_to_its_url(app, path, written, expected):
    with app.test_request_context(base_url="http://127.0.0.1/sub/"):
        assert links.Resolver(page_at(path), FILES).url(written) == expected


def test_a_static_file_by_its_plain_name_is_linked_by_its_fingerprinted_one(app):
    with app.test_request_context(base_url="http://127.0.0.1/sub/"):
        resolved = links.Resolver(page_at("index"), {}).url("/static/img/favicon.svg")
    assert re.fullmatch(r"/sub/static/img/favicon\.[0-9a-f]{8}\.svg", resolved)


@pytest.mark.parametrize(
    ("target", "start", "expected"),
    [
        ("/guide/other/", "/guide/intro/", "../other/"),
        ("/guide/", "/guide/", "./"),
        ("/", "/guide/intro/", "../../"),
        ("/guide/x.png", "/guide/", "x.png"),
        ("/x.png", "/a/b/c/", "../../../x.png"),
    ],
)
def test_relative_url(target, start, expected):
    assert links.relative_url(target, start) == expected


@pytest.fixture
def bundle(write_page, pages_dir):
    """A site with an image beside a page, one beside a section's page, and links by file."""
    write_page("index.md", "title: Home\ndescription: Home.", "See [the guide](guide/index.md).\n")
    write_page(
        "guide/index.md",
        "title: Guide\ndescription: The guide.",
        "![A map](map.png)\n\nStart with [the introduction](intro.md#setup).\n",
    )
    write_page(
        "guide/intro.md",
        "title: Intro\ndescription: An intro.",
        "![A diagram](diagram.png)\n\n![Again](diagram.png)\n\n## Setup\n\nBack to [the guide](index.md), "
        "[home](../index.md), [the structure](/guide/) and ![the icon](/static/img/favicon.svg).\n",
    )
    (pages_dir / "guide" / "diagram.png").write_bytes(png(40, 20))
    (pages_dir / "guide" / "map.png").write_bytes(png(30, 10))
    (pages_dir / "guide" / "notes.pdf").write_bytes(b"%PDF-1.4 not really\n")
    return pages_dir


class References(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.found: list[str] = []

    def handle_starttag(self, tag: str, attrs: list) -> None:
        for name, value in attrs:
            if name in ("href", "src") and value:
                self.found.append(value)


def unresolved(out: Path, site_url: str) -> list[str]:
    """Every href and src of every built page under the site's own address that names no built file."""
    missing = []
    base = urlsplit(site_url).path
    for page in out.rglob("*.html"):
        address = site_url + page.relative_to(out).as_posix()
        parser = References()
        parser.feed(page.read_text("utf-8"))
        for value in parser.found:
            target = urlsplit(urljoin(address, value))
            if f"{target.scheme}://{target.netloc}" != site_url.split(base)[0] or not target.path.startswith(
                base
            ):
                continue
            file = out / unquote(target.path[len(base) :])
            if target.path.endswith("/"):
                file = file / "index.html"
            if not file.is_file():
                missing.append(f"{page.relative_to(out)}: {value}")
    return missing


def test_under_a_subpath_every_reference_names_a_built_file(site, bundle, tmp_path, project_copy):
    out = tmp_path / "out"
    site_url = "http://127.0.0.1/sub/"
    site.build_site(make_app(site, bundle, tmp_path, SITE_URL=site_url), out)
    assert (out / "guide" / "diagram.png").read_bytes() == (bundle / "guide" / "diagram.png").read_bytes()
    assert (out / "guide" / "notes.pdf").is_file()
    intro = (out / "guide" / "intro" / "index.html").read_text("utf-8")
    assert '<img alt="A diagram" src="../diagram.png" width="40" height="20">' in intro
    assert (
        '<img alt="Again" src="../diagram.png" width="40" height="20" loading="lazy" decoding="async">'
        in intro
    )
    assert 'href="../#' not in intro and 'href="../"' in intro  # index.md: the section's page
    assert 'href="/sub/guide/"' in intro  # root-absolute: under the base path
    assert re.search(r'src="/sub/static/img/favicon\.[0-9a-f]{8}\.svg" width="32" height="32"', intro)
    section = (out / "guide" / "index.html").read_text("utf-8")
    assert '<img alt="A map" src="map.png" width="30" height="10">' in section
    assert 'href="intro/#setup"' in section
    assert not (out / "static" / "img" / "favicon.svg").exists()  # no unhashed copy
    assert unresolved(out, site_url) == []


def test_serve_answers_a_file_beside_a_page_and_sends_a_folder_to_its_page(site, bundle, tmp_path):
    client = make_app(site, bundle, tmp_path).test_client()
    answer = client.get("/guide/diagram.png")
    assert (answer.status_code, answer.mimetype) == (200, "image/png")
    assert answer.data == (bundle / "guide" / "diagram.png").read_bytes()
    answer.close()
    redirected = client.get("/guide")
    assert redirected.status_code == 308 and redirected.location.endswith("/guide/")
    assert client.get("/guide/nothing.png").status_code == 404


@pytest.mark.parametrize(
    ("name", "content", "expected"),
    [
        (
            "guide/old.html",
            b"<p>hi</p>",
            "pages/guide/old.html: is an HTML file, which would be published without the sanitiser",
        ),
        ("tags/x.png", png(1, 1), "pages/tags/x.png: its URL /tags/x.png is taken by the site's own /tags/"),
        (
            "guide/intro",
            b"a file named like a page's folder",
            "pages/guide/intro.md and pages/guide/intro both publish /guide/intro",
        ),
        (
            "guide/Diagram.png",
            png(1, 1),
            "pages/guide/Diagram.png and pages/guide/diagram.png both publish /guide/diagram.png",
        ),
    ],
)
def test_a_file_that_cannot_be_published_is_named(site, bundle, tmp_path, name, content, expected, run_cli):
    (bundle / name).parent.mkdir(parents=True, exist_ok=True)
    (bundle / name).write_bytes(content)
    result = run_cli("build", "--out", str(tmp_path / "out"))
    assert result.exit_code == 1
    assert expected in result.output
    assert "Traceback" not in result.output


def test_hidden_files_and_editor_leftovers_beside_pages_are_not_published(site, bundle, tmp_path):
    for name in (".secret.png", "diagram.png~", "#notes.pdf#", ".diagram.png.swp"):
        (bundle / "guide" / name).write_bytes(b"x")
    out = tmp_path / "out"
    site.build_site(make_app(site, bundle, tmp_path), out)
    published = {name for name in snapshot(out) if name.startswith("guide/") and not name.endswith(".html")}
    assert published == {"guide/diagram.png", "guide/map.png", "guide/notes.pdf"}


def clean_build(site, pages: Path, tmp_path: Path, name: str) -> dict[str, bytes]:
    out = tmp_path / name
    site.build_site(make_app(site, pages, tmp_path, SITE_CACHE_DIR=None), out)
    return snapshot(out)


def test_resizing_an_image_republishes_it_and_re_renders_only_the_pages_showing_it(site, bundle, tmp_path):
    out = tmp_path / "out"
    site.build_site(make_app(site, bundle, tmp_path), out)
    (bundle / "guide" / "diagram.png").write_bytes(png(80, 60))
    report = site.build_site(make_app(site, bundle, tmp_path), out)
    assert report.rendered == 2  # the image and the one page that shows it
    assert snapshot(out) == clean_build(site, bundle, tmp_path, "clean")
    assert 'width="80" height="60"' in (out / "guide" / "intro" / "index.html").read_text("utf-8")


@pytest.mark.parametrize("change", ["add", "delete"])
def test_adding_or_deleting_a_file_beside_a_page_gives_a_clean_builds_bytes(site, bundle, tmp_path, change):
    out = tmp_path / "out"
    site.build_site(make_app(site, bundle, tmp_path), out)
    if change == "add":
        (bundle / "guide" / "extra.png").write_bytes(png(5, 5))
    else:
        (bundle / "guide" / "notes.pdf").unlink()
    site.build_site(make_app(site, bundle, tmp_path), out)
    assert snapshot(out) == clean_build(site, bundle, tmp_path, "clean")
    assert (out / "guide" / "extra.png").exists() is (change == "add")
    assert (out / "guide" / "notes.pdf").exists() is (change == "add")


def test_moving_a_linked_page_and_its_links_gives_a_clean_builds_bytes(site, bundle, tmp_path, write_page):
    out = tmp_path / "out"
    site.build_site(make_app(site, bundle, tmp_path), out)
    intro = bundle / "guide" / "intro.md"
    moved = bundle / "guide" / "basics" / "intro.md"
    moved.parent.mkdir()
    moved.write_text(
        intro.read_text("utf-8")
        .replace("](index.md)", "](../index.md)")
        .replace("](../index.md)", "](../../index.md)", 1)
        .replace("diagram.png", "../diagram.png"),
        "utf-8",
    )
    intro.unlink()
    index = bundle / "guide" / "index.md"
    index.write_text(index.read_text("utf-8").replace("intro.md#setup", "basics/intro.md#setup"), "utf-8")
    site.build_site(make_app(site, bundle, tmp_path), out)
    assert snapshot(out) == clean_build(site, bundle, tmp_path, "clean")
    assert 'href="basics/intro/#setup"' in (out / "guide" / "index.html").read_text("utf-8")
    assert unresolved(out, "http://127.0.0.1:5000/") == []


def test_the_first_image_loads_at_once_and_the_others_lazily():
    fragment = '<p><img alt="a" src="https://example.org/a.png"><img alt="b" src="b.png" loading="eager"></p>'

    class Page:
        path, url = "index", "/"

    with make_app_for_links().test_request_context():
        resolved, _ = links.resolve(fragment, Page(), {})
    assert '<img alt="a" src="https://example.org/a.png">' in resolved
    assert (
        '<img alt="b" src="b.png" loading="eager" decoding="async">' in resolved
    )  # the author's choice kept


def make_app_for_links():
    from flask import Flask

    return Flask(__name__, root_path=str(Path(__file__).parent.parent))


def test_an_svg_sized_by_its_viewbox_alone_gets_no_size(tmp_path):
    svg = tmp_path / "x.svg"
    svg.write_text('<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 10 5"></svg>')
    assert links.image_size(str(svg)) is None
    svg.write_text('<svg xmlns="http://www.w3.org/2000/svg" width="120" height="40"></svg>')
    assert links.image_size(str(svg)) == (120, 40)
    assert links.image_size(str(tmp_path / "gone.png")) is None


def test_a_reference_to_a_page_file_is_kept_for_check(site, bundle, tmp_path):
    app = make_app(site, bundle, tmp_path)
    with app.test_request_context():
        pages = app.extensions["flaskguide"].pages
        intro = pages.get("guide/intro")
        app.jinja_env.globals["page_html"](intro)
    assert intro.references["../"] == "index.md"
    assert intro.references["../diagram.png"] == "diagram.png"
    assert posixpath.basename(next(value for value in intro.references if "favicon" in value)).startswith(
        "favicon."
    )


def test_a_file_symlinked_from_outside_pages_is_refused(bundle, tmp_path, run_cli):
    secret = tmp_path / "secret.txt"
    secret.write_text("not for publishing")
    (bundle / "guide" / "leak.txt").symlink_to(secret)
    result = run_cli("build", "--out", str(tmp_path / "out"))
    assert result.exit_code == 1
    assert "pages/guide/leak.txt: is a symlink to" in result.output and "outside pages/" in result.output


def test_check_names_a_missing_page_file_and_a_missing_image_with_their_lines(bundle, run_cli, write_page):
    write_page(
        "guide/broken.md",
        "title: Broken\ndescription: Broken.",
        "Linked from [the guide](index.md).\n\n![Gone](gone.png)\n\nSee [the plan](plan.md#today).\n",
    )
    index = bundle / "guide" / "index.md"
    index.write_text(
        index.read_text("utf-8") + "\n[Broken](broken.md) and [no such part](intro.md#nowhere)\n", "utf-8"
    )
    result = run_cli("check")
    assert result.exit_code == 1
    found = result.output.splitlines()
    assert "pages/guide/broken.md:7: broken image: nothing is published at gone.png" in found
    assert any(
        line.startswith("pages/guide/broken.md:9: broken link: no page file guide/plan.md") for line in found
    )
    assert any(
        line.startswith("pages/guide/index.md:9: broken fragment: /guide/intro/ has no id 'nowhere'")
        for line in found
    )
