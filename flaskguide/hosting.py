"""``serve --built``: serve a built folder exactly as a static host would, for a last look."""

from __future__ import annotations

import functools
import http.server
import mimetypes
import os
import posixpath
from pathlib import Path
from urllib.parse import unquote, urlsplit

# What static hosts send for the files a build holds, whatever this machine's mime.types says.
TYPES = {
    ".html": "text/html; charset=utf-8",
    ".css": "text/css; charset=utf-8",
    ".js": "text/javascript; charset=utf-8",
    ".xml": "application/xml",
    ".txt": "text/plain; charset=utf-8",
    ".svg": "image/svg+xml",
    ".json": "application/json",
    ".wasm": "application/wasm",
}


class StaticHostHandler(http.server.SimpleHTTPRequestHandler):
    """Directory index.html, a redirect to add a missing slash, and the site's 404.html."""

    base_path = "/"

    def __init__(self, *args, directory: str, base_path: str, **kwargs) -> None:
        self.base_path = base_path
        super().__init__(*args, directory=directory, **kwargs)

    def send_head(self):
        path = unquote(urlsplit(self.path).path)
        if not path.startswith(self.base_path):
            return self.not_found()
        local = Path(self.translate_path(posixpath.join("/", path[len(self.base_path) :])))
        if local.is_dir() and not path.endswith("/"):
            self.send_response(301)
            self.send_header("Location", path + "/")
            self.send_header("Content-Length", "0")
            self.end_headers()
            return None
        if local.is_dir():
            local = local / "index.html"
        if not local.is_file():
            return self.not_found()
        return self.send_file(local, 200)

    def send_file(self, local: Path, status: int):
        handle = open(local, "rb")  # noqa: SIM115 - the base class closes it after copying
        self.send_response(status)
        self.send_header("Content-Type", self.guess_type(str(local)))
        self.send_header("Content-Length", str(os.fstat(handle.fileno()).st_size))
        self.end_headers()
        return handle

    def not_found(self):
        page = Path(self.directory, "404.html")
        if page.is_file():
            return self.send_file(page, 404)
        self.send_error(404)
        return None

    def guess_type(self, path: str) -> str:
        suffix = os.path.splitext(path)[1].lower()
        return TYPES.get(suffix) or mimetypes.guess_type(path)[0] or "application/octet-stream"

    def log_message(self, format: str, *args) -> None:  # noqa: A002 - the name http.server uses
        if os.environ.get("SITE_QUIET_SERVER") != "1":
            super().log_message(format, *args)


def base_path(site_url: str) -> str:
    """The path a site is mounted at: ``https://x.github.io/guide`` -> ``/guide/``."""
    path = urlsplit(site_url).path.strip("/")
    return f"/{path}/" if path else "/"


def make_server(folder: Path, host: str, port: int, base_path: str = "/") -> http.server.ThreadingHTTPServer:
    """A server for ``folder`` mounted at ``base_path`` (see :func:`base_path`)."""
    handler = functools.partial(StaticHostHandler, directory=str(folder), base_path=base_path)
    return http.server.ThreadingHTTPServer((host, port), handler)
