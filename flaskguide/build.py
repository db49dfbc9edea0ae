"""A build: validate, plan, render beside the output folder, index, compare, swap it in whole, prune."""

from __future__ import annotations

import ctypes
import errno
import fcntl
import filecmp
import json
import os
import shutil
import sys
import threading
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
from .errors import OutputError, SourceProblems, disk_errors
from .sources import check_sources


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
    sources = sources_of(app)
    if holds(out, project):
        raise OutputError(f"refusing to build into {out}: it contains the project itself")
    for source in sources:
        if overlaps(out, source):
            raise OutputError(f"refusing to build into {out}: it would overwrite the sources in {source}")
    if out.exists() and not beside(out, "built").exists() and (not out.is_dir() or any(out.iterdir())):
        # A build replaces its output whole: never a folder some earlier build did not write.
        raise OutputError(
            f"refusing to replace {out}: no build of this site wrote it. Remove it, or choose another --out"
        )
    if os.path.ismount(out):
        raise OutputError(
            f"{out}: is a mount point, which a build cannot swap whole: build into a folder inside it "
            f"(--out {out / 'site'}) and publish that"
        )
    check_scratch(out)


def holds(outer: Path, inner: Path) -> bool:
    """Whether the folder ``outer`` is ``inner`` or holds it."""
    return outer == inner or outer in inner.parents


def overlaps(first: Path, second: Path) -> bool:
    """Whether one folder is, holds or lies inside the other: writing one could change the other."""
    return holds(first, second) or holds(second, first)


def sources_of(app: Flask) -> list[Path]:
    """The folders a build reads: pages/, static/ and each templates/ folder."""
    return [
        Path(app.root_path, app.config["FLATPAGES_ROOT"]).resolve(),
        Path(app.static_folder).resolve(),
        *(Path(folder).resolve() for folder in app.jinja_loader.searchpath),
    ]


def check_cache_dir(cache: Cache | None, app: Flask, out: Path) -> None:
    """Refuse a cache folder that is, holds or lies inside the sources, the output or its
    scratch folders: pruning the cache deletes files, and the output publishes them."""
    if cache is None:
        return
    folder = cache.folder.resolve()
    project = Path(app.root_path).resolve()
    if holds(folder, project):
        raise OutputError(f"{folder}: refusing to use it as the build cache: it holds the project itself")
    others = [*sources_of(app), out, *(beside(out, role) for role in SCRATCH)]
    for other in others:
        if overlaps(folder, other):
            raise OutputError(
                f"{folder}: refusing to use it as the build cache: it would share files with {other}. "
                "Choose a folder of its own with --cache"
            )


def beside(out: Path, role: str) -> Path:
    """The files a build keeps next to its output: .build.new, .build.old, .build.lock, .build.built."""
    return out.with_name(f".{out.name}.{role}")


SCRATCH = ("new", "old")  # the folders a build keeps beside its output


def identity(path: Path) -> list[int] | None:
    try:
        info = os.stat(path, follow_symlinks=False)
    except FileNotFoundError:
        return None
    return [info.st_dev, info.st_ino]


def read_record(out: Path) -> dict | None:
    """What ``.out.built`` says of the folders beside ``out``: the identities of those a build
    made. None when no build wrote ``out``; ``{"legacy": True}`` for the empty marker that
    earlier builds left, which named no folders."""
    try:
        text = beside(out, "built").read_text("utf-8")
    except FileNotFoundError:
        return None
    except (OSError, UnicodeDecodeError):
        return {}
    if not text.strip():
        return {"legacy": True}
    try:
        record = json.loads(text)
    except ValueError:
        return {}
    return record if isinstance(record, dict) else {}


def write_record(out: Path) -> None:
    """Record the identities of ``out`` and the folders beside it: called when the build has
    made (or checked) every one of them."""
    folders = [out, *(beside(out, role) for role in SCRATCH)]
    made = [found for folder in folders if (found := identity(folder))]
    record = beside(out, "built")
    temporary = record.with_name(record.name + ".tmp")
    temporary.write_text(json.dumps({"made": made}), "utf-8")
    os.replace(temporary, record)


def check_scratch(out: Path) -> None:
    """Refuse the folders beside ``out`` (and ``out``) that no build made, rather than take them over."""
    record = read_record(out) or {}
    if record.get("legacy"):
        return  # built by code that kept no record of its folders
    made = record.get("made", [])
    for path in (out, *(beside(out, role) for role in SCRATCH)):
        if not os.path.lexists(path) or identity(path) in made:
            continue
        if path.is_dir() and not path.is_symlink() and not any(path.iterdir()):
            continue  # empty: nothing to lose
        raise OutputError(
            f"{path}: refusing to use it: no build of this site made it, and a build keeps its own "
            f"folders by this name beside {out.name}/. Move it away, or choose another --out"
        )


