"""A build: validate, plan, render beside the output folder, index, compare, swap it in whole, prune."""

from __future__ import annotations

import fcntl
import filecmp
import os
import shutil
import sys
import time
import warnings
from collections.abc import Collection, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import click
from flask import Flask
from flask_frozen import FrozenFlaskWarning, MissingURLGeneratorWarning

from . import engine, search
from .cache import Cache, code_digest, copy_tree, file_stats, markdown_key, sha256
from .engine import Progress, Site
from .errors import OutputError


@dataclass
class BuildReport:
    pages: int
    written: int
    unchanged: int
    removed: int
    seconds: float
    out: Path
    rendered: int = 0

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
        raise OutputError(f"refusing to build into {out}: it contains the project itself")
    for source in sources:
        if out == source or out in source.parents or source in out.parents:
            raise OutputError(f"refusing to build into {out}: it would overwrite the sources in {source}")
    if out.exists() and not beside(out, "built").exists() and (not out.is_dir() or any(out.iterdir())):
        # A build replaces its output whole: never a folder some earlier build did not write.
        raise OutputError(
            f"refusing to replace {out}: no build of this site wrote it. Remove it, or choose another --out"
        )


def beside(out: Path, role: str) -> Path:
    """The files a build keeps next to its output: .build.new, .build.old, .build.lock, .build.built."""
    return out.with_name(f".{out.name}.{role}")


@contextmanager
def build_lock(out: Path) -> Iterator[None]:
    """Let one build at a time write ``out``; a second one refuses instead of mixing files."""
    out.parent.mkdir(parents=True, exist_ok=True)
    with open(beside(out, "lock"), "w") as handle:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise OutputError(f"another build is writing {out} right now: wait for it to finish") from None
        yield


@contextmanager
def cache_lock(cache: Cache | None) -> Iterator[None]:
    """Builds sharing a cache take turns: one build's pruning must not pull files from another."""
    if cache is None:
        yield
        return
    cache.folder.mkdir(parents=True, exist_ok=True)
    with open(cache.folder / ".lock", "w") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        yield


