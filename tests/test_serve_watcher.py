"""``serve`` learns of edits from the file system's events, one watcher per app: no walk of the
sources per tab or per request; polling only where events cannot be had, said once."""

import errno
import sys
import threading

import pytest
import watchfiles
from test_serve import first_event, reload_url, touch_later

from flaskguide import livereload


@pytest.fixture
def walks(monkeypatch):
    """How many times the sources were walked for their fingerprint (the polling fallback)."""
    count = []
    walk = livereload.fingerprint
    monkeypatch.setattr(livereload, "fingerprint", lambda folders: count.append(1) or walk(folders))
    return count


@pytest.fixture
def readings(serve_client, monkeypatch):
    """How many times the page store read its files."""
    count = []
    pages = serve_client.application.extensions["flaskguide"].pages
    load_all = pages.load_all
    monkeypatch.setattr(pages, "load_all", lambda: count.append(1) or load_all())
    return count


def test_an_edit_is_signalled_by_the_watcher_without_walking_the_sources(serve_client, pages_dir, walks):
    url = reload_url(serve_client.get("/").get_data(as_text=True))
    touch_later(pages_dir / "index.md")
    assert first_event(serve_client, url) == "data: reload\n\n"
    assert walks == []


def test_pages_are_read_once_until_the_watcher_sees_a_change(serve_client, write_page, readings):
    html = serve_client.get("/").get_data(as_text=True)
    for url in ("/", "/", "/tags/"):
        serve_client.get(url)
    assert readings == [1]
    write_page("index.md", "title: Home\nmenu: Start")
    assert first_event(serve_client, reload_url(html)) == "data: reload\n\n"
    serve_client.get("/tags/")
    serve_client.get("/tags/")
    assert readings == [1, 1]


def test_another_pages_edit_shows_once_the_watcher_signals_it(serve_client, write_page):
    other = write_page("other.md", "title: Before")
    html = serve_client.get("/").get_data(as_text=True)
    assert "Before" in html
    # In place, same size, no folder touched: only the watcher can tell.
    other.write_text(other.read_text("utf-8").replace("Before", "Latest"), "utf-8")
    assert first_event(serve_client, reload_url(html)) == "data: reload\n\n"
    assert "Latest" in serve_client.get("/").get_data(as_text=True)


def test_editor_leftovers_signal_nothing(serve_client, pages_dir):
    serve_client.get("/")
    watcher = livereload.watcher_of(serve_client.application)
    seen = watcher.fingerprint
    (pages_dir / ".#index.md").write_text("a lock")
    (pages_dir / "index.md~").write_text("a backup")
    (pages_dir / ".git").mkdir()
    (pages_dir / ".git/index").write_text("git's own")
    assert not watcher.wait_for_change(seen, timeout=0.5)


@pytest.mark.parametrize(
    ("failure", "why"),
    [
        ("import", "watchfiles is not installed"),
        ("inotify", "inotify instance limit reached"),
    ],
)
def test_without_file_system_events_serve_polls_and_says_so_once(
    serve_client, pages_dir, monkeypatch, caplog, walks, failure, why
):
    def cannot_watch(*paths, **options):
        raise OSError(errno.EMFILE, "inotify instance limit reached")
        yield

    if failure == "import":
        monkeypatch.setitem(sys.modules, "watchfiles", None)
    else:
        monkeypatch.setattr(watchfiles, "watch", cannot_watch)
    url = reload_url(serve_client.get("/").get_data(as_text=True))
    touch_later(pages_dir / "index.md")
    assert first_event(serve_client, url) == "data: reload\n\n"
    warnings = [record.getMessage() for record in caplog.records if record.levelname == "WARNING"]
    assert warnings == [
        f"live reload: no file system events ({why}): checking the sources every 0.02 s instead"
    ]
    assert walks  # the fallback's polling


def test_the_watcher_ends_with_the_server_and_so_do_its_streams(serve_client):
    serve_client.get("/")
    watcher = livereload.watcher_of(serve_client.application)
    waiting = threading.Thread(target=watcher.wait_for_change, args=(watcher.fingerprint, 30.0))
    waiting.start()
    with watcher:
        pass
    waiting.join(timeout=2)
    assert not waiting.is_alive()
    assert not watcher.thread.is_alive()


def test_a_page_from_an_earlier_server_reloads(site, serve_client, pages_dir):
    url = reload_url(serve_client.get("/").get_data(as_text=True))
    again = site.serve_app({"FLATPAGES_ROOT": str(pages_dir)})
    try:
        assert first_event(again.test_client(), url) == "data: reload\n\n"
    finally:
        livereload.watcher_of(again).stop()


def test_the_page_asked_for_and_added_pages_show_before_the_watcher_tells(serve_client, write_page):
    page = write_page("note.md", "title: First")
    assert "First" in serve_client.get("/note/").get_data(as_text=True)
    livereload.watcher_of(serve_client.application).stop()  # only the request's own checks are left
    page.write_text(page.read_text("utf-8").replace("First", "Again"), "utf-8")
    assert "Again" in serve_client.get("/note/").get_data(as_text=True)
    write_page("guide/added.md", "title: Added")
    assert serve_client.get("/guide/added/").status_code == 200