@contextmanager
def build_lock(out: Path) -> Iterator[None]:
    """Let one build at a time write ``out``; a second one refuses instead of mixing files."""
    out.parent.mkdir(parents=True, exist_ok=True)
    with open(beside(out, "lock"), "a") as handle:  # "a": never empty a file of the same name
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
    cache.claim()
    with open(cache.folder / ".lock", "a") as handle:
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
        check_cache_dir(self.cache, self.app, self.out)
        page_count = self.validate()
        with disk_errors(self.out.parent, "the output"), build_lock(self.out), cache_lock(self.cache):
            previous = self.last_manifest()
            plan = self.engine.plan(previous.plan if previous else None)
            manifest = Manifest(plan, search.pagefind_version() if self.searching else None)
            if manifest.matches(previous, self.out):
                # Every URL's inputs are as they were, and the output is as that build left it.
                unchanged = len(manifest.files)
                return BuildReport(page_count, 0, unchanged, 0, time.perf_counter() - started, self.out)
            trusted = recycle(self.out, self.staging, previous)
            copying = None
            try:
                frozen = self.render(plan, trusted)
                if self.cache and self.prune_cache and not self.out.exists():
                    copying = RecycleCopy(self.out, self.staging)  # the pages, while Pagefind works
                changes, used = self.index_and_compare(frozen, previous, manifest, trusted)
                manifest.files = changes.files
                if copying:
                    copying.wait()  # it copies from the staging folder's name: before the swap
                swap_in(self.staging, self.out)
                manifest.folder = folder_identity(self.out)
            except BaseException:
                if copying:
                    copying.cancel()
                shutil.rmtree(self.staging, ignore_errors=True)
                write_record(self.out)  # the staging folder is gone: its identity may be reused
                raise
            if self.cache and self.prune_cache:
                leave_tree_to_recycle(self.out, manifest, copying)
                self.cache.save("manifests", manifest_name(self.out), manifest)
                self.prune(used, plan, previous)
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
        """Read every page afresh and check the templates and static files, raising every problem
        (all of them at once) before anything is written; the count of pages."""
        with self.app.app_context():
            problems = check_sources(self.app)
            try:
                self.site.pages.reload()
                count = len(self.site.pages.site.pages)
            except SourceProblems as error:
                raise SourceProblems(problems + error.problems) from None
            if problem := self.site.pages.home_problem():
                problems.append(problem)
            if problems:
                raise SourceProblems(problems)
            return count

    def last_manifest(self) -> Manifest | None:
        """The record of the last build into ``out`` by this code, if the cache has one."""
        if self.cache is None:
            return None
        return self.cache.load("manifests", manifest_name(self.out), Manifest)

    def render(self, plan: engine.Plan, trusted: dict[str, str]) -> engine.Frozen:
        """Write every URL of ``plan`` into the staging folder: kept (``trusted``, see
        :func:`recycle`), from the cache, or rendered."""
        # Errors in a view reach us as themselves, not as a bare "500" from the freezer.
        self.app.config["PROPAGATE_EXCEPTIONS"] = True
        with warnings.catch_warnings():
            warnings.simplefilter("error", FrozenFlaskWarning)
            # A site of only a home page legitimately freezes nothing for the page view.
            warnings.simplefilter("ignore", MissingURLGeneratorWarning)
            # The search index sorts out its own folder: it keeps the sections that have not changed.
            keep = search.BUNDLES if self.searching else ""
            return self.engine.freeze(plan, self.staging, keep=keep, trusted=trusted)

    def index_and_compare(
        self, frozen: engine.Frozen, previous: Manifest | None, manifest: Manifest, trusted: dict[str, str]
    ) -> tuple[Changes, set[str]]:
        """Index the staged site for search while comparing it with ``out``; return the changes
        and the cache keys used. The search index's own record goes into ``manifest``."""
        used = frozen.keys() | {manifest_name(self.out)}
        manifest.origins = {name: key for name, key in frozen.files.items() if key}
        # The last build's record of its files, while build/ is still the folder it swapped in:
        # the swap moves it beside the output, where the next build starts from it.
        same_folder = previous is not None and previous.folder == folder_identity(self.out)
        old = (previous.files, previous.origins) if same_folder else None
        if old:
            manifest.old_files, manifest.old_origins = old
        if not self.searching:
            return compare(self.staging, self.out, manifest.origins, old), used
        known = previous.searchable if previous else {}
        indexing = search.Indexing(self.staging, frozen.files, self.cache, self.jobs, known, trusted)
        manifest.searchable, manifest.bundles = indexing.searchable, set(indexing.keys.values())
        manifest.origins.update(indexing.origins())  # the bundles in place: compared unread
        try:  # compare the rest of the site while Pagefind works, in processes of its own
            changes = compare(self.staging, self.out, manifest.origins, old, skip=indexing.busy())
            indexing.finish()
        except BaseException:
            indexing.cancel()
            raise
        manifest.origins.update(indexing.origins(written=True))
        for folder in indexing.written():
            changes = changes.add(compare(self.staging, self.out, manifest.origins, old, only=folder))
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
            cache.prune("markdown", {markdown_key(page.rendering_source, trust_html) for page in pages})
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
    """What a build was made from (each URL's key) and what it wrote (each file's identity, and
    the key it holds the output of); and the same record of the build it replaced, now kept
    beside the output for the next build to start from."""

    plan: engine.Plan
    search: str | None  # the version of Pagefind that indexed the build, if it has a search index
    files: dict[str, tuple] = field(default_factory=dict)  # each file's identity (see file_stats)
    searchable: dict[str, bool] = field(default_factory=dict)  # for each key, whether search indexes it
    bundles: set[str] = field(default_factory=set)  # the keys of the search bundles
    folder: tuple | None = None  # the output folder's identity once swapped in (folder_identity)
    origins: dict[str, str] = field(default_factory=dict)  # each file's origin: the key it came from
    old_files: dict[str, tuple] = field(default_factory=dict)  # the same two records of .out.old
    old_origins: dict[str, str] = field(default_factory=dict)

    def matches(self, previous: Manifest | None, out: Path) -> bool:
        if previous is None or (previous.plan.keys, previous.search) != (self.plan.keys, self.search):
            return False
        self.files = previous.files
        return out.is_dir() and file_stats(out) == previous.files

    def records(self) -> list[tuple[dict[str, tuple], dict[str, str]]]:
        return [(self.files, self.origins), (self.old_files, self.old_origins)]


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
    new: Path,
    old: Path,
    origins: dict[str, str],
    old_record: tuple[dict, dict] | None = None,
    skip: Collection[str] = (),
    only: str = "",
) -> Changes:
    """Compare the files of a new build with the previous one's (``skip`` and ``only`` as in
    :func:`file_stats`). ``old_record``, the previous build's own record of what it wrote (each
    file's identity and origin), saves listing the previous build again; two files of one origin
    are the same without reading them."""
    new_files = file_stats(new, skip, only)
    if old_record is None:
        old_files, old_origins = (file_stats(old, skip, only) if old.is_dir() else {}), {}
    else:
        skipped = set(skip)
        old_files = {name: stat for name, stat in old_record[0].items() if within(name, skipped, only)}
        old_origins = old_record[1]
    unchanged = sum(
        1
        for name in new_files.keys() & old_files.keys()
        if (origins.get(name) is not None and origins.get(name) == old_origins.get(name))
        or same_bytes(new, old, name, new_files, old_files)
    )
    return Changes(len(new_files) - unchanged, unchanged, len(old_files.keys() - new_files.keys()), new_files)


