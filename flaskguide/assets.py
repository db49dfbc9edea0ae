"""Fingerprinted assets: ``static/css/site.css`` is linked as ``static/css/site.3f2a9c1e.css``.

A name that changes with the content lets hosts cache assets forever; an edit gives a new name,
and since a build writes only the URLs of its own plan, no stale copy is left behind.

A stylesheet is published with its ``url(...)`` and ``@import`` references to other static files
rewritten to their hashed names (as Django's ManifestStaticFilesStorage does), so an author writes
``url(../img/x.svg)`` and a reader's browser asks for ``../img/x.1a2b3c4d.svg``. Its own name is
a hash of those rewritten bytes: editing the image renames the stylesheet too, or a host that
caches ``static/`` forever would keep serving the old reference.

Only the files :mod:`flaskguide.sources` keeps are named, served or published: never a hidden
file, an editor's leftover or a symlink out of ``static/``.
"""

from __future__ import annotations

import hashlib
import os
import posixpath
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from urllib.parse import quote, unquote

from flask import Flask, Response, abort, current_app
from flask_frozen import Freezer

from .hosting import base_path
from .sources import allows, source_files

HASHED = re.compile(r"^(?P<stem>.+)\.(?P<digest>[0-9a-f]{8})(?P<suffix>\.[^./]+)$")
EXTENSION_KEY = "flaskguide.assets"  # app.extensions[EXTENSION_KEY] is the app's Fingerprints

# One pass over a stylesheet: comments and strings are matched whole so that a url( inside them
# is never taken for a reference; url(...) and @import "..." are the references.
STRING = r""""(?:[^"\\\n]|\\.)*"|'(?:[^'\\\n]|\\.)*'"""
CSS_TOKEN = re.compile(
    r"(?P<comment>/\*.*?(?:\*/|$))"
    rf"|(?P<import>@import\s+)(?P<import_url>{STRING})"
    r"|(?P<url_open>\burl\(\s*)(?P<url>" + STRING + r"""|[^)"'\s]*)(?P<url_close>\s*\))"""
    rf"|(?P<string>{STRING})",
    re.IGNORECASE | re.DOTALL,
)
NOT_FILES = re.compile(r"^(?:[a-z][a-z0-9+.-]*:|//|#)", re.IGNORECASE)  # data:, https:, //host, #id