class Build:
    """One build of a site into ``out``: :meth:`run` reads as its steps, in order.

    The site is frozen into a fresh folder beside ``out`` (``.out.new``) and swapped in whole.
    ``prune_cache=False`` (for a throwaway build, as ``check`` makes) leaves the cache holding
    what the real builds use.
    """

    def __init__(
        self, site: Site, out: Path, progress: Progress | None = None, jobs: int = 1, prune_cache: bool = True
    ) -> None:
        self.site, self.app = site, site.app
        self.out = out.resolve()
        self.staging = beside(self.out, "new")
        self.cache = site.cache
        self.engine = engine.Engine(site, jobs, progress)
        self.jobs, self.prune_cache = jobs, prune_cache
        self.searching = self.app.config["SITE_SEARCH"]

    def run(self) -> BuildReport:
        started = time.perf_counter()
        check_out_dir(self.out, self.app)
        page_count = self.validate()
        with build_lock(self.out), cache_lock(self.cache):
            previous = self.last_manifest()
            plan = self.engine.plan(previous.plan if previous else None)
            manifest = Manifest(plan, search.pagefind_version() if self.searching else None)
            if manifest.matches(previous, self.out):
                # Every URL's inputs are as they were, and the output is as that build left it.
                unchanged = len(manifest.files)
                return BuildReport(page_count, 0, unchanged, 0, time.perf_counter() - started, self.out)
            recycle(self.out, self.staging)
            try:
                frozen = self.render(plan)
                changes, used = self.index_and_compare(frozen, previous, manifest)
                manifest.files = changes.files
                swap_in(self.staging, self.out)
                manifest.folder = folder_identity(self.out)
            except BaseException:
                shutil.rmtree(self.staging, ignore_errors=True)
                raise
            if self.cache and self.prune_cache:
                self.cache.save("manifests", manifest_name(self.out), manifest)
                self.prune(used, plan, previous)
                leave_tree_to_recycle(self.out)
        seconds = time.perf_counter() - started
        return BuildReport(
            page_count,
            changes.written,
            changes.unchanged,
            changes.removed,
            seconds,
            self.out,
            frozen.rendered,
        )

    def validate(self) -> int:
        """Read every page afresh, raising every problem before anything is written; the count."""
        with self.app.app_context():
            self.site.pages.reload()
            return len(self.site.pages.site.pages)

    def last_manifest(self) -> Manifest | None:
        """The record of the last build into ``out`` by this code, if the cache has one."""
        if self.cache is None:
            return None
        return self.cache.load("manifests", manifest_name(self.out), Manifest)

    def render(self, plan: engine.Plan) -> engine.Frozen:
        """Write every URL of ``plan`` into the staging folder: from the cache, or rendered."""
        # Errors in a view reach us as themselves, not as a bare "500" from the freezer.
        self.app.config["PROPAGATE_EXCEPTIONS"] = True
        with warnings.catch_warnings():
            warnings.simplefilter("error", FrozenFlaskWarning)
            # A site of only a home page legitimately freezes nothing for the page view.
            warnings.simplefilter("ignore", MissingURLGeneratorWarning)
            # The search index sorts out its own folder: it keeps the sections that have not changed.
            return self.engine.freeze(plan, self.staging, keep=search.BUNDLES if self.searching else "")

    def index_and_compare(
        self, frozen: engine.Frozen, previous: Manifest | None, manifest: Manifest
    ) -> tuple[Changes, set[str]]:
        """Index the staged site for search while comparing it with ``out``; return the changes
        and the cache keys used. The search index's own record goes into ``manifest``."""
        used = frozen.keys() | {manifest_name(self.out)}
        # The last build's record of its files, while build/ is still the folder it swapped in.
        before = previous.files if previous and previous.folder == folder_identity(self.out) else None
        if not self.searching:
            return compare(self.staging, self.out, old_files=before), used
        known = previous.searchable if previous else {}
        indexing = search.Indexing(self.staging, frozen.files, self.cache, self.jobs, known)
        manifest.searchable, manifest.bundles = indexing.searchable, set(indexing.keys.values())
        try:  # compare the rest of the site while Pagefind works, in processes of its own
            changes = compare(self.staging, self.out, skip=indexing.busy(), old_files=before)
            indexing.finish()
        except BaseException:
            indexing.cancel()
            raise
        for folder in indexing.written():
            changes = changes.add(compare(self.staging, self.out, only=folder, old_files=before))
        return changes, used | manifest.bundles

    def prune(self, used: set[str], plan: engine.Plan, previous: Manifest | None) -> None:
        """Keep the cache the size of one site: drop what this build did not use.

        When only page bodies changed since the last build, responses and search bundles are
        looked up by what the last build used and this one does not; otherwise every stored
        entry is. Rendered Markdown (which ``serve`` stores too) is always looked at whole.
        """
        cache, pages = self.cache, self.site.pages
        trust_html = self.app.config["SITE_TRUST_HTML"]
        with self.app.app_context():
            cache.prune("markdown", {markdown_key(page.source_sha, trust_html) for page in pages})
        if previous is not None and previous.plan.inputs == plan.inputs:
            cache.remove("responses", set(previous.plan.keys.values()) - used - {None})
            cache.remove("search", previous.bundles - used)
            return
        cache.prune("responses", used)
        cache.prune("search", used)
        cache.prune("manifests", used)


def folder_identity(out: Path) -> tuple | None:
    """Which folder ``out`` is: another build swapping in its own, or a file added or removed at
    its top, changes it."""
    try:
        info = os.stat(out)
    except FileNotFoundError:
        return None
    return info.st_dev, info.st_ino, info.st_mtime_ns


def manifest_name(out: Path) -> str:
    """The last build's record is keyed by its output folder, and by the code that wrote it."""
    return sha256("manifest", code_digest(), str(out))


