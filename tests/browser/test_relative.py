"""A relative build opened straight from disk (file://) in Chromium: it navigates and is styled."""

import pytest
from test_files_and_links import png

pytestmark = pytest.mark.browser


def test_relative_build_navigates_and_styles_from_disk(site, playwright_browser, tmp_path):
    out = tmp_path / "site"
    site.build_site(site.create_app({"SITE_RELATIVE": True}), out)
    page = playwright_browser.new_page()
    try:
        page.goto((out / "index.html").as_uri())
        page.click("text=Why Flask?")
        assert page.url == (out / "why-flask/index.html").as_uri()
        assert page.evaluate("getComputedStyle(document.querySelector('main')).maxWidth") != "none"
        page.click(".breadcrumbs a, .site-title")
        assert page.url == (out / "index.html").as_uri()
    finally:
        page.close()


def test_a_relative_build_shows_images_beside_pages_and_follows_links_by_file_name(
    site, playwright_browser, tmp_path, write_page, pages_dir, project_copy
):
    write_page("index.md", "title: Home\ndescription: Home.", "Read [the guide](guide/index.md).\n")
    write_page(
        "guide/index.md",
        "title: Guide\ndescription: Guide.",
        "![A map](map.png)\n\n[Next: the intro](intro.md#setup)\n",
    )
    write_page(
        "guide/intro.md",
        "title: Intro\ndescription: Intro.",
        "![A diagram](diagram.png)\n\n## Setup\n\n![The icon](/static/img/favicon.svg)\n",
    )
    (pages_dir / "guide" / "map.png").write_bytes(png(30, 10))
    (pages_dir / "guide" / "diagram.png").write_bytes(png(40, 20))
    out = tmp_path / "site"
    app = site.create_app(
        {"SITE_RELATIVE": True, "FLATPAGES_ROOT": str(pages_dir), "SITE_CACHE_DIR": str(tmp_path / "cache")}
    )
    site.build_site(app, out)
    page = playwright_browser.new_page()
    widths = "Array.from(document.querySelectorAll('article img'), image => image.naturalWidth)"
    loaded = "Array.from(document.querySelectorAll('article img')).every(image => image.complete)"
    try:
        page.goto((out / "index.html").as_uri())
        page.click("article a:has-text('the guide')")
        assert page.url == (out / "guide/index.html").as_uri()
        page.wait_for_function(loaded)
        assert page.evaluate(widths) == [30]
        page.click("article a:has-text('Next: the intro')")
        assert page.url == (out / "guide/intro/index.html").as_uri() + "#setup"
        page.wait_for_function(loaded)
        diagram, icon = page.evaluate(widths)
        assert diagram == 40 and icon > 0  # the file beside the page, and static/ by its plain name
    finally:
        page.close()