def digest(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()[:8]


def is_stylesheet(filename: str) -> bool:
    return filename.lower().endswith(".css")


# -- references in a stylesheet ------------------------------------------------------------------


@dataclass(frozen=True)
class Reference:
    """One ``url(...)`` or ``@import`` in a stylesheet: where it is and what it says."""

    line: int  # 1-based
    start: int  # offsets of the URL itself (inside any quotes) in the stylesheet's text
    end: int
    url: str


def css_references(css: str) -> Iterator[Reference]:
    """Every URL a stylesheet refers to, in order, outside comments and strings."""
    for token in CSS_TOKEN.finditer(css):
        group = "import_url" if token["import_url"] is not None else "url" if token["url_open"] else None
        if group is None:
            continue
        start, end = token.span(group)
        if css[start : start + 1] in ("'", '"'):
            start, end = start + 1, end - 1
        yield Reference(css.count("\n", 0, start) + 1, start, end, css[start:end])


def static_target(url: str, stylesheet: str, prefixes: tuple[str, ...] = ("/static/",)) -> str | None:
    """The file of static/ (``img/x.svg``) that ``url``, written in the stylesheet ``stylesheet``
    (``css/site.css``), points at: relative to the stylesheet's folder, or root-absolute under one
    of ``prefixes`` (``/static/``, ``/sub/static/`` for a site under /sub/). None for anything
    else: a data: or http(s): URL, another host, a bare #fragment, a path out of static/."""
    path = split_url(url)[0]
    if not path or NOT_FILES.match(path):
        return None
    path = unquote(path)
    if path.startswith("/"):
        prefix = next((prefix for prefix in prefixes if path.startswith(prefix)), None)
        if prefix is None:
            return None
        path = path[len(prefix) :]
    else:
        path = posixpath.join(posixpath.dirname(stylesheet), path)
    target = posixpath.normpath(path)
    return None if target.startswith(("../", "/")) or target in ("..", ".") else target


def split_url(url: str) -> tuple[str, str]:
    """``font.woff2?v=2#x`` -> ``("font.woff2", "?v=2#x")``: the file and what follows it."""
    cut = min((index for index in (url.find("?"), url.find("#")) if index >= 0), default=len(url))
    return url[:cut], url[cut:]


def rewrite_css(
    css: str,
    stylesheet: str,
    hashed_name: Callable[[str], str | None],
    prefixes: tuple[str, ...] = ("/static/",),
) -> str:
    """``css`` with each reference to a file of static/ replaced by a path to its hashed name,
    relative to ``stylesheet``'s folder (so it holds under any base path, and from disk).

    ``hashed_name`` maps a file of static/ (``img/x.svg``) to its hashed name, or None when there
    is no such file: that reference, and any to a data:, http(s): or #fragment URL, stays as
    written (``check`` names the missing ones). Lines never move, so a line of the published
    stylesheet is the same line of its source."""
    pieces, last = [], 0
    for reference in css_references(css):
        replacement = rewritten_url(reference.url, stylesheet, hashed_name, prefixes)
        if replacement is not None:
            pieces += [css[last : reference.start], replacement]
            last = reference.end
    return "".join(pieces) + css[last:]


def rewritten_url(
    url: str, stylesheet: str, hashed_name: Callable[[str], str | None], prefixes: tuple[str, ...]
) -> str | None:
    target = static_target(url, stylesheet, prefixes)
    hashed = hashed_name(target) if target is not None else None
    if hashed is None:
        return None
    relative = posixpath.relpath(hashed, posixpath.dirname(stylesheet) or ".")
    return quote(relative, safe="/!$&'*+,;=:@~-._") + split_url(url)[1]


# -- hashed names --------------------------------------------------------------------------------


@dataclass
class Stylesheet:
    """A stylesheet as published: its hashed name and rewritten bytes, and the versions of every
    file they were worked out from (a missing one as None), to know when to work them out again."""

    name: str
    data: bytes
    versions: dict[str, tuple[int, int] | None]


class Fingerprints:
    """Hashed names for the files of one folder, re-read only when a file changes."""

    def __init__(self, folder: str, prefixes: tuple[str, ...] = ("/static/",)) -> None:
        self.folder = folder
        self.prefixes = prefixes  # how a stylesheet may write a root-absolute path into the folder
        self.known: dict[str, tuple[tuple[int, int], str]] = {}
        self.stylesheets: dict[str, Stylesheet] = {}

    def hashed(self, filename: str) -> str:
        """``css/site.css`` -> ``css/site.3f2a9c1e.css``; names of missing files are left alone, and
        so are those of files the site may not use (which are never read)."""
        return self.lookup(filename) or filename

    def lookup(self, filename: str) -> str | None:
        """The hashed name of ``filename`` (``img/x.svg``, relative to the folder), or None when
        there is no such file, or the site may not use it."""
        if not is_stylesheet(filename):
            return self.plain_hashed(filename)
        stylesheet = self.stylesheet(filename)
        return stylesheet.name if stylesheet is not None else None

    def version(self, filename: str) -> tuple[int, int] | None:
        """What tells one state of a usable file from another; None for a file the site cannot use."""
        if not allows(self.folder, filename):
            return None
        try:
            stat = os.stat(os.path.join(self.folder, filename))
        except OSError:
            return None
        return (stat.st_mtime_ns, stat.st_size)

    def plain_hashed(self, filename: str) -> str | None:
        """The hashed name of a file whose bytes are published as they are."""
        version = self.version(filename)
        if version is None:
            return None
        cached = self.known.get(filename)
        if cached is None or cached[0] != version:
            data = self.read(filename)
            if data is None:
                return None
            cached = self.known[filename] = (version, with_digest(filename, digest(data)))
        return cached[1]

    def read(self, filename: str) -> bytes | None:
        try:
            with open(os.path.join(self.folder, filename), "rb") as handle:
                return handle.read()
        except OSError:  # removed or unreadable since it was looked at
            return None

    def original(self, filename: str) -> str:
        """The real file behind a hashed name (or the name itself, when it is not one)."""
        match = HASHED.match(filename)
        if match:
            candidate = match["stem"] + match["suffix"]
            if self.hashed(candidate) == filename:
                return candidate
        return filename

    def content(self, filename: str) -> bytes | None:
        """The bytes published for a stylesheet (rewritten), None for any other file."""
        stylesheet = self.stylesheet(filename) if is_stylesheet(filename) else None
        return stylesheet.data if stylesheet is not None else None

    # -- stylesheets ---------------------------------------------------------------------------------

    def stylesheet(self, filename: str) -> Stylesheet | None:
        """``filename``'s published form, reused while no file it was worked out from changed;
        None when it is no stylesheet the site may use."""
        if self.version(filename) is None:
            return None
        cached = self.stylesheets.get(filename)
        if cached is not None and self.unchanged(cached.versions):
            return cached
        self.work_out(filename)
        return self.stylesheets.get(filename)  # None if it went away while being read

    def unchanged(self, versions: dict[str, tuple[int, int] | None]) -> bool:
        return all(self.version(name) == version for name, version in versions.items())

    def work_out(self, filename: str) -> None:
        """Work out ``filename`` and every stylesheet it leads to, each after those it refers to.

        Stylesheets may import each other in a circle (a.css -> b.css -> a.css), where no name
        can be the hash of bytes that hold the other's name: the members of a circle are named
        by a hash of all their texts together (with their references out of the circle already
        rewritten), which changes whenever the bytes of any of them would. No recursion: a long
        chain of imports cannot overflow the stack."""
        graph, texts, versions = self.stylesheet_graph(filename)
        reach = {name: reachable_from(name, graph) for name in graph}
        names: dict[str, str] = {}
        # A stylesheet reaches itself and all that those it refers to reach, and more unless
        # they are in one circle: fewer reached first is an order in which references come first.
        for name in sorted(graph, key=lambda name: (len(reach[name] | {name}), name)):
            if name not in names:
                circle = sorted({name} | {other for other in reach[name] if name in reach[other]})
                self.name_circle(circle, name in reach[name], texts, names)
        for name in graph:
            css = rewrite_css(texts[name], name, lambda target: self.resolved(target, names), self.prefixes)
            closure = {other: versions[other] for other in reach[name] | {name}}
            for other in reach[name] | {name}:
                closure.update(self.file_versions(texts[other], other))
            self.stylesheets[name] = Stylesheet(names[name], encoded(css), closure)

    def name_circle(
        self, circle: list[str], cyclic: bool, texts: dict[str, str], names: dict[str, str]
    ) -> None:
        """Name the stylesheets of one circle, or a single stylesheet in none (not ``cyclic``)."""
        members = set(circle)

        def outside(target: str) -> str | None:
            return None if target in members else self.resolved(target, names)

        drafts = [rewrite_css(texts[name], name, outside, self.prefixes) for name in circle]
        if not cyclic:  # the digest of its published bytes, exactly
            names[circle[0]] = with_digest(circle[0], digest(encoded(drafts[0])))
            return
        together = "\0".join(f"{name}\0{draft}" for name, draft in zip(circle, drafts, strict=True))
        for name in circle:
            names[name] = with_digest(name, digest(encoded(f"{name}\0{together}")))

    def resolved(self, target: str, names: dict[str, str]) -> str | None:
        """The hashed name a reference to ``target`` gets, stylesheets from ``names``."""
        if target in names:
            return names[target]
        if is_stylesheet(target):
            return None  # not usable, or it would be in ``names``
        return self.plain_hashed(target)

    def stylesheet_graph(
        self, start: str
    ) -> tuple[dict[str, set[str]], dict[str, str], dict[str, tuple[int, int] | None]]:
        """Every usable stylesheet ``start`` leads to: what each refers to, its text, its version."""
        graph: dict[str, set[str]] = {}
        texts: dict[str, str] = {}
        versions: dict[str, tuple[int, int] | None] = {}
        queue = [start]
        while queue:
            name = queue.pop()
            if name in graph:
                continue
            versions[name] = self.version(name)
            data = self.read(name) if versions[name] is not None else None
            if data is None:
                continue
            texts[name] = without_comments(data.decode("utf-8", "surrogateescape"))
            graph[name] = {
                target for target in self.stylesheet_targets(texts[name], name) if self.version(target)
            }
            queue.extend(graph[name])
        return graph, texts, versions

    def stylesheet_targets(self, css: str, stylesheet: str) -> set[str]:
        targets = (static_target(ref.url, stylesheet, self.prefixes) for ref in css_references(css))
        return {target for target in targets if target is not None and is_stylesheet(target)}

    def file_versions(self, css: str, stylesheet: str) -> dict[str, tuple[int, int] | None]:
        """The versions of the files a stylesheet refers to: a missing one that appears, or one
        that changes, must change the stylesheet too."""
        targets = (static_target(ref.url, stylesheet, self.prefixes) for ref in css_references(css))
        return {target: self.version(target) for target in targets if target is not None}


def without_comments(css: str) -> str:
    """``css`` without its comments, each left as the line breaks it held: readers are sent
    the rules alone (about a tenth of site.css, gzipped), and every rule keeps its source line,
    which ``check`` names."""
    return CSS_TOKEN.sub(lambda token: "\n" * token[0].count("\n") if token["comment"] else token[0], css)


def encoded(css: str) -> bytes:
    """A stylesheet's text as bytes again, any byte that was not UTF-8 as it was."""
    return css.encode("utf-8", "surrogateescape")


def with_digest(filename: str, hex_digest: str) -> str:
    """``css/site.css`` with ``3f2a9c1e`` -> ``css/site.3f2a9c1e.css`` (a name without a suffix
    keeps its name)."""
    stem, dot, suffix = filename.rpartition(".")
    return f"{stem}.{hex_digest}.{suffix}" if dot and "/" not in suffix else filename


def reachable_from(start: str, graph: dict[str, set[str]]) -> set[str]:
    """Every stylesheet reached from ``start`` by one reference or more (``start`` itself only
    through a circle)."""
    seen: set[str] = set()
    queue = list(graph[start])
    while queue:
        name = queue.pop()
        if name not in seen:
            seen.add(name)
            queue.extend(graph.get(name, ()))
    return seen


# -- the app -------------------------------------------------------------------------------------


def fingerprints_of(app: Flask | None = None) -> Fingerprints:
    """The Fingerprints of ``app`` (the current app when None)."""
    return (app or current_app).extensions[EXTENSION_KEY]


def hashed_static_name(filename: str, app: Flask | None = None) -> str | None:
    """The hashed name of a file of static/ (``img/x.svg`` -> ``img/x.1a2b3c4d.svg``), or None
    when there is no such file or the site may not use it. For links by plain names in pages:
    ``url_for("static", filename=name)`` gives its URL, under the site's base path."""
    return fingerprints_of(app).lookup(filename)


def static_prefixes(app: Flask) -> tuple[str, ...]:
    """How a stylesheet may write a root-absolute path into static/: ``/static/``, and with the
    site's base path in front (``/sub/static/``) when it has one."""
    static = (app.static_url_path or "/static").rstrip("/") + "/"
    bases = {base_path(app.config.get(key) or "/") for key in ("SITE_URL", "FREEZER_BASE_URL")}
    return tuple(sorted({static, *(base.rstrip("/") + static for base in bases)}, key=len, reverse=True))


def init_app(app: Flask, freezer: Freezer) -> None:
    """Link static files by hashed names, serve those names, and publish the files of static/
    that the site may use; a hidden file, an editor's leftover or a symlink out of static/ is a 404."""
    folder = app.static_folder
    fingerprints = app.extensions[EXTENSION_KEY] = Fingerprints(folder, static_prefixes(app))
    serve_static = app.view_functions["static"]

    @app.url_defaults
    def hashed_static_names(endpoint: str, values: dict) -> None:
        if endpoint == "static" and "filename" in values:
            values["filename"] = fingerprints.hashed(values["filename"])

    def static(filename: str):
        original = fingerprints.original(filename)
        if not allows(folder, original):
            abort(404)
        stylesheet = fingerprints.content(original)
        if stylesheet is not None:  # the rewritten bytes, the very ones a build publishes
            return Response(stylesheet, mimetype="text/css")
        return serve_static(filename=original)

    app.view_functions["static"] = static
    publish_only_sources(freezer, folder)


def publish_only_sources(freezer: Freezer, folder: str) -> None:
    """Frozen-Flask lists every file of static/ by itself, .git/ and symlinks out of the folder
    included (and a 404 for any stops the build): list the files the site uses instead, in its place."""

    def static_urls() -> Iterator[tuple[str, dict]]:
        for name in source_files(folder).names:
            yield "static", {"filename": name}

    generators = freezer.url_generators
    if freezer.static_files_urls in generators:  # absent when the Freezer was made without it
        generators[generators.index(freezer.static_files_urls)] = static_urls
