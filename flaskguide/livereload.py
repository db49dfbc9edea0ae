"""Live reload for ``serve``: the browser reloads itself when a source file changes.

One thread per app, the :class:`Watcher`, learns of every change to ``pages/``, ``templates/``
and ``static/`` from the file system's events (watchfiles) and counts them; where events cannot
be had (watchfiles missing, the system's inotify limits reached) it walks the sources every
``SITE_LIVE_RELOAD_INTERVAL`` seconds instead, and says so once. Nothing else walks the sources:
an event stream waits on the watcher, and the page store is read again only when the watcher
has counted a change (or a request's own cheap checks find one first: :class:`PageReader`).

Every served HTML page carries a tiny script holding the watcher's count as it was before the
page was rendered. The script opens an event stream; the server answers ``reload`` as soon as
the count differs from that, so an edit made while the page was loading is not missed. Only
``serve`` adds any of this; built pages carry no script.
"""

from __future__ import annotations

import hashlib
import os
import secrets
import threading
import weakref
from collections.abc import Iterable, Iterator
from logging import Logger
from pathlib import Path
from typing import TYPE_CHECKING

import jinja2
from flask import Flask, Response, g, request, url_for
from markupsafe import Markup, escape

from .cache import file_sha
from .errors import SiteError, SourceProblems, template_problem
from .sources import check_sources, is_ignored, source_files

if TYPE_CHECKING:
    from .pages import GuidePages, SiteIndex

SCRIPT = (
    '<script>new EventSource("{url}").addEventListener("message", '
    "function () {{ location.reload(); }});</script>"
)
STREAM_SECONDS = 30.0  # the browser reconnects by itself after a stream ends; the bound frees threads
LIVE_SECONDS = 5.0  # the longest a first request waits for the watcher to be live
TICK_MS = 100  # watchfiles hands back control this often, changed or not: the first time, it is live


def fingerprint(folders: list[str]) -> str:
    """A hash of the name, size and modification time of every file under ``folders`` the site
    uses, and of the problems found there: an editor's lock file reloads nothing, and fixing a
    problem reloads the page that shows it. Walked only where no file system events are had."""
    digest = hashlib.sha256()
    for folder in folders:
        found = source_files(folder)
        for name in found.names:
            path = os.path.join(folder, name)
            try:
                stat = os.stat(path)
            except OSError:  # deleted since the walk
                continue
            digest.update(f"{path}\0{stat.st_size}\0{stat.st_mtime_ns}\n".encode())
        digest.update("\n".join(found.problems).encode())
    return digest.hexdigest()[:16]


def watched_folders(app: Flask) -> list[str]:
    pages = os.path.join(app.root_path, app.config["FLATPAGES_ROOT"])
    folders = [pages, os.path.join(app.root_path, app.template_folder), app.static_folder]
    return [os.path.abspath(folder) for folder in folders if folder]


def reason(error: Exception) -> str:
    """Why the file system's events cannot be had, in a few words."""
    if isinstance(error, ImportError):
        return "watchfiles is not installed"
    text = getattr(error, "strerror", None) or str(error) or type(error).__name__
    return text.splitlines()[0]


