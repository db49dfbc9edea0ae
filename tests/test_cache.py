"""The build cache never crashes a build and never serves stale HTML, whatever it holds."""

import os
import pickle
import shutil

import pytest
from conftest import snapshot

from flaskguide import build as building
from flaskguide import cache as caching
from flaskguide.markup import Rendered
from flaskguide.views import View


@pytest.fixture
def guide(write_page):
    write_page("index.md", "title: Home\ndescription: Start here.", "Welcome.\n")
    write_page("guide/index.md", "title: Guide\ndescription: The guide.")
    for number in (1, 2, 3):
        write_page(
            f"guide/step-{number}.md",
            f"title: Step {number}\norder: {number}\ndate: 2024-0{number}-01\ntags: [steps]",
            f"## Part\n\nText {number}.\n",
        )


def build(site, pages_dir, out, cache, **config):
    app = site.create_app(
        {"FLATPAGES_ROOT": str(pages_dir), "SITE_CACHE_DIR": cache and str(cache), **config}
    )
    return site.build_site(app, out), snapshot(out)


def stored_records(cache):
    """Every pickled record in the cache: the page files' readings, Markdown, build manifests."""
    return [path for kind in ("files", "markdown", "manifests") for path in (cache / kind).glob("*/*")]


def gone_class_record() -> bytes:
    """A pickle of a class of the build module that no longer exists, as after a rename in an upgrade."""
    old = type("OldManifest", (), {"__module__": building.__name__, "__qualname__": "OldManifest"})
    building.OldManifest = old
    try:
        return pickle.dumps(old())
    finally:
        del building.OldManifest


DAMAGE = {
    "a class that is gone": lambda data: gone_class_record(),
    "truncated": lambda data: data[: len(data) // 2],
    "empty": lambda data: b"",
    "garbage": lambda data: os.urandom(200),
    "a record of the wrong type": lambda data: pickle.dumps(["not", "a", "record"]),
}


@pytest.mark.parametrize("damage", DAMAGE)
def test_damaged_records_are_misses_never_crashes(site, guide, pages_dir, tmp_path, damage):
    cache = tmp_path / "cache"
    build(site, pages_dir, tmp_path / "out", cache)
    records = stored_records(cache)
    assert {path.parent.parent.name for path in records} == {"files", "markdown", "manifests"}
    for path in records:
        path.chmod(0o644)
        path.write_bytes(DAMAGE[damage](path.read_bytes()))
    with open(pages_dir / "guide/step-2.md", "a") as page:
        page.write("\nAn edit, so that the build reads every kind of record.\n")
    _, rebuilt = build(site, pages_dir, tmp_path / "out", cache)
    _, clean = build(site, pages_dir, tmp_path / "clean", None)
    assert rebuilt == clean


def test_records_of_the_right_type_and_the_wrong_shape_are_misses(site, guide, pages_dir, tmp_path):
    cache = tmp_path / "cache"
    build(site, pages_dir, tmp_path / "out", cache)
    readings = {str(path): (1, 2) for path in pages_dir.rglob("*.md")}
    wrong = {
        "files": readings,
        "manifests": building.Manifest(plan=None, search=None),
        "markdown": Rendered(html=None, toc=None),
    }
    for path in stored_records(cache):
        path.chmod(0o644)
        path.write_bytes(pickle.dumps(wrong[path.parent.parent.name]))
    # A new address: every page is rendered again, from its stored Markdown were it taken.
    _, rebuilt = build(site, pages_dir, tmp_path / "out", cache, SITE_URL="https://example.org/guide/")
    _, clean = build(site, pages_dir, tmp_path / "clean", None, SITE_URL="https://example.org/guide/")
    assert rebuilt == clean


def test_records_of_other_code_are_never_read(site, guide, pages_dir, tmp_path, monkeypatch):
    cache = tmp_path / "cache"
    build(site, pages_dir, tmp_path / "out", cache)
    caching.code_digest.cache_clear()
    monkeypatch.setattr(caching, "CACHE_VERSION", "an upgrade")
    try:
        report, rebuilt = build(site, pages_dir, tmp_path / "out", cache)
    finally:
        caching.code_digest.cache_clear()
    assert report.rendered > 10  # nothing the old code stored was taken
    assert rebuilt == build(site, pages_dir, tmp_path / "clean", None)[1]


@pytest.fixture
def by_year(site, tmp_path, monkeypatch):
    """The tags page replaced by a view grouping pages by year, in a dict, as a blog's archive would."""
    templates = tmp_path / "templates"
    templates.mkdir()
    (templates / "archive.html").write_text(
        "{% for year, pages in years.items() %}<h2>{{ year }}</h2>"
        "{% for page in pages %}<p>{{ page.title }}</p>{% endfor %}{% endfor %}",
        "utf-8",
    )

    def archive(index, number=1):
        years = {}
        for page in index.dated:
            years.setdefault(str(page.meta["date"].year), []).append(page)
        return View("archive.html", {"years": years})

    def make(pages_dir, cache):
        app = site.create_app({"FLATPAGES_ROOT": str(pages_dir), "SITE_CACHE_DIR": cache and str(cache)})
        app.jinja_loader.searchpath.insert(0, str(templates))
        monkeypatch.setitem(site.site_of(app).views.functions, "tags", archive)
        return app

    return make


def test_a_grouped_listing_is_rendered_again_after_a_title_change(site, guide, pages_dir, tmp_path, by_year):
    out, cache = tmp_path / "out", tmp_path / "cache"
    site.build_site(by_year(pages_dir, cache), out)
    assert "<p>Step 2</p>" in (out / "tags/index.html").read_text("utf-8")
    page = pages_dir / "guide/step-2.md"
    page.write_text(page.read_text("utf-8").replace("title: Step 2", "title: Second step"), "utf-8")
    site.build_site(by_year(pages_dir, cache), out)
    archive = (out / "tags/index.html").read_text("utf-8")
    assert "<p>Second step</p>" in archive and "Step 2" not in archive
    shutil.rmtree(tmp_path / "clean", ignore_errors=True)
    site.build_site(by_year(pages_dir, None), tmp_path / "clean")
    assert snapshot(out) == snapshot(tmp_path / "clean")


class Unknown:
    def __repr__(self):
        return "<Unknown>"


@pytest.mark.parametrize("value", [Unknown(), {"2024": [Unknown()]}, [(1, Unknown())], object()])
def test_a_context_the_key_cannot_describe_is_refused_naming_the_view(
    site, guide, pages_dir, tmp_path, monkeypatch, value
):
    app = site.create_app({"FLATPAGES_ROOT": str(pages_dir), "SITE_CACHE_DIR": str(tmp_path / "cache")})
    monkeypatch.setitem(
        site.site_of(app).views.functions, "tags", lambda index, number=1: View("tags.html", {"x": value})
    )
    with pytest.raises(TypeError, match=r"^tags: the build cache cannot key a"):
        site.build_site(app, tmp_path / "out")
    assert not (tmp_path / "out").exists()
