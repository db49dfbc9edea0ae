"""Live reload for ``serve``: the browser reloads itself when a source file changes.

Every served HTML page carries a tiny script holding a fingerprint of the sources as they were
when the page was rendered. The script opens an event stream; the server answers ``reload`` as
soon as the sources differ from that fingerprint, so an edit made while the page was loading
is not missed. Only ``serve`` adds any of this; built pages carry no script.
"""

from __future__ import annotations

import hashlib
import os
import time
from collections.abc import Iterator

import jinja2
from flask import Flask, Response, g, request, url_for
from markupsafe import Markup, escape

from .errors import SiteError, SourceProblems, template_problem
from .sources import check_sources, source_files

SCRIPT = (
    '<script>new EventSource("{url}").addEventListener("message", '
    "function () {{ location.reload(); }});</script>"
)


def fingerprint(folders: list[str]) -> str:
    """A hash of the name, size and modification time of every file under ``folders`` the site
    uses, and of the problems found there: an editor's lock file reloads nothing, and fixing a
    problem reloads the page that shows it."""
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
    return [pages, os.path.join(app.root_path, app.template_folder), app.static_folder]


def events(folders: list[str], seen: str, interval: float, timeout: float) -> Iterator[str]:
    """Server-sent events: ``reload`` once the sources differ from ``seen``."""
    yield "retry: 500\n\n"
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if fingerprint(folders) != seen:
            yield "data: reload\n\n"
            return
        time.sleep(interval)
    # The browser reconnects by itself after the stream ends; the bound frees server threads.


def script(app: Flask) -> Markup:
    # The fingerprint taken before the page was rendered: an edit made meanwhile still reloads.
    seen = g.get("sources_seen") or fingerprint(watched_folders(app))
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
    """Add the event stream and the script to the app ``serve`` runs, and show what is wrong
    in the browser (keeping the server running) rather than a traceback."""
    folders = watched_folders(app)

    @app.errorhandler(SiteError)
    def site_error(error: SiteError) -> tuple[str, int]:
        return error_page(app, error.problems), 500

    @app.errorhandler(jinja2.TemplateError)
    def broken_template(error: jinja2.TemplateError) -> tuple[str, int]:
        problem = template_problem(error, app.jinja_loader.searchpath, app.root_path)
        return error_page(app, [problem]), 500

    interval = app.config["SITE_LIVE_RELOAD_INTERVAL"]

    @app.route("/__livereload")
    def livereload() -> Response:
        seen = request.args.get("v", "")
        stream = events(folders, seen, interval, timeout=30.0)
        return Response(stream, mimetype="text/event-stream", headers={"Cache-Control": "no-store"})

    @app.before_request
    def note_sources() -> None:
        # Only pages carry the script; a stylesheet or image request need not walk the sources.
        if request.endpoint not in ("livereload", "static"):
            g.sources_seen = fingerprint(folders)
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