class Watcher:
    """Counts the changes to the files under ``folders``, as one thread learns of them.

    :attr:`fingerprint` names the count; :meth:`wait_for_change` waits for it to move on. A
    server started again has another fingerprint, so a page it served before reloads too.
    """

    def __init__(self, folders: list[str], interval: float, logger: Logger) -> None:
        self.folders, self.interval, self.logger = folders, interval, logger
        self.run_id = secrets.token_hex(4)
        self.count = 0
        self.changes = threading.Condition()
        self.live = threading.Event()
        self.stopping = threading.Event()
        self.thread: threading.Thread | None = None
        self.starting = threading.Lock()

    @property
    def fingerprint(self) -> str:
        return f"{self.run_id}-{self.count}"

    def start(self) -> None:
        """Start the thread, once, and wait until it is live: an edit made before that would go
        unseen, so nothing is read before it."""
        with self.starting:
            if self.thread is None:
                self.thread = threading.Thread(target=self.run, name="livereload", daemon=True)
                self.thread.start()
        self.live.wait(LIVE_SECONDS)

    def stop(self) -> None:
        """End the thread (within a tick) and every event stream waiting on it."""
        self.stopping.set()
        with self.changes:
            self.changes.notify_all()

    def __enter__(self) -> Watcher:
        self.start()
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.stop()
        if self.thread is not None:
            self.thread.join()

    def changed(self) -> None:
        with self.changes:
            self.count += 1
            self.changes.notify_all()

    def wait_for_change(self, seen: str, timeout: float) -> bool:
        """Whether the sources changed since the fingerprint ``seen``, waiting up to ``timeout``."""
        with self.changes:
            self.changes.wait_for(lambda: self.fingerprint != seen or self.stopping.is_set(), timeout)
            return self.fingerprint != seen

    def run(self) -> None:
        try:
            self.watch()
        except (ImportError, OSError, RuntimeError) as error:  # WatchfilesRustInternalError is a RuntimeError
            if not self.stopping.is_set():
                self.logger.warning(
                    "live reload: no file system events (%s): checking the sources every %s s instead",
                    reason(error),
                    self.interval,
                )
                self.poll()
        finally:
            self.live.set()  # a request waiting for it goes on, reloading or not

    def watch(self) -> None:
        import watchfiles  # here: without it, serve still reloads, by walking the sources

        folders = [folder for folder in self.folders if os.path.isdir(folder)]
        for changes in watchfiles.watch(
            *folders,
            watch_filter=self.relevant,
            stop_event=self.stopping,
            rust_timeout=TICK_MS,
            yield_on_timeout=True,
            raise_interrupt=False,
        ):
            self.live.set()
            if changes:
                self.changed()

    def relevant(self, change: object, path: str) -> bool:
        """Whether a change to ``path`` can change the site: not to a hidden file, an editor's
        lock or backup, or anything in a hidden folder (the rule of :mod:`flaskguide.sources`)."""
        for folder in self.folders:
            if path.startswith(folder + os.sep):
                return not any(is_ignored(part) for part in path[len(folder) + 1 :].split(os.sep))
        return True

    def poll(self) -> None:
        """Walk the sources every interval, counting each change found."""
        seen = fingerprint(self.folders)
        self.changed()  # what changed while the watcher was failing went unseen
        self.live.set()
        while not self.stopping.wait(self.interval):
            if (now := fingerprint(self.folders)) != seen:
                seen = now
                self.changed()


class PageReader:
    """Reads the page store again after each change the watcher counts, once however many
    requests ask at once, and otherwise never (FlatPages' own auto reload re-reads every file on
    every request).

    The watcher tells within a tick; for an edit made a moment before a request, two checks
    that cost it next to nothing read the store again too: the file of the page at the URL
    asked for has another hash (so that page is never shown stale, nor its body refused as
    changed since it was read), or a folder of pages/ has another time (a file added, removed
    or renamed, as an editor's atomic save does). Everything else comes with the watcher.
    """

    def __init__(self) -> None:
        self.read_as_of: str | None = None  # the watcher's fingerprint when the store was read
        self.site: SiteIndex | None = None  # what that reading gave, if it gave anything
        self.folder_times: dict[str, int] = {}
        self.reading = threading.Lock()

    def refresh(self, pages: GuidePages, seen: str, url: str) -> None:
        with self.reading:
            if self.read_as_of == seen and not self.changed_since(url):
                return
            self.read_as_of, self.site = seen, None
            # Before reading: a folder that changes meanwhile is read again next time.
            self.folder_times = modification_times(self.folder_times or [pages.root])
            pages.reload()  # load_page re-reads only the files whose stat changed
            self.site = pages.site  # read here, once, while other requests wait
            folders = page_folders(pages.root, [page.source for page in self.site.pages])
            self.folder_times = modification_times(folders) | self.folder_times

    def changed_since(self, url: str) -> bool:
        """Whether the page at ``url`` or a folder of pages has changed since the last reading
        (and whether that reading failed: the view would only read the store again)."""
        if self.site is None or modification_times(self.folder_times) != self.folder_times:
            return True
        page = self.site.by_url.get(url)
        return page is not None and source_sha(page.source) != page.source_sha


