"""The search index: Pagefind, run on the frozen HTML, one bundle per section of the site.

Pagefind (its command-line program, a process per bundle) holds a whole index in memory while
it builds it (about 0.3 GB per 1,000 pages here), and rebuilds all of it for any change.
Indexing the site in bundles of at most ``PART_SIZE`` pages, a section each where sections
are large, bounds that memory (with ``BUNDLE_LIMIT``, the pages in its processes at once) and
an edit's re-index, and lets an unchanged bundle be reused as it was stored. The search page
loads the first bundle and merges the others (``pagefind.mergeIndex``), listed in
``pagefind/bundles.json``.
"""

from __future__ import annotations

import functools
import json
import os
import shutil
import subprocess
import threading
from collections import Counter, defaultdict
from collections.abc import Iterable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from pathlib import Path

from pagefind.service import get_executable

from . import processes
from .cache import Cache, code_digest, file_names, link_or_copy, sha256
from .errors import SearchError

BUNDLES = "pagefind"
SECTION_SIZE = 100  # a top-level folder with this many pages or more gets a bundle of its own
MARKER = b"data-pagefind-body"  # only pages that mark their body are searchable
# Left out of the index, and so of every excerpt: the "#" beside each heading, footnote numbers
# and their return arrows, and code blocks (a line of code reads badly as an excerpt; `inline code`
# in the text stays searchable).
CONFIG = {"exclude_selectors": [".heading-link", ".footnote-ref", ".footnote-backref", "div.highlight"]}
# Pagefind holds about 0.3 MB for each page it indexes: its processes never hold more pages than
# this at once, so a 10,000-page build stays well under 400 MB whatever --jobs says.
BUNDLE_LIMIT = 800
# No bundle has more pages than this: an edit re-indexes the edited page's whole bundle, at about
# 3 ms a page here, and a search fetches an index chunk (about 30 KB) from every bundle. 200
# keeps an edit of 4,000 pages in one folder, or none, under 1.5 s (250 took 1.54 s at the top of
# pages/), as a folder of 200 pages of its own does.
PART_SIZE = 200
GLOB_SPECIAL = set("?*$:<>()[]{},")  # written with a backslash in a Pagefind (Wax) pattern


def searchable(
    site: Path, files: dict[str, str | None], known: dict[str, bool]
) -> tuple[dict[str, str], dict[str, bool]]:
    """The HTML files with a body to index, with a hash of each; and which keyed files are searchable.

    ``files`` maps each file written to its URL's cache key, or None. A key stands for the file's
    bytes (the same key, the same page), and ``known`` remembers from the last build whether a
    key's page is searchable: only files without a known key are read.
    """
    found, flags = {}, {}
    for relative, key in sorted(files.items()):
        if not relative.endswith(".html") or relative.startswith(f"{BUNDLES}/"):
            continue
        if key is not None and key in known:
            marked, digest = known[key], key
        else:
            data = (site / relative).read_bytes()
            marked, digest = MARKER in data, key or sha256(data)
        if key is not None:
            flags[key] = marked
        if marked:
            found[relative] = digest
    return found, flags


