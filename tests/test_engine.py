"""The build engine: atomic, reproducible, parallel and incremental, never serving stale HTML."""

import gzip
import json
import os
import shutil
import subprocess
import sys
import time

import pytest
from conftest import PROJECT, make_app, snapshot
from flask import request

from flaskguide import search
from flaskguide.errors import OutputError, RenderError, SearchError, SourceProblems


@pytest.fixture
def site_pages(write_page):
    """A small site with sections, tags, dates and code, enough to exercise every listing."""
    write_page("index.md", "title: Home\ndescription: Start here.", "Welcome.\n")
    for section in ("alpha", "beta"):
        write_page(f"{section}/index.md", f"title: Section {section}\ndescription: All about {section}.")
        for number in range(1, 4):
            write_page(
                f"{section}/page-{number}.md",
                f"title: {section.title()} {number}\norder: {number}\ndate: 2024-0{number}-1{number}\n"
                f"tags: [{section}, shared, T{number}]\ndescription: Page {number} of {section}.",
                f"## Part one\n\nText {number}.\n\n```python\nprint({number})\n```\n\n## Part two\n\n## Part three\n",
            )
    write_page(
        "beta/about.md", "title: About\norder: 9", "A page without a description, summarised from here.\n"
    )


def clean_build(site, pages_dir, tmp_path, name="clean", **config) -> dict:
    out = tmp_path / name
    shutil.rmtree(out, ignore_errors=True)
    site.build_site(make_app(site, pages_dir, tmp_path, SITE_CACHE_DIR=None, **config), out)
    return snapshot(out)


def incremental_build(site, pages_dir, tmp_path, **config):
    out = tmp_path / "out"
    report = site.build_site(make_app(site, pages_dir, tmp_path, **config), out)
    return snapshot(out), report


def test_unchanged_rebuild_renders_nothing(site, site_pages, pages_dir, tmp_path):
    first, report = incremental_build(site, pages_dir, tmp_path)
    shutil.rmtree(tmp_path / "out")  # so that the build cannot stop at "nothing changed"
    again, second = incremental_build(site, pages_dir, tmp_path)
    assert again == first
    assert report.rendered > 20
    assert (second.rendered, second.unchanged) == (0, 0)


def assert_rebuild_matches_clean_build(site, pages_dir, tmp_path, change, **config):
    incremental_build(site, pages_dir, tmp_path, **config)
    change()
    rebuilt, report = incremental_build(site, pages_dir, tmp_path, **config)
    assert rebuilt == clean_build(site, pages_dir, tmp_path, **config)
    return report


def test_page_body_edit(site, site_pages, pages_dir, tmp_path, write_page):
    def edit():
        with open(pages_dir / "alpha/page-2.md", "a") as page:
            page.write("\nA new closing paragraph.\n")

    report = assert_rebuild_matches_clean_build(site, pages_dir, tmp_path, edit)
    assert report.rendered == 1  # the page itself: its body is in no listing


def test_description_fallback_edit_updates_listings(site, site_pages, pages_dir, tmp_path, write_page):
    def edit():
        write_page("beta/about.md", "title: About\norder: 9", "A different first paragraph.\n")

    assert_rebuild_matches_clean_build(site, pages_dir, tmp_path, edit)


def test_title_change_updates_every_listing(site, site_pages, pages_dir, tmp_path, write_page):
    def retitle():
        text = (pages_dir / "beta/page-1.md").read_text("utf-8").replace("title: Beta 1", "title: Renamed")
        (pages_dir / "beta/page-1.md").write_text(text, "utf-8")

    assert_rebuild_matches_clean_build(site, pages_dir, tmp_path, retitle)
    html = (tmp_path / "out/tags/shared/index.html").read_text("utf-8")
    assert "Renamed" in html and "Beta 1" not in html


def test_page_added(site, site_pages, pages_dir, tmp_path, write_page):
    assert_rebuild_matches_clean_build(
        site, pages_dir, tmp_path, lambda: write_page("alpha/page-9.md", "title: Newcomer\ntags: [fresh]")
    )


