"""static/ and templates/ follow pages/' rules: hidden files and editors' leftovers are never
served, published or hashed; dangling symlinks crash nothing; a symlink out of its folder is
refused with a message naming it, and never served or published."""

import hashlib
import os
from pathlib import Path

import jinja2
import pytest
from conftest import PROJECT, make_app, snapshot

from flaskguide import cache as caching
from flaskguide import livereload, sources
from flaskguide.assets import Fingerprints
from flaskguide.errors import SourceProblems
from flaskguide.sources import SourceLoader, allows, check_sources, folder_digest, is_ignored, source_files

LOCK = "user@host.1234:1700000000"  # what an Emacs lock file (.#x) points at: nothing


def make_tree(root: Path, entries: dict[str, str], outside: Path) -> None:
    """Files and symlinks under ``root``: ``"-> target"`` makes a symlink (``{outside}`` in the
    target is a folder beside ``root``), anything else a file holding that text."""
    for name, content in entries.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        if content.startswith("-> "):
            os.symlink(content[3:].format(outside=outside), path)
        else:
            path.write_text(content)


@pytest.fixture
def outside(tmp_path) -> Path:
    """A folder beside the source folders, with a secret file and a subfolder in it."""
    folder = tmp_path / "elsewhere"
    (folder / "sub").mkdir(parents=True)
    (folder / "secret.txt").write_text("secret")
    (folder / "sub" / "more.txt").write_text("more secrets")
    return folder


# -- the rule and the walker ------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "ignored"),
    [
        ("site.css", False),
        ("favicon.svg", False),
        ("a.b.c", False),
        ("café.png", False),
        (".git", True),
        (".DS_Store", True),
        (".#site.css", True),
        ("#site.css#", True),
        ("site.css~", True),
        (".site.css.swp", True),
        ("site.css.swx", True),
        ("upload.tmp", True),
        ("__pycache__", True),
        ("..", True),
    ],
)
def test_ignored_names(name, ignored):
    assert is_ignored(name) is ignored


def test_pages_use_the_same_rule():
    from flaskguide import pages

    assert all(pages.is_ignored(name) == is_ignored(name) for name in (".x.md", "x.md~", "#x.md#", "x.md"))


WALKS = {
    "plain files, in os.walk order": (
        {"b.txt": "b", "a/z.txt": "z", "a/y/x.txt": "x", "c.txt": "c"},
        ["b.txt", "c.txt", "a/z.txt", "a/y/x.txt"],
        [],
    ),
    "hidden files and editor leftovers": (
        {
            "css/site.css": "body {}",
            "css/site.css~": "old",
            "css/#site.css#": "autosave",
            "css/.site.css.swp": "swap",
            ".git/config": "[core]",
            ".DS_Store": "junk",
            "__pycache__/x.pyc": "bytecode",
        },
        ["css/site.css"],
        [],
    ),
    "a dangling editor lock": (
        {"css/site.css": "body {}", "css/.#site.css": f"-> {LOCK}"},
        ["css/site.css"],
        [],
    ),
    "a symlink to a file inside": (
        {"css/site.css": "body {}", "alias.css": "-> css/site.css"},
        ["alias.css", "css/site.css"],
        [],
    ),
    "a symlink to a folder inside, as pages/ refuses one": (
        {"css/site.css": "body {}", "styles": "-> css"},
        ["css/site.css"],
        [
            "static/styles: is a symlink to static/css/, inside static/, so every file in it would have "
            "two names: remove the link"
        ],
    ),
    "a symlink to a file outside": (
        {"leak.txt": "-> {outside}/secret.txt"},
        [],
        ["static/leak.txt: is a symlink to {outside}/secret.txt, outside static/: copy the file in instead"],
    ),
    "a relative symlink out": (
        {"css/leak.txt": "-> ../../elsewhere/secret.txt"},
        [],
        [
            "static/css/leak.txt: is a symlink to {outside}/secret.txt, outside static/: copy the file in instead"
        ],
    ),
    "a symlink to a folder outside": (
        {"linked": "-> {outside}/sub"},
        [],
        ["static/linked: is a symlink to {outside}/sub, outside static/: copy the file in instead"],
    ),
    "a dangling symlink with a plain name": (
        {"logo.png": "-> logo-old.png"},
        [],
        ["static/logo.png: is a symlink to a missing file"],
    ),
    "a symlink out, hidden": ({".leak.txt": "-> {outside}/secret.txt"}, [], []),
    "a symlink up to a folder above, which would never end": (
        {"a/x.txt": "x", "a/up": "-> .."},
        ["a/x.txt"],
        [
            "static/a/up: is a symlink to static/, inside static/, so every file in it would have two names: remove the link"
        ],
    ),
}


