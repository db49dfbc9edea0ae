"""``serve``: the browser reloads on any edit, and a broken page shows its error, not a traceback."""

import os
import re
import threading
import time

import pytest


def reload_url(html: str) -> str:
    return re.search(r'new EventSource\("([^"]+)"\)', html).group(1).replace("&amp;", "&")


def first_event(client, url: str) -> str:
    """Read the event stream until its first ``data:`` line (or its end)."""
    response = client.get(url, buffered=False)
    try:
        for chunk in response.response:
            text = chunk.decode() if isinstance(chunk, bytes) else chunk
            if text.startswith("data:"):
                return text
    finally:
        response.close()
    return ""


def touch_later(path, seconds=0.1):
    def touch():
        time.sleep(seconds)
        stat = path.stat()
        os.utime(path, ns=(stat.st_atime_ns, stat.st_mtime_ns + 1_000_000_000))

    threading.Thread(target=touch).start()


@pytest.mark.parametrize("folder", ["pages", "templates", "static"])
def test_an_edit_sends_the_reload_signal(site, serve_client, pages_dir, folder):
    url = reload_url(serve_client.get("/").get_data(as_text=True))
    target = {
        "pages": pages_dir / "index.md",
        "templates": site.ROOT / "templates/page.html",
        "static": site.ROOT / "static/css/site.css",
    }[folder]
    original = target.stat()
    try:
        touch_later(target)
        assert first_event(serve_client, url) == "data: reload\n\n"
    finally:
        os.utime(target, ns=(original.st_atime_ns, original.st_mtime_ns))


def test_an_edit_before_the_stream_opens_is_not_missed(serve_client, write_page):
    url = reload_url(serve_client.get("/").get_data(as_text=True))
    write_page("new.md", "title: Added while the page loaded")
    assert first_event(serve_client, url) == "data: reload\n\n"


def test_built_pages_carry_no_reload_script(site, app, tmp_path):
    site.build_site(app, tmp_path / "out")
    assert "EventSource" not in (tmp_path / "out/index.html").read_text("utf-8")
    assert not (tmp_path / "out/__livereload").exists()


def test_a_broken_page_shows_file_and_line_and_the_server_keeps_going(serve_client, write_page):
    write_page("bad.md", "title: Bad\ndate: 2024-13-45")
    response = serve_client.get("/")
    html = response.get_data(as_text=True)
    assert response.status_code == 500
    assert "pages/bad.md:3: date: &#34;2024-13-45&#34; is not a valid date" in html
    assert "Traceback" not in html
    assert "EventSource" in html  # fixing the file reloads the error page by itself
    write_page("bad.md", "title: Bad\ndate: 2024-12-25")
    assert serve_client.get("/").status_code == 200


def test_a_broken_template_shows_file_and_line(site, serve_client, tmp_path):
    templates = tmp_path / "templates"
    templates.mkdir()
    (templates / "index.html").write_text(
        '{% extends "base.html" %}\n{% block content %}{{ page.nope() }}{% endblock %}'
    )
    client = serve_client.application
    client.jinja_loader.searchpath.insert(0, str(templates))
    response = serve_client.get("/")
    html = response.get_data(as_text=True)
    assert response.status_code == 500
    assert re.search(r"index.html:2: .*nope", html)
