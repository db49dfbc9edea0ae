"""Authors: every bad page is named with its file and line, all in one run, and build/ survives."""

import os
import re

import pytest
from conftest import built_pages, make_app, snapshot

from flaskguide.build import build_lock


@pytest.fixture
def fails(run_cli, good_build):
    """Build again after breaking something: assert exit 1, the messages, and an untouched build/."""
    out, before = good_build

    def check(*messages: str) -> str:
        result = run_cli("build", "--out", str(out))
        assert result.exit_code == 1, result.output
        for message in messages:
            assert message in result.output
        assert snapshot(out) == before
        return result.output

    return check


@pytest.mark.parametrize(
    ("front", "message"),
    [
        (
            'title: Why\ndate: "2024-13-45"',
            'pages/bad.md:3: date: "2024-13-45" is not a valid date (use YYYY-MM-DD',
        ),
        (
            "title: Why\ndate: 2024-13-45",
            'pages/bad.md:3: date: "2024-13-45" is not a valid date (use YYYY-MM-DD',
        ),
        ("title: Why\ndate: 5 May 2024", 'pages/bad.md:3: date: "5 May 2024" is not a valid date'),
        ("title: ''", 'pages/bad.md:2: title: "" must be a non-empty string'),
        ("title:", "pages/bad.md:2: title: (empty) must be a non-empty string"),
        ("title: [a, b]", "pages/bad.md:2: title: ['a', 'b'] must be a non-empty string"),
        (
            "title: T\ndate: {created: 2024-01-02, later: 2024-02-03}",
            "pages/bad.md:3: date: {'created': '2024-01-02', 'later': '2024-02-03'} must be a date, or created: and updated: dates",
        ),
        ("title: T\ntags: flask", 'pages/bad.md:3: tags: "flask" must be a list of strings'),
        ("title: T\ntags: [flask, 3]", "pages/bad.md:3: tags: ['flask', 3] must be a list of strings"),
        ("title: T\norder: first", 'pages/bad.md:3: order: "first" must be a whole number'),
        ("title: T\norder: true", "pages/bad.md:3: order: True must be a whole number"),
        ("title: T\ndraft: maybe", 'pages/bad.md:3: draft: "maybe" must be true or false'),
        ("title: T\ndescription: [x]", "pages/bad.md:3: description: ['x'] must be a string"),
        ("title: T\ntitle: Again", "pages/bad.md:3: duplicate key 'title'"),
        (
            "title: T\nx: !!python/object/apply:os.system [echo hi]",
            "pages/bad.md:3: front matter is not valid YAML",
        ),
        ("title: T\n  bad: indent", "pages/bad.md:3: front matter is not valid YAML"),
        ("- a list", "pages/bad.md:2: front matter must be a mapping"),
    ],
)
def test_bad_front_matter_is_named_with_file_and_line(fails, write_page, front, message):
    write_page("bad.md", front)
    fails(message)


def test_unknown_keys_are_allowed(run_cli, write_page, tmp_path):
    write_page("index.md", "title: Home\nmood: cheerful\nauthors: [ana]")
    assert run_cli("build", "--out", str(tmp_path / "out")).exit_code == 0


def test_object_tags_never_run(fails, write_page, tmp_path):
    marker = tmp_path / "ran"
    write_page("bad.md", f"title: T\nx: !!python/object/apply:os.system ['touch {marker}']")
    fails("pages/bad.md:3:")
    assert not marker.exists()


def test_every_bad_file_is_reported_in_one_run(fails, write_page):
    write_page("one.md", "title: One\ndate: 2024-02-30")
    write_page("two.md", "title: Two\ntags: none")
    write_page("deep/three.md", "title: T\norder: 1.5")
    output = fails("pages/one.md:3:", "pages/two.md:3:", "pages/deep/three.md:3:")
    assert "3 problems found" in output


def test_several_problems_in_one_file_are_all_reported(fails, write_page):
    write_page("bad.md", "title: ''\ndate: soon\ntags: x")
    fails("pages/bad.md:2: title", "pages/bad.md:3: date", "pages/bad.md:4: tags")


def test_a_page_without_front_matter_is_titled_by_its_first_heading(site, pages_dir, tmp_path, write_page):
    write_page("index.md", "title: Home")
    (pages_dir / "bare.md").write_text("# Just *markdown*\n\nText.\n", "utf-8")
    (pages_dir / "no-heading.md").write_text("Only text.\n", "utf-8")
    out = tmp_path / "out"
    site.build_site(make_app(site, pages_dir, tmp_path), out)
    bare = (out / "bare" / "index.html").read_text("utf-8")
    assert "<title>Just markdown · " in bare
    assert bare.count("<h1") == 1  # the heading is the title, shown once
    assert "<title>No heading · " in (out / "no-heading" / "index.html").read_text("utf-8")


def test_unclosed_front_matter(fails, pages_dir):
    (pages_dir / "open.md").write_text("---\ntitle: Open\n\nBody\n", "utf-8")
    fails("pages/open.md:1: front matter is never closed")


def test_latin1_file_names_file_and_byte_offset(fails, pages_dir):
    data = "---\ntitle: Café\n---\n".encode("latin-1")
    (pages_dir / "latin.md").write_bytes(data)
    fails(f"pages/latin.md:2: the file is not UTF-8 (byte 0xe9 at offset {data.index(0xE9)})")


