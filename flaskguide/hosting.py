"""``serve --built``: serve a built folder exactly as a static host would, for a last look.

What it guarantees, as a real static host does:

- A request path is split at ``/`` *before* each segment is percent-decoded, so ``%2f`` is part of a
  file name (which no file can have: 404), never a separator, and ``/index.html%3Fx`` names a file
  called ``index.html?x``, not ``index.html`` with a query. ``.`` and ``..`` segments are resolved;
  a path that climbs above the served folder, holds a NUL (``%00``) or is not UTF-8 is a 404.
- The redirect that adds a folder's missing slash is built from the decoded segments, each
  percent-encoded again: its ``Location`` always starts with exactly one ``/`` (never ``//host``,
  the open redirect of CVE-2021-28861) and holds only printable ASCII. ``send_header`` refuses any
  value with a control character, so no request can inject a header.
- A request target (path and query, as sent) longer than ``MAX_TARGET`` = 2048 bytes is a 414; a
  target that is not printable ASCII, or not a path, is a 400, as is any other malformed request.
- Range requests are not supported: file answers say ``Accept-Ranges: none`` and send the whole
  file with a 200, which RFC 9110 allows for a ``Range`` a server chooses to ignore.
- The listen backlog is ``BACKLOG`` = 128 connections; a connection silent for ``TIMEOUT`` seconds
  is dropped, so an idle client cannot hold a thread for ever.
- A client that hangs up mid-answer is ignored, and any other error in the handler is a 500 and one
  line in the log, never a traceback. ``SITE_QUIET_SERVER=1`` silences the log.
"""

from __future__ import annotations

import contextlib
import functools
import http.server
import mimetypes
import os
import re
import stat
import sys
from http import HTTPStatus
from pathlib import Path
from urllib.parse import quote, unquote, unquote_to_bytes, urlsplit

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

MAX_TARGET = 2048  # bytes of request target (path and query); a site's own URLs are far shorter
BACKLOG = 128  # connections the kernel holds while every thread is busy (socketserver's default is 5)
TIMEOUT = 30  # seconds a connection may stay silent

# Besides letters, digits and -._~, the characters RFC 3986 lets a path segment carry unencoded.
SEGMENT_SAFE = "!$&'()*+,;=:@"
# Characters no file name can hold, or that would split one on this system.
NOT_IN_NAMES = {"/", "\0", os.sep, os.altsep} - {None}
NOT_PRINTABLE = re.compile(r"[^\x20-\x7e]")


class StaticHostHandler(http.server.SimpleHTTPRequestHandler):
    """Directory index.html, a redirect to add a missing slash, and the site's 404.html."""

    timeout = TIMEOUT
    # Every answer has a status line and headers, even to a request line too broken to name its
    # version (the base class would answer it as HTTP/0.9: a bare body).
    default_request_version = "HTTP/1.0"

    def __init__(self, *args, directory: str, base_path: str, **kwargs) -> None:
        self.base_segments = decoded_segments(base_path) or []  # make_server has checked it
        self.answered = False
        super().__init__(*args, directory=directory, **kwargs)

    # -- the request -------------------------------------------------------------------------------

    def handle_one_request(self) -> None:
        # A client can make any request, so none may end in a traceback on the user's terminal.
        self.answered = False
        try:
            super().handle_one_request()
        except ConnectionError:  # the client hung up (reset, broken pipe): nobody to answer
            self.close_connection = True
        except Exception as error:
            self.close_connection = True
            request = getattr(self, "requestline", "")
            self.log_error("%s while answering %r: %s", type(error).__name__, request, error)
            self.answer_500()

    def answer_500(self) -> None:
        if self.answered:  # headers are out: all that is left is to close the connection
            return
        self._headers_buffer = []  # drop the half-built answer (the base class's buffer)
        with contextlib.suppress(OSError):
            self.send_error(HTTPStatus.INTERNAL_SERVER_ERROR)

    def parse_request(self) -> bool:
        if not super().parse_request():
            return False
        if len(self.path) > MAX_TARGET:
            self.send_error(HTTPStatus.REQUEST_URI_TOO_LONG)
            return False
        if NOT_PRINTABLE.search(self.path) or split_target(self.path) is None:
            self.send_error(HTTPStatus.BAD_REQUEST, "Bad request target")
            return False
        return True

    # -- the answer --------------------------------------------------------------------------------

    def send_head(self):
        path, query = split_target(self.path)
        segments = decoded_segments(path)
        if segments is None or segments[: len(self.base_segments)] != self.base_segments:
            return self.not_found()
        local = Path(self.directory, *segments[len(self.base_segments) :])
        if not local.is_relative_to(self.directory):  # a name this system reads as a drive or root
            return self.not_found()
        kind = file_kind(local)
        if kind == "folder" and not names_folder(path):
            return self.redirect(folder_location(segments, query))
        if kind == "folder":
            local = local / "index.html"
            kind = file_kind(local)
        elif names_folder(path):  # /page.html/ is a 404 on a real host: the file is no folder
            return self.not_found()
        handle = open_file(local) if kind == "file" else None
        return self.send_file(handle, local, 200) if handle else self.not_found()

    def redirect(self, location: str) -> None:
        self.send_response(HTTPStatus.MOVED_PERMANENTLY)
        self.send_header("Location", location)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def send_file(self, handle, local: Path, status: int):
        """Headers for ``local``; the base class copies ``handle`` after them (for GET) and closes it."""
        self.send_response(status)
        self.send_header("Content-Type", self.guess_type(str(local)))
        self.send_header("Content-Length", str(os.fstat(handle.fileno()).st_size))
        self.send_header("Accept-Ranges", "none")  # a Range header is ignored: the whole file, 200
        self.end_headers()
        return handle

    def not_found(self):
        page = Path(self.directory, "404.html")
        handle = open_file(page) if file_kind(page) == "file" else None
        if handle:
            return self.send_file(handle, page, 404)
        self.send_error(HTTPStatus.NOT_FOUND)
        return None

    def send_error(self, code: int, message: str | None = None, explain: str | None = None) -> None:
        # The base class puts request text in the status line; keep the standard reason there, and
        # the detail in the (HTML-escaped) page.
        super().send_error(code, None, explain or message)

    def send_header(self, keyword: str, value: str) -> None:
        # The last guard against header injection: nothing reaches a header unchecked.
        if NOT_PRINTABLE.search(keyword) or NOT_PRINTABLE.search(value):
            raise ValueError(f"refusing a header with a control character: {keyword!r}")
        super().send_header(keyword, value)

    def flush_headers(self) -> None:
        self.answered = True
        super().flush_headers()

    def guess_type(self, path: str) -> str:
        suffix = os.path.splitext(path)[1].lower()
        return TYPES.get(suffix) or mimetypes.guess_type(path)[0] or "application/octet-stream"

    def log_message(self, format: str, *args) -> None:  # noqa: A002 - the name http.server uses
        if os.environ.get("SITE_QUIET_SERVER") != "1":
            super().log_message(format, *args)