@pytest.mark.parametrize(("entries", "names", "problems"), WALKS.values(), ids=WALKS.keys())
def test_walker(tmp_path, outside, entries, names, problems):
    make_tree(tmp_path / "static", entries, outside)
    found = source_files(tmp_path / "static")
    assert found.names == names
    assert found.problems == [problem.format(outside=outside) for problem in problems]


@pytest.mark.parametrize(("entries", "names", "problems"), WALKS.values(), ids=WALKS.keys())
def test_one_file_check_agrees_with_the_walker(tmp_path, outside, entries, names, problems):
    make_tree(tmp_path / "static", entries, outside)
    found = source_files(tmp_path / "static")
    asked = {
        *entries,
        "a/up/x.txt",
        "styles/site.css",
        "../elsewhere/secret.txt",
        "css//site.css",
        "missing.css",
    }
    assert {name for name in asked if allows(tmp_path / "static", name)} == set(found.names)


def test_a_missing_folder_has_no_files(tmp_path):
    assert source_files(tmp_path / "nothing") == sources.SourceFiles()


# -- digests ----------------------------------------------------------------------------


@pytest.fixture
def static(tmp_path) -> Path:
    folder = tmp_path / "static"
    make_tree(folder, {"css/site.css": "body {}", "img/logo.svg": "<svg/>", "js/a.js": "1"}, tmp_path)
    return folder


def test_digest_of_plain_files_is_the_one_the_cache_has_always_made(static):
    digest = hashlib.sha256()
    for name in ("css/site.css", "img/logo.svg", "js/a.js"):
        digest.update(name.encode() + b"\0" + (static / name).read_bytes())
    assert folder_digest(static) == digest.hexdigest()


@pytest.mark.parametrize(
    "edit",
    [
        lambda folder: os.symlink(LOCK, folder / "css/.#site.css"),
        lambda folder: (folder / "css/site.css~").write_text("old"),
        lambda folder: (folder / ".git").mkdir() or (folder / ".git/config").write_text("[core]"),
        lambda folder: (folder / "css/#site.css#").write_text("autosave"),
        lambda folder: os.symlink(folder.parent / "elsewhere", folder / "linked"),
    ],
    ids=["emacs lock", "backup", "git folder", "autosave", "symlink out"],
)
def test_digest_ignores_what_the_site_never_uses(static, edit):
    (static.parent / "elsewhere").mkdir()
    before = folder_digest(static)
    edit(static)
    assert folder_digest(static) == before


def test_digest_changes_with_a_used_file(static):
    before = folder_digest(static)
    (static / "css/site.css").write_text("body { margin: 0 }")
    assert folder_digest(static) != before


def test_the_cache_hashes_folders_by_the_same_rules(static):
    os.symlink(LOCK, static / "css/.#site.css")
    assert caching.folder_digest(static) == folder_digest(static)


# -- problems ---------------------------------------------------------------------------


def test_check_sources_names_symlinks_out_of_static_and_templates(
    site, project_copy, pages_dir, tmp_path, outside
):
    os.symlink(outside / "secret.txt", project_copy / "static/leak.txt")
    os.symlink(outside / "secret.txt", project_copy / "templates/evil.html")
    os.symlink(LOCK, project_copy / "static/.#site.css")
    app = make_app(site, pages_dir, tmp_path)
    secret = outside / "secret.txt"
    assert check_sources(app) == [
        f"templates/evil.html: is a symlink to {secret}, outside templates/: copy the file in instead",
        f"static/leak.txt: is a symlink to {secret}, outside static/: copy the file in instead",
    ]


def test_check_sources_of_the_real_project_is_clean(site, app):
    assert check_sources(app) == []


# -- serve ------------------------------------------------------------------------------

JUNK = {
    ".git/config": "[core] secret",
    "css/site.css~": "old css",
    "css/.#site.css": f"-> {LOCK}",
    "css/#site.css#": "autosave",
    "alias.css": "-> css/site.css",
}


@pytest.fixture
def junk_static(project_copy, write_page, tmp_path, outside):
    """The project's static/ with hidden files, editor leftovers, a lock and an inside symlink."""
    write_page("index.md", "title: Home")
    make_tree(project_copy / "static", JUNK, outside)
    return project_copy / "static"


@pytest.fixture
def serve_client(site, pages_dir, junk_static):
    return site.serve_app({"FLATPAGES_ROOT": str(pages_dir), "SITE_CACHE_DIR": None}).test_client()


