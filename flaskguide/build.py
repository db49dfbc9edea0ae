"""Freezing: validate, freeze beside the output folder, swap it in whole, report what changed."""

from __future__ import annotations

import fcntl
import filecmp
import shutil
import sys
import time
import warnings
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import click
import jinja2
from flask import Flask
from flask_frozen import FrozenFlaskWarning, MissingURLGeneratorWarning

from . import engine, search
from .cache import Cache
from .engine import template_error

Progress = Callable[[int, int, str], None]


@dataclass
class BuildReport:
    pages: int
    written: int
    unchanged: int
    removed: int
    seconds: float
    out: Path
    rendered: int = 0

    @property
    def files(self) -> int:
        return self.written + self.unchanged

    def summary(self) -> str:
        return (
            f"Built {self.pages} pages: {self.written} files written, {self.unchanged} unchanged, "
            f"{self.removed} removed in {self.seconds:.2f} s into {self.out} ({self.rendered} rendered)"
        )


def check_out_dir(out: Path, app: Flask) -> None:
    """Refuse an output folder that holds, or lies inside, the project's own sources."""
    project = Path(app.root_path).resolve()
    sources = [
        Path(app.root_path, app.config["FLATPAGES_ROOT"]).resolve(),
        Path(app.static_folder).resolve(),
        *(Path(folder).resolve() for folder in app.jinja_loader.searchpath),
    ]
    if out == project or out in project.parents:
        raise click.ClickException(f"refusing to build into {out}: it contains the project itself")
    for source in sources:
        if out == source or out in source.parents or source in out.parents:
            raise click.ClickException(
                f"refusing to build into {out}: it would overwrite the sources in {source}"
            )


@contextmanager
def build_lock(out: Path) -> Iterator[None]:
    """Let one build at a time write ``out``; a second one refuses instead of mixing files."""
    out.parent.mkdir(parents=True, exist_ok=True)
    with open(out.with_name(f".{out.name}.lock"), "w") as handle:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise click.ClickException(
                f"another build is writing {out} right now: wait for it to finish"
            ) from None
        yield


def build_site(app: Flask, out: Path, progress: Progress | None = None, jobs: int = 1) -> BuildReport:
    """Freeze every URL into a fresh folder beside ``out``, then swap it in whole."""
    started = time.perf_counter()
    out = out.resolve()
    check_out_dir(out, app)
    pages = app.extensions["flatpages"][None]
    with app.app_context():
        pages.reload()
        page_count = len(list(pages))  # validates every page before anything is written
    folder = app.config["SITE_CACHE_DIR"]
    cache = Cache(Path(folder)) if folder else None
    staging = out.with_name(f".{out.name}.new")
    with build_lock(out):
        shutil.rmtree(staging, ignore_errors=True)
        try:
            used, rendered = freeze(app, staging, cache, jobs, progress)
            if app.config["SITE_SEARCH"]:
                used |= search.index_site(staging, cache)
            written, unchanged, removed = compare(staging, out)
            swap_in(staging, out)
        finally:
            shutil.rmtree(staging, ignore_errors=True)
    if cache:
        prune(app, cache, used)
    seconds = time.perf_counter() - started
    return BuildReport(page_count, written, unchanged, removed, seconds, out, rendered)


def freeze(app: Flask, staging: Path, cache: Cache | None, jobs: int, progress: Progress | None):
    # Errors in a view reach us as themselves, not as a bare "500" from the freezer.
    app.config["PROPAGATE_EXCEPTIONS"] = True
    with warnings.catch_warnings():
        warnings.simplefilter("error", FrozenFlaskWarning)
        # A site of only a home page legitimately freezes nothing for the page view.
        warnings.simplefilter("ignore", MissingURLGeneratorWarning)
        try:
            return engine.freeze(app, staging, cache, jobs, progress)
        except engine.RenderError as error:
            raise click.ClickException(str(error)) from None
        except jinja2.TemplateError as error:
            raise click.ClickException(template_error(error, app)) from None


def prune(app: Flask, cache: Cache, used: set[str]) -> None:
    """Keep the cache the size of one site: drop what this build did not use."""
    pages = app.extensions["flatpages"][None]
    with app.app_context():
        cache.prune("markdown", {pages.markdown_key(page) for page in pages})
    cache.prune("responses", used)
    cache.prune("search", used)


def compare(new: Path, old: Path) -> tuple[int, int, int]:
    """Count files written (new or changed), unchanged and removed against the previous build."""
    new_files = files_under(new)
    old_files = files_under(old) if old.is_dir() else set()
    unchanged = sum(1 for name in new_files & old_files if same_file(new / name, old / name))
    return len(new_files) - unchanged, unchanged, len(old_files - new_files)


def same_file(one: Path, other: Path) -> bool:
    # Files linked from the cache share an inode with the previous build: no need to read them.
    first, second = one.stat(), other.stat()
    if (first.st_ino, first.st_dev) == (second.st_ino, second.st_dev):
        return True
    return first.st_size == second.st_size and filecmp.cmp(one, other, shallow=False)


def files_under(folder: Path) -> set[str]:
    return {str(path.relative_to(folder)) for path in folder.rglob("*") if path.is_file()}


def swap_in(staging: Path, out: Path) -> None:
    """Replace ``out`` with ``staging`` so readers never see half a build."""
    old = out.with_name(f".{out.name}.old")
    shutil.rmtree(old, ignore_errors=True)
    if out.exists():
        out.rename(old)
    staging.rename(out)
    shutil.rmtree(old, ignore_errors=True)


@contextmanager
def terminal_progress() -> Iterator[Progress]:
    """A progress bar on a terminal; elsewhere, such as in CI, a plain line at each tenth."""
    if not sys.stderr.isatty():
        yield plain_progress
        return
    bar = None

    def show(done: int, total: int, url: str) -> None:
        nonlocal bar
        if bar is None:
            bar = click.progressbar(length=total, label="Freezing", file=sys.stderr, show_pos=True)
        bar.length = total
        bar.update(1)

    try:
        yield show
    finally:
        if bar is not None:
            bar.render_finish()


def plain_progress(done: int, total: int, url: str) -> None:
    if done * 10 // total != (done - 1) * 10 // total:
        click.echo(f"Freezing: {done}/{total} URLs ({url})", err=True)