def test_page_deleted(site, site_pages, pages_dir, tmp_path):
    assert_rebuild_matches_clean_build(site, pages_dir, tmp_path, (pages_dir / "beta/page-3.md").unlink)
    assert not (tmp_path / "out/beta/page-3").exists()


def test_menu_page_added(site, site_pages, pages_dir, tmp_path, write_page):
    assert_rebuild_matches_clean_build(
        site, pages_dir, tmp_path, lambda: write_page("contact.md", "title: Contact\norder: 1")
    )


def test_config_change(site, site_pages, pages_dir, tmp_path):
    incremental_build(site, pages_dir, tmp_path)
    rebuilt, _ = incremental_build(site, pages_dir, tmp_path, SITE_TITLE="Renamed site")
    assert rebuilt == clean_build(site, pages_dir, tmp_path, SITE_TITLE="Renamed site")
    assert "Renamed site" in rebuilt["alpha/page-1/index.html"].decode()


def test_template_edit(site, site_pages, pages_dir, tmp_path):
    templates = tmp_path / "templates"
    shutil.copytree(PROJECT / "templates", templates)

    def build(out_name, cache):
        app = make_app(site, pages_dir, tmp_path, SITE_CACHE_DIR=cache)
        app.jinja_loader.searchpath.insert(0, str(templates))
        site.build_site(app, tmp_path / out_name)
        return snapshot(tmp_path / out_name)

    build("out", str(tmp_path / "cache"))
    footer = templates / "_partials/footer.html"
    footer.write_text(footer.read_text("utf-8").replace("All tags", "Every tag"), "utf-8")
    rebuilt = build("out", str(tmp_path / "cache"))
    assert rebuilt == build("clean", None)
    assert "Every tag" in rebuilt["alpha/page-1/index.html"].decode()


@pytest.mark.search
def test_edit_reindexes_only_its_own_section(site, site_pages, pages_dir, tmp_path, monkeypatch):
    monkeypatch.setattr(search, "SECTION_SIZE", 3)  # alpha and beta get search bundles of their own
    indexed = []
    write_bundle = search.write_bundle
    monkeypatch.setattr(search, "write_bundle", lambda *args: indexed.append(args[1]) or write_bundle(*args))

    def edit():
        with open(pages_dir / "alpha/page-2.md", "a") as page:
            page.write("\nA sentence about zeppelins.\n")

    first, _ = incremental_build(site, pages_dir, tmp_path)
    assert sorted(indexed) == ["s-alpha", "s-beta", "site"]
    indexed.clear()
    edit()
    rebuilt, _ = incremental_build(site, pages_dir, tmp_path)
    assert indexed == ["s-alpha"]
    assert rebuilt == clean_build(site, pages_dir, tmp_path)
    beta = {name for name in first if name.startswith("pagefind/s-beta/")}
    assert beta and all(rebuilt[name] == first[name] for name in beta)
    fragments = [
        gzip.decompress(rebuilt[name]) for name in rebuilt if name.startswith("pagefind/s-alpha/fragment/")
    ]
    assert any(b"zeppelins" in fragment for fragment in fragments)


@pytest.mark.search
def test_search_sections_too_big_to_index_together_are_indexed_in_turn(
    site, site_pages, pages_dir, tmp_path, monkeypatch
):
    monkeypatch.setattr(search, "SECTION_SIZE", 3)  # alpha (4 pages) and beta (5) get bundles
    running, together = set(), set()
    write_bundle = search.write_bundle

    def recording(pagefind, name, *args):
        running.add(name)
        together.add(frozenset(running))
        time.sleep(0.1)  # long enough for another thread to start, were it allowed to
        try:
            write_bundle(pagefind, name, *args)
        finally:
            running.discard(name)

    monkeypatch.setattr(search, "write_bundle", recording)
    for budget in (6, 100):  # room for one section at a time, then for all of them
        monkeypatch.setattr(search, "BUNDLE_LIMIT", budget)
        together.clear()
        app = make_app(site, pages_dir, tmp_path, SITE_CACHE_DIR=None)
        site.build_site(app, tmp_path / "out", jobs=3)
        overlapped = any({"s-alpha", "s-beta"} <= group for group in together)
        assert overlapped == (budget == 100)


