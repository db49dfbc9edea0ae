"""Moving a page: ``aliases:`` publishes its old URLs as redirects, and a ``_redirects`` file."""

from __future__ import annotations

import pytest
from conftest import make_app, snapshot


@pytest.fixture
def moved(write_page):
    write_page("index.md", "title: Home\ndescription: Home.", "Read [the guide](guide/intro.md).\n")
    return write_page(
        "guide/intro.md",
        "title: Intro\ndescription: An intro.\naliases: [/old-intro/, /2019/intro.html, /old-intro/]",
    )


def built(site, pages_dir, tmp_path, name="out", **config) -> dict[str, str]:
    out = tmp_path / name
    site.build_site(make_app(site, pages_dir, tmp_path, **config), out)
    return {name: data.decode() for name, data in snapshot(out).items() if not name.startswith("static/")}


def test_each_old_url_is_a_small_page_that_sends_readers_on(site, moved, pages_dir, tmp_path):
    files = built(site, pages_dir, tmp_path, SITE_URL="https://example.org/sub/")
    for name in ("old-intro/index.html", "2019/intro.html"):
        page = files[name]
        assert '<meta http-equiv="refresh" content="0; url=/sub/guide/intro/">' in page
        assert '<link rel="canonical" href="https://example.org/sub/guide/intro/">' in page
        assert '<meta name="robots" content="noindex">' in page
        assert '<a href="/sub/guide/intro/">Intro</a>' in page
    assert files["_redirects"].splitlines() == [
        "/sub/2019/intro.html /sub/guide/intro/ 301",
        "/sub/old-intro/ /sub/guide/intro/ 301",
    ]
    assert "old-intro" not in files["sitemap.xml"]


def test_a_relative_build_redirects_from_disk(site, moved, pages_dir, tmp_path):
    files = built(site, pages_dir, tmp_path, SITE_RELATIVE=True)
    assert (
        '<meta http-equiv="refresh" content="0; url=../guide/intro/index.html">'
        in files["old-intro/index.html"]
    )
    assert '<meta http-equiv="refresh" content="0; url=guide/intro/index.html">' in files[
        "2019/intro.html"
    ].replace("../", "", 1)


def test_serve_answers_an_old_url_with_its_redirect_page(site, moved, pages_dir, tmp_path):
    client = make_app(site, pages_dir, tmp_path).test_client()
    for url in ("/old-intro/", "/2019/intro.html"):
        answer = client.get(url)
        assert answer.status_code == 200
        assert 'url=/guide/intro/"' in answer.get_data(as_text=True)
    assert client.get("/old-intro/page/2/").status_code == 404


def test_moving_the_page_again_updates_its_redirects_from_the_cache(
    site, moved, pages_dir, tmp_path, write_page
):
    built(site, pages_dir, tmp_path)
    moved.unlink()
    write_page(
        "basics/intro.md",
        "title: Intro\ndescription: An intro.\naliases: [/old-intro/, /2019/intro.html, /guide/intro/]",
    )
    (pages_dir / "index.md").write_text(
        "---\ntitle: Home\ndescription: Home.\n---\nRead [it](basics/intro.md).\n"
    )
    again = built(site, pages_dir, tmp_path)
    assert again == built(site, pages_dir, tmp_path, "clean", SITE_CACHE_DIR=None)
    assert 'url=/basics/intro/"' in again["2019/intro.html"]
    assert 'url=/basics/intro/"' in again["guide/intro/index.html"]


@pytest.mark.parametrize(
    ("aliases", "expected"),
    [
        ("[old/]", "pages/a.md:4: aliases: ['old/'] must be a list of this site's old URL paths"),
        ("/old/", 'pages/a.md:4: aliases: "/old/" must be a list'),
        ("[/old]", "must be a list of this site's old URL paths"),  # neither a folder nor a file
        ("[/a/../b/]", "must be a list"),
        ("[//example.org/x/]", "must be a list"),
        ("[/x/?y]", "must be a list"),
        ("[]", "must be a list"),
    ],
)
def test_an_alias_that_is_no_url_path_of_this_site_is_named_with_its_line(
    run_cli, write_page, tmp_path, aliases, expected
):
    write_page("index.md", "title: Home")
    write_page("a.md", f"title: A\ndescription: A.\naliases: {aliases}")
    result = run_cli("build", "--out", str(tmp_path / "out"))
    assert result.exit_code == 1
    assert expected in result.output
    assert "Traceback" not in result.output


@pytest.mark.parametrize(
    ("other", "expected"),
    [
        ("b.md", "pages/b.md and pages/a.md both publish /b/"),  # an alias where a page is
        ("c.md", "pages/a.md and pages/c.md both publish /old/"),  # two pages claim one old URL
    ],
)
def test_an_alias_that_collides_names_both_files(run_cli, write_page, tmp_path, other, expected):
    write_page("index.md", "title: Home")
    write_page("a.md", "title: A\naliases: [/b/, /old/]")
    write_page(other, "title: Other\naliases: [/old/]" if other == "c.md" else "title: B")
    result = run_cli("build", "--out", str(tmp_path / "out"))
    assert result.exit_code == 1
    assert expected in result.output


def test_an_alias_may_not_take_a_url_the_site_keeps(run_cli, write_page, tmp_path):
    write_page("index.md", "title: Home")
    write_page("a.md", "title: A\naliases: [/tags/old/]")
    result = run_cli("build", "--out", str(tmp_path / "out"))
    assert result.exit_code == 1
    assert "pages/a.md: its URL /tags/old/ is taken by the site's own /tags/" in result.output