@pytest.mark.parametrize(
    "url",
    [
        "/static/.git/config",
        "/static/css/site.css~",
        "/static/css/.%23site.css",
        "/static/css/%23site.css%23",
    ],
)
def test_serve_never_serves_ignored_files(serve_client, url):
    response = serve_client.get(url)
    assert response.status_code == 404
    assert b"secret" not in response.data and b"old css" not in response.data


def test_serve_never_serves_a_symlink_out_of_static(serve_client, junk_static, outside):
    os.symlink(outside / "secret.txt", junk_static / "leak.txt")
    assert serve_client.get("/static/leak.txt").status_code == 404
    with serve_client.application.test_request_context():
        from flask import url_for

        assert url_for("static", filename="leak.txt") == "/static/leak.txt"  # never read to be named


def test_serve_serves_the_files_it_links(serve_client):
    with serve_client.application.test_request_context():
        from flask import url_for

        urls = [url_for("static", filename=name) for name in ("css/site.css", "alias.css")]
    for url in urls:
        with serve_client.get(url) as response:
            assert response.status_code == 200, url


def test_serve_shows_a_symlink_out_of_static_in_the_browser(serve_client, junk_static, outside):
    os.symlink(outside / "secret.txt", junk_static / "leak.txt")
    response = serve_client.get("/")
    assert response.status_code == 500
    assert "static/leak.txt: is a symlink to" in response.get_data(as_text=True)


def test_serve_does_not_reload_for_an_editor_lock(site, junk_static, pages_dir):
    app = site.serve_app({"FLATPAGES_ROOT": str(pages_dir), "SITE_CACHE_DIR": None})
    folders = livereload.watched_folders(app)
    before = livereload.fingerprint(folders)
    os.symlink(LOCK, junk_static / "css/.#other.css")
    (junk_static / "css/site.css~").write_text("older css")
    assert livereload.fingerprint(folders) == before


def test_serve_reloads_when_a_refused_symlink_is_removed(site, junk_static, pages_dir, outside):
    # The error page must reload itself once the problem it shows is fixed.
    os.symlink(outside / "secret.txt", junk_static / "leak.txt")
    app = site.serve_app({"FLATPAGES_ROOT": str(pages_dir), "SITE_CACHE_DIR": None})
    folders = livereload.watched_folders(app)
    before = livereload.fingerprint(folders)
    (junk_static / "leak.txt").unlink()
    assert livereload.fingerprint(folders) != before


# -- build ------------------------------------------------------------------------------


def fingerprinted(static: Path, name: str) -> str:
    """Where a static file is published: its name carries the start of the SHA-256 of the bytes
    published (a stylesheet's rewritten, which tests/test_static_css.py covers)."""
    if name.endswith(".css"):
        return f"static/{Fingerprints(str(static)).hashed(name)}"
    stem, suffix = name.rsplit(".", 1)
    return f"static/{stem}.{hashlib.sha256((static / name).read_bytes()).hexdigest()[:8]}.{suffix}"


def published_static(out: Path) -> set[str]:
    return {name for name in snapshot(out) if name.startswith("static/")}


def test_the_freezer_lists_only_usable_static_files(site, junk_static, pages_dir, tmp_path, outside):
    os.symlink(outside / "secret.txt", junk_static / "leak.txt")
    app = make_app(site, pages_dir, tmp_path)
    with app.test_request_context():
        urls = set(app.extensions["flaskguide"].freezer.all_urls())
    static_urls = {url for url in urls if url.startswith("/static/")}
    assert {url.removeprefix("/") for url in static_urls} == {
        fingerprinted(junk_static, name) for name in source_files(junk_static).names
    }
    project_files = [path for path in (PROJECT / "static").rglob("*") if path.is_file()]
    assert len(static_urls) == len(project_files) + 1  # the project's own, and alias.css


def test_a_build_without_the_cache_publishes_no_ignored_file(site, junk_static, pages_dir, tmp_path):
    out = tmp_path / "out"
    site.build_site(make_app(site, pages_dir, tmp_path, SITE_CACHE_DIR=None), out)
    assert published_static(out) == {
        fingerprinted(junk_static, name) for name in source_files(junk_static).names
    }


def test_a_build_publishes_no_ignored_file(site, junk_static, pages_dir, tmp_path):
    out = tmp_path / "out"
    site.build_site(make_app(site, pages_dir, tmp_path), out)
    assert published_static(out) == {
        fingerprinted(junk_static, name) for name in source_files(junk_static).names
    }
    assert fingerprinted(junk_static, "alias.css") in published_static(out)