@pytest.mark.search
def test_no_search_bundle_is_larger_than_the_limit(site, site_pages, pages_dir, tmp_path, monkeypatch):
    monkeypatch.setattr(search, "SECTION_SIZE", 5)  # beta (5 pages) is a section, alpha (4) is not
    monkeypatch.setattr(search, "PART_SIZE", 3)
    out = tmp_path / "out"
    site.build_site(make_app(site, pages_dir, tmp_path), out)
    bundles = json.loads((out / "pagefind/bundles.json").read_text())
    sizes = {name: len(list((out / "pagefind" / name / "fragment").iterdir())) for name in bundles}
    searchable = [path for path in out.rglob("*.html") if b"data-pagefind-body" in path.read_bytes()]
    assert max(sizes.values()) <= 3
    assert sum(sizes.values()) == len(searchable)
    assert {"p1-beta/", "p2-beta/"} <= set(bundles) and "s-beta/" not in bundles


@pytest.mark.search
def test_search_bundles_of_folders_with_pattern_characters_in_their_names(
    site, write_page, pages_dir, tmp_path, monkeypatch
):
    monkeypatch.setattr(search, "SECTION_SIZE", 1)  # every folder a bundle of its own
    folders = ["a{b},c", "x[y]*", "p(q)$:<>", "plain"]
    write_page("index.md", "title: Home")
    for folder in folders:
        write_page(f"{folder}/one.md", "title: One", "A page about zeppelins.\n")
        write_page(f"{folder}/two.md", "title: Two", "Another page.\n")
    out = tmp_path / "out"
    site.build_site(make_app(site, pages_dir, tmp_path), out)
    for folder in folders:
        fragments = list((out / "pagefind" / f"s-{folder}" / "fragment").iterdir())
        assert len(fragments) == 2, folder  # its own two pages, and no other folder's


@pytest.mark.search
def test_a_failing_search_index_fails_the_build_and_keeps_the_previous_one(
    site, site_pages, pages_dir, tmp_path, monkeypatch
):
    out = tmp_path / "out"
    site.build_site(make_app(site, pages_dir, tmp_path), out)
    before = snapshot(out)
    fake = tmp_path / "pagefind"
    fake.write_text(
        '#!/bin/sh\n[ "$1" = --version ] && echo "pagefind 0.0.1" && exit 0\necho "Error: disk on fire"\nexit 3\n'
    )
    fake.chmod(0o755)
    monkeypatch.setenv("PAGEFIND_BINARY_PATH", str(fake))
    with pytest.raises(SearchError, match=r"pagefind could not index \d+ pages .*: Error: disk on fire"):
        site.build_site(make_app(site, pages_dir, tmp_path), out)
    assert snapshot(out) == before
    assert not (tmp_path / ".out.new").exists()


@pytest.mark.search
def test_pagefind_settings_from_the_environment_do_not_change_the_index(
    site, site_pages, pages_dir, tmp_path, monkeypatch
):
    plain = clean_build(site, pages_dir, tmp_path, name="plain")
    monkeypatch.setenv("PAGEFIND_FORCE_LANGUAGE", "fr")
    monkeypatch.chdir(tmp_path)
    (tmp_path / "pagefind.yml").write_text("exclude_selectors: ['h2']\n")
    assert clean_build(site, pages_dir, tmp_path, name="configured") == plain


def test_parallel_output_is_identical_to_serial(site, site_pages, pages_dir, tmp_path):
    serial, parallel = tmp_path / "serial", tmp_path / "parallel"
    site.build_site(make_app(site, pages_dir, tmp_path, SITE_CACHE_DIR=None), serial, jobs=1)
    report = site.build_site(make_app(site, pages_dir, tmp_path, SITE_CACHE_DIR=None), parallel, jobs=2)
    assert report.rendered > 20
    assert snapshot(serial) == snapshot(parallel)


