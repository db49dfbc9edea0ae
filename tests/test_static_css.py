"""Stylesheets by plain names: ``url(../img/x.svg)`` is published as the image's hashed name, and a
stylesheet's own name is a hash of what it publishes, so an edited image renames it too."""

import re

import pytest
from conftest import make_app

from flaskguide.assets import (
    HASHED,
    Fingerprints,
    css_references,
    digest,
    fingerprints_of,
    hashed_static_name,
    rewrite_css,
    static_target,
    without_comments,
)

NAMES = {"img/x.svg": "img/x.1a2b3c4d.svg", "css/b.css": "css/b.5e6f7a8b.css", "a b.png": "a b.0f0f0f0f.png"}
PREFIXES = ("/sub/static/", "/static/")


@pytest.mark.parametrize(
    ("written", "published"),
    [
        ("url(../img/x.svg)", "url(../img/x.1a2b3c4d.svg)"),
        ('url("../img/x.svg")', 'url("../img/x.1a2b3c4d.svg")'),
        ("url('../img/x.svg')", "url('../img/x.1a2b3c4d.svg')"),
        ("url(  ../img/x.svg  )", "url(  ../img/x.1a2b3c4d.svg  )"),
        ("URL(../img/x.svg)", "URL(../img/x.1a2b3c4d.svg)"),
        ("url(./../img/x.svg)", "url(../img/x.1a2b3c4d.svg)"),
        # Root-absolute, with or without the base path: relative, so it holds under any base path.
        ("url(/static/img/x.svg)", "url(../img/x.1a2b3c4d.svg)"),
        ("url(/sub/static/img/x.svg)", "url(../img/x.1a2b3c4d.svg)"),
        ("url(../img/x.svg?v=2#icon)", "url(../img/x.1a2b3c4d.svg?v=2#icon)"),
        ("url(../a%20b.png)", "url(../a%20b.0f0f0f0f.png)"),
        ('@import "b.css";', '@import "b.5e6f7a8b.css";'),
        ("@import 'b.css' screen;", "@import 'b.5e6f7a8b.css' screen;"),
        ("@import url(b.css);", "@import url(b.5e6f7a8b.css);"),
        (
            "a{b:url(../img/x.svg),url(../img/x.svg)}",
            "a{b:url(../img/x.1a2b3c4d.svg),url(../img/x.1a2b3c4d.svg)}",
        ),
        # Left as written: not a file of static/, or a missing one (check names it).
        ("url(data:image/png;base64,AAAA)", None),
        ("url(\"data:image/svg+xml,<svg xmlns='http://www.w3.org/2000/svg'/>\")", None),
        ("url(https://example.com/img/x.svg)", None),
        ("url(//cdn.example/img/x.svg)", None),
        ("url(#gradient)", None),
        ("url(../img/missing.svg)", None),
        ("url(../../outside/x.svg)", None),
        ("url(/elsewhere/img/x.svg)", None),
        ("url()", None),
        ("/* url(../img/x.svg) */", None),
        ('a::before{content:"url(../img/x.svg)"}', None),
    ],
)
def test_rewrite_css(written, published):
    assert rewrite_css(written, "css/site.css", NAMES.get, PREFIXES) == (published or written)


def test_references_know_their_lines():
    css = '/* url(a.png)\n */\n@import "b.css";\nbody {\n  background: url( "../img/x.svg" );\n}\n'
    found = [(ref.line, ref.url, css[ref.start : ref.end]) for ref in css_references(css)]
    assert found == [(3, "b.css", "b.css"), (5, "../img/x.svg", "../img/x.svg")]


@pytest.mark.parametrize(
    ("url", "target"),
    [
        ("../img/x.svg", "img/x.svg"),
        ("x.css", "css/x.css"),
        ("/static/img/x.svg", "img/x.svg"),
        ("/static/../secret", None),
        ("../../x.svg", None),
        ("mailto:x@example.com", None),
        ("#id", None),
        ("", None),
    ],
)
def test_static_target(url, target):
    assert static_target(url, "css/site.css") == target


