"""Fingerprinted assets: ``static/css/site.css`` is linked as ``static/css/site.3f2a9c1e.css``.

A name that changes with the content lets hosts cache assets forever; an edit gives a new name,
and since a build writes only the URLs of its own plan, no stale copy is left behind.

Only the files :mod:`flaskguide.sources` keeps are named, served or published: never a hidden
file, an editor's leftover or a symlink out of ``static/``.
"""

from __future__ import annotations

import hashlib
import os
import re
from collections.abc import Iterator

from flask import Flask, abort
from flask_frozen import Freezer

from .sources import allows, source_files

HASHED = re.compile(r"^(?P<stem>.+)\.(?P<digest>[0-9a-f]{8})(?P<suffix>\.[^./]+)$")


def digest(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()[:8]


class Fingerprints:
    """Hashed names for the files of one folder, re-read only when a file changes."""

    def __init__(self, folder: str) -> None:
        self.folder = folder
        self.known: dict[str, tuple[tuple[int, int], str]] = {}

    def hashed(self, filename: str) -> str:
        """``css/site.css`` -> ``css/site.3f2a9c1e.css``; names of missing files are left alone, and
        so are those of files the site may not use (which are never read)."""
        if not allows(self.folder, filename):
            return filename
        path = os.path.join(self.folder, filename)
        try:
            stat = os.stat(path)
        except OSError:
            return filename
        version = (stat.st_mtime_ns, stat.st_size)
        cached = self.known.get(filename)
        if cached is None or cached[0] != version:
            with open(path, "rb") as handle:
                stem, dot, suffix = filename.rpartition(".")
                name = f"{stem}.{digest(handle.read())}.{suffix}" if dot and "/" not in suffix else filename
            cached = self.known[filename] = (version, name)
        return cached[1]

    def original(self, filename: str) -> str:
        """The real file behind a hashed name (or the name itself, when it is not one)."""
        match = HASHED.match(filename)
        if match:
            candidate = match["stem"] + match["suffix"]
            if self.hashed(candidate) == filename:
                return candidate
        return filename


def init_app(app: Flask, freezer: Freezer) -> None:
    """Link static files by hashed names, serve those names, and publish the files of static/
    that the site may use; a hidden file, an editor's leftover or a symlink out of static/ is a 404."""
    folder = app.static_folder
    fingerprints = Fingerprints(folder)
    serve_static = app.view_functions["static"]

    @app.url_defaults
    def hashed_static_names(endpoint: str, values: dict) -> None:
        if endpoint == "static" and "filename" in values:
            values["filename"] = fingerprints.hashed(values["filename"])

    def static(filename: str):
        original = fingerprints.original(filename)
        if not allows(folder, original):
            abort(404)
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