def sections(files: list[str]) -> dict[str, list[str]]:
    """Group the files to index into bundles of at most ``PART_SIZE`` pages.

    A top-level folder of ``SECTION_SIZE`` pages or more is a bundle of its own (``s-guide``), cut
    into equal parts (``p1-guide``, ``p2-guide``, ...) when larger than that. Smaller folders
    and the top-level pages share bundles (``site``, ``site-2``, ...), filled folder by folder.
    """
    by_folder: dict[str, list[str]] = defaultdict(list)
    for relative in sorted(files):
        by_folder[top(relative) if "/" in relative else ""].append(relative)
    shared: list[list[str]] = [[]]
    own: dict[str, list[str]] = {}
    for folder, members in sorted(by_folder.items()):
        if folder and len(members) >= SECTION_SIZE:
            parts = -(-len(members) // PART_SIZE)
            size = -(-len(members) // parts)
            for index in range(parts):
                name = f"s-{folder}" if parts == 1 else f"p{index + 1}-{folder}"
                own[name] = members[index * size : (index + 1) * size]
            continue
        if shared[-1] and len(shared[-1]) + len(members) > PART_SIZE:
            shared.append([])
        for relative in members:  # only the top-level pages can outgrow a bundle on their own
            if len(shared[-1]) == PART_SIZE:
                shared.append([])
            shared[-1].append(relative)
    named = {"site" if index == 0 else f"site-{index + 1}": group for index, group in enumerate(shared)}
    return {**{name: group for name, group in named.items() if group}, **own}


class Indexing:
    """The search index of a build, under way: stored bundles put in place, Pagefind writing the rest.

    ``files`` maps each file the build wrote to its URL's cache key (or None); ``known`` is the
    last build's record of which keys are searchable. Pagefind runs in processes of its own, so
    the build goes on meanwhile; :meth:`finish` waits for it, :meth:`cancel` stops it. A bundle
    already in place (left by the build this one recycles) whose files are all ``trusted`` to
    hold what the stored one holds (see :meth:`origins`) is kept: an edit rewrites only its own
    section's files.
    """

    def __init__(
        self,
        site: Path,
        files: dict[str, str | None],
        cache: Cache | None,
        jobs: int,
        known: dict[str, bool],
        trusted: dict[str, str] | None = None,
    ) -> None:
        self.trusted = trusted or {}
        self.cache, self.output = cache, site / BUNDLES
        hashes, self.searchable = searchable(site, files, known)
        self.groups = sections(list(hashes))
        self.keys = {
            name: sha256(
                "pagefind",
                code_digest(),
                pagefind_version(),
                CONFIG,
                name,
                [(file, hashes[file]) for file in group],
            )
            for name, group in self.groups.items()
        }
        self.missing = self.place_stored_bundles()
        (self.output / "bundles.json").write_text(json.dumps([f"{name}/" for name in self.groups]), "utf-8")
        self.pagefind = Pagefind(site, self.output, jobs)
        sizes = Counter(top(relative) for relative in hashes)
        order = sorted(self.missing, key=lambda name: (-len(self.missing[name]), name))  # largest first
        try:
            for name in order:
                self.pagefind.start(name, self.missing[name], pattern(self.missing[name], sizes))
        except BaseException:  # the caller has no Indexing to cancel yet
            self.pagefind.stop()
            raise

    def place_stored_bundles(self) -> dict[str, list[str]]:
        """Put each stored bundle in place; return the groups Pagefind must index."""
        self.output.mkdir(exist_ok=True)
        for entry in self.output.iterdir():
            if entry.name not in self.groups:  # a section gone, or bundles.json (written afresh)
                shutil.rmtree(entry) if entry.is_dir() else entry.unlink()
        missing = {}
        for name, group in self.groups.items():
            bundle = self.output / name
            sums = self.cache.tree_sums("search", self.keys[name]) if self.cache else None
            if sums is not None and self.in_place(name, sums):
                continue
            shutil.rmtree(bundle, ignore_errors=True)
            if sums is None or self.cache.copy_tree_into("search", self.keys[name], bundle, sums) is None:
                missing[name] = group
        return missing

    def in_place(self, name: str, sums: dict[str, str]) -> bool:
        """Whether the recycled bundle ``name`` holds exactly the stored one's files, as written."""
        bundle = self.output / name
        if not bundle.is_dir() or file_names(bundle) != set(sums):
            return False
        origins = self.bundle_origins(name, sums)
        return all(self.trusted.get(file) == origin for file, origin in origins.items())

    def bundle_origins(self, name: str, files: Iterable[str]) -> dict[str, str]:
        """What each file of the bundle ``name`` was made from: the bundle's key and its name."""
        return {f"{BUNDLES}/{name}/{file}": f"{self.keys[name]}/{file}" for file in files}

    def origins(self, written: bool = False) -> dict[str, str]:
        """What each file of the bundles put in place was made from (with ``written``, of those
        Pagefind wrote, once it is done), for the comparison and for the next build to trust."""
        found = {}
        for name in self.groups:
            if (name in self.missing) == written:
                found.update(self.bundle_origins(name, file_names(self.output / name)))
        return found

    def busy(self) -> set[str]:
        """The folders (relative to the site) Pagefind is writing or reading until :meth:`finish`."""
        return {*self.written(), *(f"{BUNDLES}/{pages_folder(name)}" for name in self.missing)}

    def written(self) -> list[str]:
        """The bundles Pagefind writes, relative to the site."""
        return [f"{BUNDLES}/{name}" for name in self.missing]

    def finish(self) -> None:
        """Wait for Pagefind, check what it wrote, and store the bundles."""
        self.pagefind.wait()
        for name, group in self.missing.items():
            check_bundle(self.output / name, len(group))
        if self.cache:
            for name in self.missing:
                self.cache.store_tree("search", self.keys[name], self.output / name)

    def cancel(self) -> None:
        self.pagefind.stop()


def check_bundle(bundle: Path, pages: int) -> None:
    """Raise SearchError unless ``bundle`` is a whole Pagefind index of ``pages`` pages.

    Pagefind can exit 0 having written empty files (on a full disk, for one): its exit status
    alone proves nothing.
    """
    problem = bundle_problem(bundle, pages)
    if problem:
        raise SearchError(
            f"{bundle}: the search index is incomplete ({problem}): is the disk full? Build again"
        )


def bundle_problem(bundle: Path, pages: int) -> str | None:
    try:
        entry = json.loads((bundle / "pagefind-entry.json").read_text("utf-8"))
        indexed = sum(language["page_count"] for language in entry["languages"].values())
        metas = [f"pagefind.{language['hash']}.pf_meta" for language in entry["languages"].values()]
    except (OSError, ValueError, KeyError, TypeError, AttributeError) as error:
        return f"pagefind-entry.json cannot be read: {error}"
    if indexed != pages:
        return f"{indexed} pages indexed of {pages}"
    names = file_names(bundle)
    if missing := [name for name in ["pagefind.js", *metas] if name not in names]:
        return f"{missing[0]} is missing"
    if pages and not any(name.startswith("fragment/") for name in names):
        return "no page fragments"
    if empty := sorted(name for name in names if (bundle / name).stat().st_size == 0):
        return f"{empty[0]} is empty"
    return None


def pagefind_program() -> tuple[str, str]:
    """The Pagefind program and the version it reports (part of every search bundle's key)."""
    executable = get_executable()
    if executable is None:
        raise SearchError(
            "the pagefind program is missing: reinstall with 'pip install .', or build with --no-search"
        )
    return str(executable), program_version(str(executable))


@functools.cache
def program_version(executable: str) -> str:
    try:
        done = subprocess.run([executable, "--version"], capture_output=True, text=True, check=True)
    except (OSError, subprocess.CalledProcessError) as error:
        raise SearchError(f"cannot run pagefind ({executable}): {error}") from None
    return done.stdout.strip()


def pagefind_version() -> str:
    return pagefind_program()[1]


class Pagefind:
    """Pagefind's command-line program, run for one bundle at a time in each of ``jobs`` threads.

    (Its Python service waits a tenth of a second before reading each reply, which made an
    edit's re-index of one section take twice as long as the work itself.) No more than
    ``BUNDLE_LIMIT`` pages are in its processes at once: each holds about 0.3 MB a page.
    """

    def __init__(self, site: Path, output: Path, jobs: int) -> None:
        self.site, self.output = site, output
        self.pool = ThreadPoolExecutor(max(1, jobs))
        self.futures: list = []
        self.budget = Budget(BUNDLE_LIMIT)
        self.processes: set[subprocess.Popen] = set()
        self.stopped = threading.Event()
        self.lock = threading.Lock()

    def start(self, name: str, files: list[str], glob: str | None) -> None:
        self.futures.append(self.pool.submit(self.index, name, files, glob))

    def index(self, name: str, files: list[str], glob: str | None) -> None:
        with self.budget.take(len(files)):
            if not self.stopped.is_set():
                write_bundle(self, name, files, glob)

    def run(self, command: list[str], **options) -> tuple[int, str]:
        """Run one Pagefind process, unless the indexing was stopped; its status and messages."""
        with self.lock:
            if self.stopped.is_set():
                return 0, ""
            try:
                process = subprocess.Popen(
                    command,
                    stdout=subprocess.PIPE,
                    stderr=subprocess.STDOUT,
                    preexec_fn=processes.die_with_parent,  # a build killed outright takes it along
                    **options,
                )
            except OSError as error:
                raise SearchError(f"cannot run pagefind ({command[0]}): {error.strerror}") from None
            self.processes.add(process)
        try:
            output = process.communicate()[0].decode(errors="replace")
        finally:
            with self.lock:
                self.processes.discard(process)
        return process.returncode, output

    def wait(self) -> None:
        try:
            for future in self.futures:
                future.result()
        except BaseException:
            self.stop()
            raise
        self.pool.shutdown()

    def stop(self) -> None:
        """Start nothing more, end the running processes, and wait for the threads."""
        with self.lock:
            self.stopped.set()
            for process in self.processes:
                process.terminate()
        self.pool.shutdown(cancel_futures=True)


class Budget:
    """At most ``limit`` pages in Pagefind processes at once."""

    def __init__(self, limit: int) -> None:
        self.limit, self.used = limit, 0
        self.condition = threading.Condition()

    @contextmanager
    def take(self, pages: int) -> Iterator[None]:
        pages = min(pages, self.limit)
        with self.condition:
            self.condition.wait_for(lambda: self.used + pages <= self.limit)
            self.used += pages
        try:
            yield
        finally:
            with self.condition:
                self.used -= pages
                self.condition.notify_all()


def write_bundle(pagefind: Pagefind, name: str, files: list[str], glob: str | None) -> None:
    """Index ``files`` into the bundle ``name``: those ``glob`` matches in the site; without a
    pattern, a folder of hard links to exactly those files (they keep their paths, so Pagefind's
    URLs are the site's)."""
    pages = pagefind.output / pages_folder(name)
    shutil.rmtree(pages, ignore_errors=True)
    try:
        if glob is None:
            for relative in files:
                (pages / relative).parent.mkdir(parents=True, exist_ok=True)
                link_or_copy(pagefind.site / relative, pages / relative)
        where = ["--site", str(pages)] if glob is None else ["--site", str(pagefind.site), "--glob", glob]
        command = [pagefind_program()[0], *where, "--output-path", str(pagefind.output / name)]
        for selector in CONFIG["exclude_selectors"]:
            command += ["--exclude-selectors", selector]
        # Pagefind also reads settings from PAGEFIND_* variables and a pagefind.yml in its folder:
        # neither may change a build behind the cache's back.
        environment = {key: value for key, value in os.environ.items() if not key.startswith("PAGEFIND_")}
        status, output = pagefind.run([*command, "--silent"], cwd=pagefind.output, env=environment)
    finally:
        shutil.rmtree(pages, ignore_errors=True)
    if status < 0:
        problem = f"it was stopped by signal {-status}{' (out of memory?)' if status == -9 else ''}"
    elif status > 0:
        problem = (output.strip().splitlines() or [f"it exited with status {status}"])[-1]
    else:
        return
    raise SearchError(f"pagefind could not index {len(files)} pages ({files[0]}, ...): {problem}")


def top(relative: str) -> str:
    """The top-level folder a file is in, or the file itself at the top."""
    return relative.split("/")[0]


def pattern(files: list[str], sizes: Counter) -> str | None:
    """A Pagefind pattern matching exactly ``files`` among the searchable pages: the whole
    top-level folders and top-level files they are (``sizes`` counts each folder's pages).
    None when they are part of a folder, or a name holds a backslash, which no pattern can."""
    mine = Counter(top(relative) for relative in files)
    if any(mine[folder] != sizes[folder] for folder in mine) or any("\\" in relative for relative in files):
        return None
    parts = [
        escape(folder) if folder.endswith(".html") and folder in files else f"{escape(folder)}/**/*.html"
        for folder in sorted(mine)
    ]
    return parts[0] if len(parts) == 1 else "{" + ",".join(parts) + "}"


def escape(name: str) -> str:
    return "".join(f"\\{character}" if character in GLOB_SPECIAL else character for character in name)


def pages_folder(name: str) -> str:
    """The folder of links to the pages Pagefind indexes into the bundle ``name``, beside it."""
    return f".{name}.pages"