@dataclass
class Manifest:
    """What a build was made from (each URL's key) and what it wrote (each file's identity)."""

    plan: engine.Plan
    search: str | None  # the version of Pagefind that indexed the build, if it has a search index
    files: dict[str, tuple] = field(default_factory=dict)
    searchable: dict[str, bool] = field(default_factory=dict)  # for each key, whether search indexes it
    bundles: set[str] = field(default_factory=set)  # the keys of the search bundles
    folder: tuple | None = None  # the output folder's identity once swapped in (folder_identity)

    def matches(self, previous: Manifest | None, out: Path) -> bool:
        if previous is None or (previous.plan.keys, previous.search) != (self.plan.keys, self.search):
            return False
        self.files = previous.files
        return out.is_dir() and file_stats(out) == previous.files


@dataclass
class Changes:
    """A new build against the previous one: files written (new or changed), unchanged, removed;
    and every new file's identity (see :func:`file_stats`)."""

    written: int
    unchanged: int
    removed: int
    files: dict[str, tuple]

    def add(self, other: Changes) -> Changes:
        return Changes(
            self.written + other.written,
            self.unchanged + other.unchanged,
            self.removed + other.removed,
            {**self.files, **other.files},
        )


def compare(
    new: Path, old: Path, skip: Collection[str] = (), only: str = "", old_files: dict | None = None
) -> Changes:
    """Compare the files of a new build with the previous one's (``skip`` and ``only`` as in
    :func:`file_stats`). ``old_files``, the previous build's own record of what it wrote, saves
    listing the previous build again."""
    new_files = file_stats(new, skip, only)
    if old_files is None:
        old_files = file_stats(old, skip, only) if old.is_dir() else {}
    else:
        skipped = set(skip)
        old_files = {name: stat for name, stat in old_files.items() if within(name, skipped, only)}
    unchanged = sum(
        1 for name in new_files.keys() & old_files.keys() if same_file(new, old, name, new_files, old_files)
    )
    return Changes(len(new_files) - unchanged, unchanged, len(old_files.keys() - new_files.keys()), new_files)


def within(name: str, skip: set[str], only: str) -> bool:
    """Whether the file ``name`` is one :func:`file_stats` lists with ``skip`` and ``only``."""
    folders = name.split("/")[:-1]
    under = {"/".join(folders[: index + 1]) for index in range(len(folders))}
    return (not only or only in under) and not under & skip


def same_file(new: Path, old: Path, name: str, new_files: dict, old_files: dict) -> bool:
    # Files linked from the cache share an inode with the previous build: no need to read them.
    (device, inode, size, _), (old_device, old_inode, old_size, _) = new_files[name], old_files[name]
    if (device, inode) == (old_device, old_inode):
        return True
    try:
        return size == old_size and filecmp.cmp(new / name, old / name, shallow=False)
    except OSError:  # gone from the previous build since it was recorded
        return False


def swap_in(staging: Path, out: Path) -> None:
    """Replace ``out`` with ``staging`` so readers never see half a build.

    The replaced build is kept beside it: the next build starts from its folders instead of
    making thousands anew (its files that the cache also holds are hard links, sharing space).
    """
    old = beside(out, "old")
    shutil.rmtree(old, ignore_errors=True)
    if out.exists():
        out.rename(old)
    try:
        staging.rename(out)
    except BaseException:
        if old.exists() and not out.exists():
            old.rename(out)  # interrupted between the two renames: put the previous build back
        raise
    beside(out, "built").touch()


def leave_tree_to_recycle(out: Path) -> None:
    """After a first build, a tree of links for the next build to start from, as every later
    build leaves one: the first edit need not make thousands of folders anew. Only a help: a
    failure here (a full disk, say) leaves nothing behind and fails nothing."""
    old = beside(out, "old")
    if old.exists():
        return
    try:
        copy_tree(out, old)
    except OSError:
        shutil.rmtree(old, ignore_errors=True)


def recycle(out: Path, staging: Path) -> None:
    """Start the new build in the folder tree the build before last left, when there is one."""
    old = beside(out, "old")
    if not staging.exists() and old.is_dir():
        old.rename(staging)
    staging.mkdir(exist_ok=True)


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