class StaticHostServer(http.server.ThreadingHTTPServer):
    """A thread per connection, and room in the listen queue for a browser's burst of requests."""

    request_queue_size = BACKLOG

    def handle_error(self, request, client_address) -> None:
        # The handler answers what it can; anything that still gets here is one line, not a traceback.
        if os.environ.get("SITE_QUIET_SERVER") != "1":
            error = sys.exc_info()[1]
            sys.stderr.write(f"{client_address[0]} - error: {type(error).__name__}: {error}\n")


# -- paths -----------------------------------------------------------------------------------------


def split_target(target: str) -> tuple[str, str] | None:
    """``(path, query)`` of a request target, both still percent-encoded; None if it has no path.

    Takes the origin form a browser sends (``/a/b?q``) and the absolute form a proxy sends.
    """
    if target[:7].lower() == "http://" or target[:8].lower() == "https://":
        try:
            parts = urlsplit(target)
        except ValueError:  # a broken host part, http://[x/
            return None
        return parts.path or "/", parts.query
    if not target.startswith("/"):
        return None
    path, _, query = target.partition("#")[0].partition("?")
    return path, query


def decoded_segments(path: str) -> list[str] | None:
    """The segments of a percent-encoded path, each decoded on its own, with empty, ``.`` and ``..``
    segments resolved; None for a name no file can have or a path that climbs above its root."""
    segments: list[str] = []
    for part in path.split("/"):
        name = decoded_name(part)
        if name is None:
            return None
        if name == "..":
            if not segments:
                return None
            segments.pop()
        elif name not in ("", "."):
            segments.append(name)
    return segments


def decoded_name(part: str) -> str | None:
    try:
        name = unquote_to_bytes(part).decode("utf-8")
    except UnicodeDecodeError:
        return None
    return None if any(char in name for char in NOT_IN_NAMES) else name


def names_folder(path: str) -> bool:
    """Whether a path ends as a folder's does: ``/a/``, ``/a/.``, ``/a/b/..``."""
    return unquote(path.rpartition("/")[2]) in ("", ".", "..")


def folder_location(segments: list[str], query: str) -> str:
    """The path of a folder with its slash, every segment percent-encoded again: one leading ``/``,
    and only printable ASCII, whatever the request held."""
    location = "".join("/" + quote(name, safe=SEGMENT_SAFE) for name in segments) + "/"
    return f"{location}?{query}" if query else location


def file_kind(path: Path) -> str | None:
    """``"file"``, ``"folder"``, or None: nothing there, or nothing a host serves (a socket, a fifo,
    a name too long for the system)."""
    try:
        mode = path.stat().st_mode
    except (OSError, ValueError):
        return None
    if stat.S_ISDIR(mode):
        return "folder"
    return "file" if stat.S_ISREG(mode) else None


def open_file(path: Path):
    """``path`` opened to be sent, or None; the base class closes it once copied."""
    try:
        return open(path, "rb")
    except OSError:  # unreadable: a 404, as on a host that cannot see it
        return None


# -- the server ------------------------------------------------------------------------------------


def base_path(site_url: str) -> str:
    """The path a site is mounted at: ``https://x.github.io/guide`` -> ``/guide/``."""
    path = urlsplit(site_url).path.strip("/")
    return f"/{path}/" if path else "/"


def make_server(folder: Path, host: str, port: int, base_path: str = "/") -> StaticHostServer:
    """A server for ``folder`` mounted at ``base_path`` (see :func:`base_path`), percent-encoded as
    in a URL (``/my%20guide/``)."""
    if decoded_segments(base_path) is None:
        raise ValueError(f"not a base path: {base_path!r}")
    handler = functools.partial(StaticHostHandler, directory=str(folder), base_path=base_path)
    return StaticHostServer((host, port), handler)