def within(name: str, skip: set[str], only: str) -> bool:
    """Whether the file ``name`` is one :func:`file_stats` lists with ``skip`` and ``only``."""
    folders = name.split("/")[:-1]
    under = {"/".join(folders[: index + 1]) for index in range(len(folders))}
    return (not only or only in under) and not under & skip


def same_bytes(new: Path, old: Path, name: str, new_files: dict, old_files: dict) -> bool:
    try:
        return new_files[name][2] == old_files[name][2] and filecmp.cmp(new / name, old / name, shallow=False)
    except OSError:  # gone from the previous build since it was recorded
        return False


def swap_in(staging: Path, out: Path) -> None:
    """Replace ``out`` with ``staging`` so that readers never see half a build, nor none.

    Linux exchanges the two folders in one step (``renameat2(RENAME_EXCHANGE)``): ``out`` is
    there at every instant, killed or not. Elsewhere, or on a file system without it, two
    renames leave a moment without ``out``; a build interrupted there puts it back, and one
    killed there leaves the previous build in ``.out.new``, which the next build starts from.
    The replaced build is kept beside it as ``.out.old``: the next build starts from its folders
    instead of making thousands anew.
    """
    old = beside(out, "old")
    if not out.exists():
        staging.rename(out)  # a first build: .out.old, if there is one, is its copy under way
        write_record(out)
        return
    if os.path.lexists(old):
        shutil.rmtree(old)  # whole, before anything moves: a failure here fails the build unswapped
    if exchange(staging, out):
        staging.rename(old)
    else:
        out.rename(old)
        try:
            staging.rename(out)
        except BaseException:
            if old.exists() and not out.exists():
                old.rename(out)  # interrupted between the two renames: put the previous build back
            raise
    write_record(out)