def run_build(out, pages_dir, cache, env=None, jobs=2):
    command = [sys.executable, "site.py", "--pages", str(pages_dir), "build", "--out", str(out)]
    command += ["--cache", str(cache), "--jobs", str(jobs)]
    return subprocess.run(command, cwd=PROJECT, env=env, capture_output=True, text=True, check=False)


@pytest.mark.parametrize("seeds", [("1", "2")])
def test_builds_are_byte_identical_whatever_the_hash_seed(site_pages, pages_dir, tmp_path, seeds):
    outputs = []
    for seed in seeds:
        env = {**os.environ, "PYTHONHASHSEED": seed, "SOURCE_DATE_EPOCH": "1767225600"}
        result = run_build(tmp_path / f"out-{seed}", pages_dir, tmp_path / f"cache-{seed}", env)
        assert result.returncode == 0, result.stderr
        outputs.append(snapshot(tmp_path / f"out-{seed}"))
    assert outputs[0] == outputs[1]


@pytest.mark.parametrize(
    ("error", "reported"),
    [
        (RuntimeError("the view broke"), RenderError),
        (
            SourceProblems(["pages/beta/page-2.md:3: a problem", "pages/beta/page-2.md:4: another"]),
            SourceProblems,
        ),
    ],
)
def test_exception_in_a_view_leaves_the_previous_build(
    site, site_pages, pages_dir, tmp_path, monkeypatch, error, reported
):
    out = tmp_path / "out"
    site.build_site(make_app(site, pages_dir, tmp_path), out)
    before = snapshot(out)
    (pages_dir / "alpha/page-1.md").write_text("---\ntitle: Changed\n---\nNew body.\n", "utf-8")
    # A new title on every page: all of them are rendered again, in workers with jobs=2.
    app = make_app(site, pages_dir, tmp_path, SITE_TITLE="Retitled")
    functions = site.site_of(app).views.functions
    real_page = functions["page"]

    def failing_page(index, path, number):
        if request.path == "/beta/page-2/":  # while rendering (in a worker with jobs=2), not planning
            raise error
        return real_page(index, path, number)

    monkeypatch.setitem(functions, "page", failing_page)
    for jobs in (1, 2):
        with pytest.raises(reported) as raised:
            site.build_site(app, out, jobs=jobs)
        assert str(error) in str(raised.value)
        if reported is SourceProblems:  # whole, even from another process
            assert raised.value.problems == error.problems
        assert snapshot(out) == before
        assert not (tmp_path / ".out.new").exists()


@pytest.mark.parametrize("folder", ["pages", "static", "templates", "pages/inner"])
def test_refuses_to_build_over_the_sources(site, runner, folder):
    result = runner.invoke(site.cli, ["build", "--out", str(PROJECT / folder)])
    assert result.exit_code == 1
    assert "refusing to build into" in result.output
    assert (PROJECT / "pages/index.md").is_file()


def test_refuses_to_replace_a_folder_no_build_wrote(site, site_pages, pages_dir, tmp_path):
    documents = tmp_path / "documents"
    documents.mkdir()
    (documents / "thesis.txt").write_text("years of work")
    with pytest.raises(OutputError, match="no build of this site wrote it"):
        site.build_site(make_app(site, pages_dir, tmp_path), documents)
    assert (documents / "thesis.txt").read_text() == "years of work"
    assert sorted(path.name for path in tmp_path.iterdir()) == ["documents", "pages"]


def test_a_page_does_not_grow_with_the_rest_of_the_site(site, write_page, pages_dir, tmp_path):
    write_page("index.md", "title: Home")
    write_page("solo/index.md", "title: Solo section")
    write_page("solo/page.md", "title: The page", "Its text.\n")
    sizes = []
    for count in (5, 60):
        for number in range(count):
            write_page(f"crowd/page-{number:03}.md", f"title: Crowd {number}")
        out = tmp_path / f"out-{count}"
        site.build_site(make_app(site, pages_dir, tmp_path, SITE_CACHE_DIR=None), out)
        sizes.append(len((out / "solo/page/index.html").read_bytes()))
    assert sizes[0] == sizes[1]
