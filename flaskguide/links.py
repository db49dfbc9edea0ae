"""Links and images in a page, as its author wrote them, made to work where the page is published.

A page's Markdown is rendered once (and cached) as its author wrote it; this module turns what the
links and images of that HTML point at into URLs, each time the page is shown, since the answer
depends on where (the site's base path):

- a relative link to a ``.md`` file is the URL of that page: ``other.md#setup``, written in
  ``pages/guide/intro.md`` (``/guide/intro/``), is ``../other/#setup``; ``../index.md`` is the
  folder above. Relative references are read from the page's file, as an editor and GitHub read
  them, and written relative to the page's URL, so they work under any base path and from disk;
- a relative reference to a file beside the pages (``diagram.svg``, ``../img/x.png``) is that
  file's URL, which is its path in ``pages/``: the file is published where it is;
- a root-absolute link (``/structure/``) gets the site's base path (``/sub/structure/``), and a
  static file by its plain name (``/static/img/x.svg``) its fingerprinted name;
- any other relative link (``../why/``, written against the page's URL) is left as it is;
- an image of the site's own gets its ``width`` and ``height`` from the file, so the page does not
  shift as it loads, and every image but the first ``loading="lazy"`` and ``decoding="async"``.

What it changed is kept on the page (``references``: each new value, and what the author wrote),
so that ``check`` can name the line of a link it finds broken by what is in the file.
"""

from __future__ import annotations

import html
import os
import posixpath
import re
from urllib.parse import quote, unquote, urlsplit

import imagesize
from flask import current_app, request, url_for

from .pages import INDEX, GuidePage, page_path, url_of

ATTRIBUTE = re.compile(r'(\s(?:href|src)=")([^"]*)(")')
IMAGE = re.compile(r"<img\s[^>]*>")
STATIC = "/static/"
PAGE_EXTENSION = ".md"


def relative_url(target: str, start: str) -> str:
    """``target`` (a URL path) written relative to the page at ``start`` (a folder's URL, such
    as every page's): ``/guide/other/`` from ``/guide/intro/`` is ``../other/``."""
    folder = target.endswith("/")
    path = posixpath.relpath(target, start)
    if folder:
        path = "./" if path == "." else path + "/"
    return path


def source_path(reference: str, page: GuidePage) -> str | None:
    """The path in ``pages/`` that a relative reference (its path part, %-escaped as written)
    in ``page`` names, read from the page's own folder as an editor reads it: ``../img/x.png``
    in ``guide/intro.md`` is ``img/x.png``; None when it leads out of ``pages/``."""
    path = posixpath.normpath(posixpath.join(posixpath.dirname(page.path), unquote(reference)))
    return None if path == ".." or path.startswith(("../", "/")) else path


def source_target(reference: str, page: GuidePage) -> tuple[str, str] | None:
    """What a relative reference in ``page`` names in ``pages/``: ``("page", page path)`` for a
    ``.md`` file (``guide/index`` for ``guide/index.md``), ``("file", path)`` otherwise; None when
    it leads out of ``pages/`` (see :func:`source_path`)."""
    path = source_path(reference, page)
    if path is None:
        return None
    if path.endswith(PAGE_EXTENSION):
        return "page", page_path(path, PAGE_EXTENSION)
    return "file", path


class Resolver:
    """Resolves the references of one page, as shown at one base path (``script_root``)."""

    def __init__(self, page: GuidePage, files: dict[str, str]) -> None:
        self.page, self.files = page, files
        self.script_root = request.script_root
        self.references: dict[str, str] = {}
        self.local: dict[str, str] = {}  # each resolved src of the site's own: its file

    def url(self, written: str) -> str:
        """The URL to write for ``written``, an attribute's value as the author wrote it."""
        parts = urlsplit(written)
        if parts.scheme or parts.netloc or not parts.path:
            return written  # another site, mailto:, a fragment of this page
        suffix = written[len(parts.path) :]  # ?query#fragment, kept
        if parts.path.startswith("/"):
            return self.root_absolute(parts.path, suffix)
        target = source_target(parts.path, self.page)
        if target is None:
            return written
        kind, path = target
        if kind == "page":
            url = url_of(path.removesuffix("/" + INDEX) if path.endswith("/" + INDEX) else path)
            return relative_url(url, self.page.url) + suffix
        filename = self.files.get("/" + path)
        if filename is None:
            return written  # a URL relative to the page's own, as links were before files were
        resolved = relative_url("/" + quote(path), self.page.url)
        self.local[resolved] = filename
        return resolved + suffix

    def root_absolute(self, path: str, suffix: str) -> str:
        if path.startswith(STATIC):
            # Its fingerprinted name, as templates link it (a missing file keeps its plain name,
            # which nothing publishes: check reports it).
            name = unquote(path[len(STATIC) :])
            resolved = url_for("static", filename=name)
            self.local[resolved] = os.path.join(current_app.static_folder, name)
            return resolved + suffix
        resolved = self.script_root + path
        if unquote(path) in self.files:
            self.local[resolved] = self.files[unquote(path)]
        return resolved + suffix

    def attribute(self, match: re.Match) -> str:
        value = match[2]
        if not self.files and not value.startswith("/") and ".md" not in value:
            return match[0]  # written against the page's URL, as most links are: nothing to resolve
        written = html.unescape(value)
        resolved = self.url(written)
        if resolved == written:
            return match[0]
        self.references[resolved] = written
        return match[1] + html.escape(resolved) + match[3]


def resolve(fragment: str, page: GuidePage, files: dict[str, str]) -> tuple[str, dict[str, str]]:
    """``fragment`` (a page's rendered HTML) with its references resolved, and what changed
    (each new value, and what the author wrote), for the current request's base path."""
    resolver = Resolver(page, files)
    linked = ATTRIBUTE.sub(resolver.attribute, fragment)
    return size_images(linked, resolver), resolver.references


def size_images(fragment: str, resolver: Resolver) -> str:
    first = True

    def image(match: re.Match) -> str:
        nonlocal first
        tag = match[0]
        extra = [] if first else [("loading", "lazy"), ("decoding", "async")]
        first = False
        src = re.search(r'\ssrc="([^"]*)"', tag)
        filename = src and file_behind(html.unescape(src[1]), resolver)
        if filename and " width=" not in tag and " height=" not in tag:
            size = image_size(filename)
            extra = ([("width", str(size[0])), ("height", str(size[1]))] if size else []) + extra
        added = "".join(f' {name}="{value}"' for name, value in extra if f" {name}=" not in tag)
        return tag[:-1].rstrip("/").rstrip() + added + ">"

    return IMAGE.sub(image, fragment)


def file_behind(src: str, resolver: Resolver) -> str | None:
    """The file an image of the site's own shows: one beside the pages, or in static/."""
    return resolver.local.get(src.partition("#")[0].partition("?")[0])


SIZES: dict[tuple, tuple[int, int] | None] = {}


def image_size(filename: str) -> tuple[int, int] | None:
    """An image's width and height in pixels, read from its first bytes; None for a file that is
    not an image imagesize reads (or an SVG sized by its viewBox alone)."""
    try:
        stat = os.stat(filename)
    except OSError:
        return None
    version = (filename, stat.st_mtime_ns, stat.st_size, stat.st_ino)
    if version not in SIZES:
        try:
            width, height = imagesize.get(filename)
        except (OSError, ValueError):
            width = height = -1
        SIZES[version] = (round(width), round(height)) if width > 0 and height > 0 else None
    return SIZES[version]