RENAME_EXCHANGE = 2  # from <linux/fs.h>
AT_FDCWD = -100


def exchange(first: Path, second: Path) -> bool:
    """Swap two folders' names atomically; False where the system cannot, so nothing moved."""
    if not sys.platform.startswith("linux"):
        return False
    libc = ctypes.CDLL(None, use_errno=True)
    renameat2 = getattr(libc, "renameat2", None)
    if renameat2 is None:  # a C library older than glibc 2.28
        return False
    done = renameat2(AT_FDCWD, os.fsencode(first), AT_FDCWD, os.fsencode(second), RENAME_EXCHANGE)
    if done == 0:
        return True
    code = ctypes.get_errno()
    if code in (errno.EINVAL, errno.ENOSYS, errno.ENOTSUP):
        return False  # this file system cannot exchange: rename twice instead
    raise OSError(code, os.strerror(code), str(second))


def leave_tree_to_recycle(out: Path, manifest: Manifest, copying: RecycleCopy | None = None) -> None:
    """After a first build, a copy for the next build to start from, as every later build
    leaves one: the first edit need not make thousands of folders and files anew. Only a help:
    a failure here (a full disk, say) leaves nothing behind and fails nothing. ``copying`` holds
    the pages, copied while the search index was made: only the index is left to copy."""
    old = beside(out, "old")
    if copying is None and old.exists():
        return
    try:
        if copying is None:
            copy_tree(out, old)
        else:
            copying.finish()
            if (out / search.BUNDLES).is_dir():
                copy_tree(out / search.BUNDLES, old / search.BUNDLES)
    except BaseException as error:  # never a half copy, which no record would name
        shutil.rmtree(old, ignore_errors=True)
        write_record(out)
        if isinstance(error, OSError):
            return
        raise
    manifest.old_files, manifest.old_origins = file_stats(old), manifest.origins
    write_record(out)


class RecycleCopy:
    """The copy a first build leaves beside its output for the next build (see
    :func:`leave_tree_to_recycle`), begun as soon as the pages are written: copying waits on the
    disk, and Pagefind on the processor, so the two take little more than one of them. It is
    made as ``.out.old``, recorded as this build's from the start (a build killed meanwhile
    leaves a folder the next one may recycle, and no record of its files, so it trusts none)."""

    def __init__(self, out: Path, staging: Path) -> None:
        self.out, self.old = out, beside(out, "old")
        self.stop = threading.Event()
        self.error: BaseException | None = None
        self.thread = threading.Thread(target=self.copy, args=(staging,), name="recycle-copy", daemon=True)
        shutil.rmtree(self.old, ignore_errors=True)
        self.old.mkdir()
        write_record(out)
        self.thread.start()

    def copy(self, staging: Path) -> None:
        try:
            copy_tree(staging, self.old, skip=search.BUNDLES, stop=self.stop)
        except BaseException as error:  # raised in the build's own thread, by finish()
            self.error = error

    def wait(self) -> None:
        self.thread.join()

    def finish(self) -> None:
        """Wait for the copy, and raise what stopped it, if anything did."""
        self.wait()
        if self.error is not None:
            raise self.error

    def cancel(self) -> None:
        self.stop.set()
        self.wait()
        shutil.rmtree(self.old, ignore_errors=True)
        write_record(self.out)


def recycle(out: Path, staging: Path, previous: Manifest | None) -> dict[str, str]:
    """Start the new build in the folder tree the build before last left, when there is one;
    return the files in it that hold what the last build's record says, as it wrote them (the
    same identity, size and time), with the key each came from. Any other file is replaced."""
    old = beside(out, "old")
    if not staging.exists() and old.is_dir():
        old.rename(staging)
    staging.mkdir(exist_ok=True)
    write_record(out)
    if previous is None:
        return {}
    stats = file_stats(staging)
    return {
        name: origin
        for files, origins in previous.records()
        for name, origin in origins.items()
        if name in stats and stats[name] == files.get(name)
    }


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
