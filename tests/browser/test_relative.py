"""A relative build opened straight from disk (file://) in Chromium: it navigates and is styled."""

import pytest

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
