"""Bring your own Markdown: a folder written for MkDocs, GitHub or Hugo builds as it is."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from conftest import make_app

from flaskguide import titles


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        ("# Welcome\n\nText.", "Welcome"),
        ("Intro line.\n\n# Later heading", "Later heading"),
        ("# A [linked](x.md) *title* {#custom}", "A linked title"),
        ("# Closed heading ##", "Closed heading"),
        ("Setext title\n============\n\nText.", "Setext title"),
        ("```\n# a comment in code\n```\n\n# Real", "Real"),
        ("~~~~\n# code\n~~~\n# still code\n~~~~\n# After", "After"),
        ("## Only a second level", None),
        ("#hashtag, not a heading", None),
        (r"# Escaped \*stars\*", "Escaped *stars*"),
        ("", None),
    ],
)
def test_the_first_level_one_heading_is_the_title(body, expected):
    assert titles.heading_title(body) == expected


@pytest.mark.parametrize(
    ("path", "expected"),
    [
        ("getting-started", "Getting started"),
        ("guide/my_notes", "My notes"),
        ("user-guide/index", "User guide"),
        ("index", "Home"),
        ("API", "API"),
    ],
)
def test_a_page_without_a_heading_is_titled_by_its_file_name(path, expected):
    assert titles.name_title(path) == expected


def write(pages: Path, name: str, text: str) -> None:
    path = pages / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, "utf-8")


@pytest.fixture
def imported(pages_dir):
    """A folder in the styles of MkDocs, GitHub and Hugo, with no front matter for most pages."""
    write(
        pages_dir,
        "index.md",
        "# Welcome\n\nStart with [the guide](guide/README.md) or [Hugo's part](hugo/_index.md).\n",
    )
    write(
        pages_dir,
        "guide/README.md",
        "# The guide\n\nRead [setup](setup.md) and [notes](../notes/no-heading.md).\n\n"
        '!!! note "Before you start"\n    Install Python.\n',
    )
    write(
        pages_dir,
        "guide/setup.md",
        "---\ndescription: How to set up.\n---\n# Setup\n\n## Steps\n\nBack to [the guide](README.md).\n",
    )
    write(
        pages_dir,
        "hugo/_index.md",
        "---\ndescription: Hugo's own section page.\n---\n\n# Hugo section\n\n[A post](post.md)\n",
    )
    write(
        pages_dir,
        "hugo/post.md",
        "---\ndate:\n  created: 2024-01-02\n  updated: 2024-03-04\n---\n# A post\n\n"
        "<div markdown>\nSome **bold** words[^1].\n</div>\n\n[^1]: A footnote inside HTML.\n",
    )
    write(pages_dir, "notes/no-heading.md", "Only text, and no heading at all.\n")
    return pages_dir


def test_an_imported_folder_builds_each_page_with_its_title_shown_once(site, imported, tmp_path):
    out = tmp_path / "out"
    report = site.build_site(make_app(site, imported, tmp_path), out)
    assert report.pages == 6
    expected = {
        "index.html": "Welcome",
        "guide/index.html": "The guide",
        "guide/setup/index.html": "Setup",
        "hugo/index.html": "Hugo section",
        "hugo/post/index.html": "A post",
        "notes/no-heading/index.html": "No heading",
    }
    for name, title in expected.items():
        html = (out / name).read_text("utf-8")
        assert re.findall(r"<h1[^>]*>(.*?)</h1>", html) == [title], name
    post = (out / "hugo/post/index.html").read_text("utf-8")
    assert '<time datetime="2024-01-02">' in post and '<time datetime="2024-03-04">' in post
    assert "<strong>bold</strong> words<sup" in post and "A footnote inside HTML." in post
    assert "markdown=" not in post
    guide = (out / "guide/index.html").read_text("utf-8")
    assert 'href="setup/"' in guide and 'href="../notes/no-heading/"' in guide
    assert '<div class="admonition note" role="note">' in guide


def test_an_imported_folder_passes_check_with_warnings_only(imported, run_cli):
    result = run_cli("check")
    assert result.exit_code == 0, result.output
    assert "warnings (check --strict fails on them)" in result.output
    assert "no problems" in result.output


def test_derived_titles_are_in_the_keys_of_the_lists_that_show_them(site, imported, tmp_path):
    out = tmp_path / "out"
    site.build_site(make_app(site, imported, tmp_path), out)
    write(imported, "notes/no-heading.md", "# Now it has one\n\nText.\n")
    site.build_site(make_app(site, imported, tmp_path), out)
    assert "Now it has one" in (out / "index.html").read_text("utf-8")  # the home page lists it


def test_a_broken_front_matter_block_is_still_named_with_its_line(imported, run_cli, tmp_path):
    write(imported, "hugo/post.md", "---\ndate: 2024-01-02\ntags: [unclosed\n---\n# A post\n")
    result = run_cli("build", "--out", str(tmp_path / "out"))
    assert result.exit_code == 1
    assert "pages/hugo/post.md:3: front matter is not valid YAML" in result.output


def test_two_index_files_in_one_folder_are_named(imported, run_cli, tmp_path):
    write(imported, "guide/index.md", "# Another index\n")
    result = run_cli("build", "--out", str(tmp_path / "out"))
    assert result.exit_code == 1
    assert "pages/guide/README.md and pages/guide/index.md both publish /guide/" in result.output