@pytest.fixture
def static(project_copy):
    """A static/ with an image, and a stylesheet that refers to it by its plain name."""
    folder = project_copy / "static"
    (folder / "img/dot.svg").write_text('<svg xmlns="http://www.w3.org/2000/svg"/>\n', "utf-8")
    (folder / "css/extra.css").write_text(
        '@import "parts.css";\n.dot { background: url(../img/dot.svg) }\n', "utf-8"
    )
    (folder / "css/parts.css").write_text(".logo { background: url('/static/img/dot.svg') }\n", "utf-8")
    return folder


def built_css(out, stem):
    (path,) = (out / "static/css").glob(f"{stem}.*.css")
    return path


def test_published_stylesheet_links_hashed_names_and_is_named_by_its_bytes(
    site, static, run_cli, write_page, tmp_path
):
    write_page("index.md", "title: Home\ndescription: Home.")
    out = tmp_path / "out"
    assert run_cli("build", "--out", str(out)).exit_code == 0
    image = next((out / "static/img").glob("dot.*.svg")).name
    extra, parts = built_css(out, "extra"), built_css(out, "parts")
    assert (
        extra.read_text("utf-8") == f'@import "{parts.name}";\n.dot {{ background: url(../img/{image}) }}\n'
    )
    assert parts.read_text("utf-8") == f".logo {{ background: url('../img/{image}') }}\n"
    for path in (extra, parts):
        assert HASHED.match(path.name)["digest"] == digest(path.read_bytes())


def test_editing_an_image_renames_the_stylesheets_that_refer_to_it(
    site, static, run_cli, write_page, tmp_path
):
    write_page("index.md", "title: Home\ndescription: Home.")
    out = tmp_path / "out"
    run_cli("build", "--out", str(out))
    before = {built_css(out, stem).name for stem in ("extra", "parts", "site")}
    (static / "img/dot.svg").write_text('<svg xmlns="http://www.w3.org/2000/svg" width="2"/>\n', "utf-8")
    assert run_cli("build", "--out", str(out)).exit_code == 0
    after = {built_css(out, stem).name for stem in ("extra", "parts", "site")}
    assert before - after == {name for name in before if not name.startswith("site.")}
    assert len(after - before) == 2  # extra.css imports parts.css, which refers to the image


def test_served_bytes_are_the_published_bytes(site, static, pages_dir, write_page, tmp_path):
    write_page("index.md", "title: Home\ndescription: Home.")
    app = make_app(site, pages_dir, tmp_path)
    out = tmp_path / "out"
    site.build_site(app, out)
    client = app.test_client()
    for path in (out / "static").rglob("*.*"):
        with client.get("/" + path.relative_to(out).as_posix()) as response:
            assert response.status_code == 200, path
            assert response.get_data() == path.read_bytes(), path
    with app.test_request_context():
        css = fingerprints_of(app).hashed("css/extra.css")
    assert client.get(f"/static/{css}").content_type == "text/css; charset=utf-8"


def test_no_unhashed_copy_is_published(site, static, run_cli, write_page, tmp_path):
    write_page("index.md", "title: Home\ndescription: Home.")
    out = tmp_path / "out"
    assert run_cli("build", "--out", str(out)).exit_code == 0
    published = [path.relative_to(out / "static").as_posix() for path in (out / "static").rglob("*.*")]
    assert {HASHED.match(name.rpartition("/")[2]) is not None for name in published} == {True}
    assert not (out / "static/css/site.css").exists() and not (out / "static/img/dot.svg").exists()