def test_editing_an_ignored_file_renders_nothing_again(site, junk_static, project_copy, pages_dir, tmp_path):
    out = tmp_path / "out"
    site.build_site(make_app(site, pages_dir, tmp_path), out)
    (junk_static / "css/site.css~").write_text("older css")
    (project_copy / "templates/page.html~").write_text("{{ nonsense")
    os.symlink(LOCK, project_copy / "templates/.#page.html")
    report = site.build_site(make_app(site, pages_dir, tmp_path), out)
    assert (report.rendered, report.written) == (0, 0)


def test_a_build_refuses_a_symlink_out_of_static(site, junk_static, pages_dir, tmp_path, outside):
    os.symlink(outside / "secret.txt", junk_static / "leak.txt")
    out = tmp_path / "out"
    with pytest.raises(SourceProblems) as raised:
        site.build_site(make_app(site, pages_dir, tmp_path), out)
    assert raised.value.problems == [
        f"static/leak.txt: is a symlink to {outside / 'secret.txt'}, outside static/: copy the file in instead"
    ]
    assert not out.exists()


def test_a_template_linking_an_ignored_static_file_is_one_line_not_a_traceback(
    site, junk_static, project_copy, pages_dir, tmp_path
):
    base = project_copy / "templates/base.html"
    base.write_text(
        base.read_text("utf-8").replace(
            "</head>",
            "<link rel=\"stylesheet\" href=\"{{ url_for('static', filename='css/site.css~') }}\"></head>",
        ),
        "utf-8",
    )
    with pytest.raises(SourceProblems) as raised:
        site.build_site(make_app(site, pages_dir, tmp_path), tmp_path / "out")
    assert raised.value.problems == [
        "/static/css/site.css~: a template links it with url_for, but the site answers 404 NOT FOUND there "
        "(hidden files and editors' leftovers in static/ are never published): link a file the site "
        "publishes, or rename the file"
    ]
    assert not (tmp_path / "out").exists()


def test_a_build_names_every_problem_at_once(
    site, junk_static, project_copy, write_page, pages_dir, tmp_path, outside
):
    os.symlink(outside / "secret.txt", junk_static / "leak.txt")
    os.symlink(outside / "secret.txt", project_copy / "templates/evil.html")
    write_page("bad.md", "title: Bad\ndate: 2024-13-45")
    with pytest.raises(SourceProblems) as raised:
        site.build_site(make_app(site, pages_dir, tmp_path), tmp_path / "out")
    shown = "\n".join(raised.value.problems)
    assert "static/leak.txt" in shown and "templates/evil.html" in shown and "pages/bad.md:3" in shown


def test_a_symlink_out_of_static_is_never_published(site, junk_static, pages_dir, tmp_path, outside):
    # Refused by the build once build.py checks the sources; until then, left out.
    os.symlink(outside / "secret.txt", junk_static / "leak.txt")
    out = tmp_path / "out"
    try:
        site.build_site(make_app(site, pages_dir, tmp_path, SITE_CACHE_DIR=None), out)
    except SourceProblems:
        assert not out.exists()
    else:
        assert all("secret" not in data.decode("utf-8", "replace") for data in snapshot(out).values())
        assert not any("leak" in name for name in snapshot(out))


# -- templates --------------------------------------------------------------------------


def template_env(folder: Path) -> jinja2.Environment:
    return jinja2.Environment(loader=SourceLoader(str(folder)))


def test_the_loader_loads_no_ignored_or_outside_template(tmp_path, outside):
    make_tree(
        tmp_path / "templates",
        {
            "page.html": "page",
            "page.html~": "old",
            ".#page.html": f"-> {LOCK}",
            "evil.html": "-> {outside}/secret.txt",
            "alias.html": "-> page.html",
            "_partials/nav.html": "nav",
        },
        outside,
    )
    env = template_env(tmp_path / "templates")
    assert env.get_template("page.html").render() == "page"
    assert env.get_template("alias.html").render() == "page"
    assert env.get_template("_partials/nav.html").render() == "nav"
    for name in ("page.html~", ".#page.html", "evil.html", "../elsewhere/secret.txt"):
        with pytest.raises(jinja2.TemplateNotFound):
            env.get_template(name)
    assert env.list_templates() == ["_partials/nav.html", "alias.html", "page.html"]


def test_the_site_loads_no_ignored_template(site, project_copy, pages_dir, tmp_path):
    (project_copy / "templates/page.html~").write_text("old")
    app = make_app(site, pages_dir, tmp_path)
    with app.test_request_context(), pytest.raises(jinja2.TemplateNotFound):
        app.jinja_env.get_template("page.html~")