def test_utf16_file_is_refused(fails, pages_dir):
    (pages_dir / "wide.md").write_bytes("---\ntitle: Wide\n---\n".encode("utf-16"))
    fails("pages/wide.md:1: the file is UTF-16")


def test_bom_and_crlf_are_accepted(run_cli, write_page, pages_dir, tmp_path):
    write_page("index.md", "title: Home")
    (pages_dir / "windows.md").write_bytes(
        b"\xef\xbb\xbf---\r\ntitle: Windows\r\n---\r\nSaved on Windows.\r\n"
    )
    result = run_cli("build", "--out", str(tmp_path / "out"))
    assert result.exit_code == 0, result.output
    html = (tmp_path / "out/windows/index.html").read_text("utf-8")
    assert "<h1>Windows</h1>" in html and "Saved on Windows." in html


def test_editor_and_hidden_files_are_ignored(run_cli, write_page, pages_dir, tmp_path):
    write_page("index.md", "title: Home")
    for name in (".hidden.md", "#draft.md#", "page.md~", ".page.md.swp", ".#lock.md"):
        (pages_dir / name).write_bytes(b"\xff\xfe not a page at all")
    os.symlink("user@host.1234:1700000000", pages_dir / ".#dangling.md")
    (pages_dir / ".git").mkdir()
    (pages_dir / ".git" / "x.md").write_text("junk")
    out = tmp_path / "out"
    result = run_cli("build", "--out", str(out))
    assert result.exit_code == 0, result.output
    assert built_pages(out) == []


def test_symlink_out_of_pages_is_refused(fails, pages_dir, tmp_path):
    secret = tmp_path / "secret.md"
    secret.write_text("---\ntitle: Secret\n---\n")
    os.symlink(secret, pages_dir / "leak.md")
    fails("pages/leak.md: is a symlink to", "outside pages/")


def test_symlinked_folder_out_of_pages_is_refused(fails, pages_dir, tmp_path):
    (tmp_path / "elsewhere").mkdir()
    os.symlink(tmp_path / "elsewhere", pages_dir / "linked")
    fails("pages/linked: is a symlink to")


def test_symlink_inside_pages_is_followed(run_cli, write_page, pages_dir, tmp_path):
    write_page("index.md", "title: Home")
    write_page("real.md", "title: Real")
    os.symlink(pages_dir / "real.md", pages_dir / "alias.md")
    assert run_cli("build", "--out", str(tmp_path / "out")).exit_code == 0
    assert (tmp_path / "out/alias/index.html").is_file()


def test_urls_colliding_by_case_name_both_files(fails, write_page):
    write_page("About.md", "title: About")
    write_page("about.md", "title: about")
    fails("pages/About.md and pages/about.md both publish /about/")


def test_page_and_folder_index_colliding(fails, write_page):
    write_page("guide.md", "title: Guide")
    write_page("guide/index.md", "title: Guide again")
    fails("pages/guide.md and pages/guide/index.md both publish /guide/")


@pytest.mark.parametrize(
    "name",
    ["static.md", "Static/x.md", "tags.md", "search/x.md", "pagefind/x.md", "feed.xml.md", "404.html.md"],
)
def test_page_colliding_with_a_route_of_the_app(fails, write_page, name):
    write_page(name, "title: Taken")
    fails(f"pages/{name}: its URL")


@pytest.mark.parametrize("name", ["guide/index/index.md", "index/page.md", "Index.md", "guide/INDEX/x.md"])
def test_the_name_index_is_kept_for_a_folders_own_page(fails, write_page, name):
    write_page("guide/index.md", "title: Guide")
    write_page(name, "title: Shadow")
    fails(f"pages/{name}: its URL", "uses 'index', the name of a folder's own page (index.md)")


@pytest.mark.parametrize("name", ["what?.md", "c#sharp/notes.md", "back\\slash.md"])
def test_page_name_that_cannot_be_a_url(fails, write_page, name):
    write_page(name, "title: Odd")
    fails(f"pages/{name}: ")


def test_broken_template_names_file_and_line(site, run_cli, good_build, tmp_path, monkeypatch):
    out, before = good_build
    templates = tmp_path / "templates"
    templates.mkdir()
    (templates / "page.html").write_text(
        '{% extends "base.html" %}\n{% block content %}\n{{ page.nope() }}{% endblock %}'
    )
    real_create_app = site.create_app

    def create_app(config=None):
        app = real_create_app(config)
        app.jinja_loader.searchpath.insert(0, str(templates))
        return app

    monkeypatch.setattr(site, "create_app", create_app)
    result = run_cli("build", "--out", str(out))
    assert result.exit_code == 1
    assert re.search(r"templates/page.html:3: '[\w.]+ object' has no attribute 'nope'", result.output)
    assert "Traceback" not in result.output
    assert snapshot(out) == before


def test_a_second_build_at_once_refuses(run_cli, good_build):
    out, before = good_build
    with build_lock(out.resolve()):
        result = run_cli("build", "--out", str(out))
    assert result.exit_code == 1
    assert "another build is writing" in result.output
    assert snapshot(out) == before