def test_stylesheets_that_import_each_other_in_a_circle(site, project_copy, run_cli, write_page, tmp_path):
    css = project_copy / "static/css"
    (css / "a.css").write_text('@import "b.css";\na { color: red }\n', "utf-8")
    (css / "b.css").write_text('@import url(a.css);\n@import "b.css";\nb { color: blue }\n', "utf-8")
    (css / "c.css").write_text('@import "a.css";\n', "utf-8")
    write_page("index.md", "title: Home\ndescription: Home.")
    out = tmp_path / "out"
    assert run_cli("build", "--out", str(out)).exit_code == 0
    a, b, c = (built_css(out, stem) for stem in "abc")
    assert a.read_text("utf-8") == f'@import "{b.name}";\na {{ color: red }}\n'
    assert b.read_text("utf-8") == f'@import url({a.name});\n@import "{b.name}";\nb {{ color: blue }}\n'
    assert c.read_text("utf-8") == f'@import "{a.name}";\n'
    (css / "b.css").write_text("@import url(a.css);\nb { color: green }\n", "utf-8")
    assert run_cli("build", "--out", str(out)).exit_code == 0
    assert {built_css(out, stem).name for stem in "abc"}.isdisjoint({a.name, b.name, c.name})


def test_a_long_chain_of_imports_needs_no_deep_recursion(tmp_path):
    folder = tmp_path / "static"
    folder.mkdir()
    for number in range(1500):
        (folder / f"s{number}.css").write_text(f'@import "s{number + 1}.css";\n', "utf-8")
    (folder / "s1500.css").write_text("a { color: red }\n", "utf-8")
    fingerprints = Fingerprints(str(folder))
    assert HASHED.match(fingerprints.hashed("s0.css"))
    assert fingerprints.content("s0.css") == f'@import "{fingerprints.hashed("s1.css")}";\n'.encode()


def test_names_are_worked_out_again_only_when_a_file_changes(tmp_path, monkeypatch):
    folder = tmp_path / "static"
    (folder / "img").mkdir(parents=True)
    (folder / "img/x.svg").write_text("<svg/>", "utf-8")
    (folder / "site.css").write_text(
        "a { background: url(img/x.svg) } b { background: url(img/y.svg) }", "utf-8"
    )
    fingerprints = Fingerprints(str(folder))
    first = fingerprints.hashed("site.css")
    reads = []
    original_read = Fingerprints.read
    monkeypatch.setattr(
        Fingerprints, "read", lambda self, name: reads.append(name) or original_read(self, name)
    )
    assert fingerprints.hashed("site.css") == first and fingerprints.hashed("img/x.svg")
    assert reads == []
    (folder / "img/y.svg").write_text("<svg/>", "utf-8")  # a missing file that appears renames it
    assert fingerprints.hashed("site.css") != first
    assert b"img/y." + fingerprints.hashed("img/y.svg").split(".")[1].encode() in fingerprints.content(
        "site.css"
    )


def test_a_stylesheet_by_root_absolute_names_under_a_subpath(site, static, run_cli, write_page):
    write_page("index.md", "title: Home\ndescription: Home.")
    result = run_cli("check", "--site-url", "http://127.0.0.1/sub/")
    assert result.exit_code == 0, result.output


def test_the_plain_name_of_a_static_file_gives_its_hashed_name(site, static, pages_dir, tmp_path):
    (static / ".hidden.svg").write_text("<svg/>", "utf-8")
    app = make_app(site, pages_dir, tmp_path)
    with app.test_request_context():
        name = hashed_static_name("img/dot.svg")
        assert re.fullmatch(r"img/dot\.[0-9a-f]{8}\.svg", name)
        assert hashed_static_name("img/none.svg") is None
        assert hashed_static_name(".hidden.svg") is None
        assert hashed_static_name("../site.py") is None
    assert hashed_static_name("css/extra.css", app) == fingerprints_of(app).hashed("css/extra.css")


@pytest.mark.parametrize(
    ("css", "published"),
    [
        ("a { color: red; } /* why */", "a { color: red; } "),
        ("/* one\ntwo */\nb {}", "\n\nb {}"),  # each rule keeps its line, which check names
        ('a { background: url("/*not*/x.png") }', 'a { background: url("/*not*/x.png") }'),
        ('a::before { content: "/* text */" }', 'a::before { content: "/* text */" }'),
        ("a {} /* never closed", "a {} "),
    ],
)
def test_comments_are_not_published_and_lines_stay(css, published):
    assert without_comments(css) == published