def modification_times(folders: Iterable[str]) -> dict[str, int]:
    """Each folder's modification time, which moves when a name in it is added, removed or renamed."""
    times = {}
    for folder in folders:
        try:
            times[folder] = os.stat(folder).st_mtime_ns
        except OSError:  # removed: not the time it had
            times[folder] = -1
    return times


def page_folders(root: str, sources: list[str]) -> set[str]:
    """``root`` and every folder between it and the page files ``sources``."""
    folders = {root}
    for source in sources:
        folder = os.path.dirname(source)
        while folder not in folders and len(folder) > len(root):
            folders.add(folder)
            folder = os.path.dirname(folder)
    return folders


def source_sha(path: str) -> str | None:
    try:
        return file_sha(Path(path))
    except OSError:  # gone or unreadable: changed, as far as the page read from it is concerned
        return None


def watcher_of(app: Flask) -> Watcher:
    """The watcher of the app ``serve`` runs: ``with watcher_of(app):`` watches while it serves."""
    return app.extensions["livereload"]


def events(watcher: Watcher, seen: str, timeout: float) -> Iterator[str]:
    """Server-sent events: ``reload`` once the sources have changed since ``seen``."""
    yield "retry: 500\n\n"
    if watcher.wait_for_change(seen, timeout):
        yield "data: reload\n\n"


def script(app: Flask) -> Markup:
    # The fingerprint taken before the page was rendered: an edit made meanwhile still reloads.
    seen = g.get("sources_seen") or watcher_of(app).fingerprint
    return Markup(SCRIPT.format(url=escape(url_for("livereload", v=seen))))


def error_page(app: Flask, problems: list[str]) -> str:
    """A plain page listing what is wrong, needing no template (a template may be what broke)."""
    items = "".join(f"<li><code>{escape(problem)}</code></li>" for problem in problems)
    return (
        '<!doctype html><html lang="en"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        "<title>Build problem</title></head>"
        '<body style="font-family: system-ui, sans-serif; max-width: 50rem; margin: 2rem auto">'
        f"<h1>Fix this and the page reloads by itself</h1><ul>{items}</ul>{script(app)}</body></html>"
    )


def init_app(app: Flask) -> None:
    """Add the watcher, the event stream and the script to the app ``serve`` runs, and show
    what is wrong in the browser (keeping the server running) rather than a traceback."""
    watcher = Watcher(watched_folders(app), app.config["SITE_LIVE_RELOAD_INTERVAL"], app.logger)
    app.extensions["livereload"] = watcher
    weakref.finalize(app, watcher.stop)  # an app dropped without stopping it (a test's) stops it
    reader = PageReader()

    @app.errorhandler(SiteError)
    def site_error(error: SiteError) -> tuple[str, int]:
        return error_page(app, error.problems), 500

    @app.errorhandler(jinja2.TemplateError)
    def broken_template(error: jinja2.TemplateError) -> tuple[str, int]:
        problem = template_problem(error, app.jinja_loader.searchpath, app.root_path)
        return error_page(app, [problem]), 500

    @app.route("/__livereload")
    def livereload() -> Response:
        stream = events(watcher, request.args.get("v", ""), STREAM_SECONDS)
        return Response(stream, mimetype="text/event-stream", headers={"Cache-Control": "no-store"})

    @app.before_request
    def note_sources() -> None:
        if request.endpoint == "static":  # a stylesheet or image needs no pages
            return
        watcher.start()
        if request.endpoint == "livereload":
            return
        # Taken before anything is read: a change from here on reloads the page.
        g.sources_seen = watcher.fingerprint
        reader.refresh(app.extensions["flaskguide"].pages, g.sources_seen, request.path)
        # What a build would refuse, shown in the browser (a page's problems show as it loads).
        if problems := check_sources(app):
            raise SourceProblems(problems)

    @app.after_request
    def add_script(response: Response) -> Response:
        if response.mimetype == "text/html" and not response.direct_passthrough:
            html = response.get_data(as_text=True)
            if "</body>" in html and "/__livereload" not in html:
                response.set_data(html.replace("</body>", f"{script(app)}</body>", 1))
        return response
