"""The search index: Pagefind, run on the frozen HTML, one bundle per section of the site.

Pagefind (its command-line program, a process per bundle) holds a whole index in memory while
it builds it (about 0.3 GB per 1,000 pages here), and rebuilds all of it for any change.
Indexing each large section on its own bounds the memory by the largest section, and lets an
unchanged section reuse its stored bundle. The search page loads the first bundle and merges
the others (``pagefind.mergeIndex``), listed in ``pagefind/bundles.json``.
"""

from __future__ import annotations

import importlib.metadata
import json
import os
import shutil
import subprocess
import threading
from collections import defaultdict
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from pathlib import Path

import click
from pagefind.service import get_executable

from .cache import Cache, copy_tree, sha256, temporary_name

BUNDLES = "pagefind"
SECTION_SIZE = 100  # a top-level folder with this many pages or more gets a bundle of its own
MARKER = b"data-pagefind-body"  # only pages that mark their body are searchable
CONFIG = {"exclude_selectors": [".heading-link"]}  # "#" anchors would show in excerpts
# Pagefind holds about 0.3 MB for each page it indexes: with at most this many pages in its
# processes at once, a 10,000-page build stays well under 400 MB, whatever --jobs says.
PAGES_AT_ONCE = 800
ENTRY = "pagefind-entry.json"  # a bundle's first file: it names the others by their hashes


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
    """Group files by top-level folder; small folders and top-level files share one group."""
    by_folder: dict[str, list[str]] = defaultdict(list)
    for relative in files:
        folder = relative.split("/")[0] if "/" in relative else ""
        by_folder[folder].append(relative)
    groups: dict[str, list[str]] = defaultdict(list)
    for folder, members in sorted(by_folder.items()):
        name = f"s-{folder}" if folder and len(members) >= SECTION_SIZE else "site"
        groups[name].extend(members)
    return dict(groups)


class Indexing:
    """The search index of ``site``, under way: stored bundles put in place, Pagefind writing the rest.

    ``files`` maps each file the build wrote to its URL's cache key (or None); ``known`` is the
    last build's record of which keys are searchable. Pagefind runs in processes of its own, so
    the build goes on meanwhile; :meth:`finish` waits for it. A bundle already in place (left by
    the build this one recycles) and identical to the stored one is kept: an edit rewrites only
    its own section's files.
    """

    def __init__(
        self, site: Path, files: dict[str, str | None], cache: Cache | None, jobs: int, known: dict[str, bool]
    ) -> None:
        self.site, self.cache, self.output = site, cache, site / BUNDLES
        hashes, self.searchable = searchable(site, files, known)
        self.groups = sections(list(hashes))
        version = importlib.metadata.version("pagefind")
        self.keys = {
            name: sha256(
                "pagefind", version, CONFIG, name, [(relative, hashes[relative]) for relative in group]
            )
            for name, group in self.groups.items()
        }
        self.missing = self.place_stored_bundles()
        self.pool = ThreadPoolExecutor(max(1, jobs))
        self.running = start_bundles(self.pool, site, self.output, self.missing)

    def place_stored_bundles(self) -> dict[str, list[str]]:
        """Put each stored bundle in place; return the groups Pagefind must index."""
        self.output.mkdir(exist_ok=True)
        for entry in self.output.iterdir():
            if entry.name not in self.groups:  # a section gone, or bundles.json (written afresh)
                shutil.rmtree(entry) if entry.is_dir() else entry.unlink()
        missing = {}
        for name, group in self.groups.items():
            bundle = self.output / name
            stored = self.cache.path("search", self.keys[name]) if self.cache else None
            if stored is None or not stored.is_dir():
                shutil.rmtree(bundle, ignore_errors=True)
                missing[name] = group
            elif not same_tree(stored, bundle):
                shutil.rmtree(bundle, ignore_errors=True)
                copy_tree(stored, bundle)
        return missing

    def finish(self) -> set[str]:
        """Wait for Pagefind, store its bundles, list every bundle; return the cache keys used."""
        try:
            for future in self.running:
                future.result()
        finally:
            self.pool.shutdown()
        if self.cache:
            for name in self.missing:
                store(self.cache, self.keys[name], self.output / name)
        (self.output / "bundles.json").write_text(json.dumps([f"{name}/" for name in self.groups]), "utf-8")
        return set(self.keys.values())


def same_tree(stored: Path, bundle: Path) -> bool:
    """Whether ``bundle`` holds the stored bundle's files: the same names, and its entry file the
    very same file (a hard link). Pagefind names its other files after their content."""
    if not (bundle / ENTRY).is_file():
        return False
    same_entry = os.path.samestat(os.stat(bundle / ENTRY), os.stat(stored / ENTRY))
    return same_entry and file_names(bundle) == file_names(stored)


def file_names(folder: Path) -> set[str]:
    return {
        os.path.relpath(os.path.join(current, name), folder)
        for current, _, names in os.walk(folder)
        for name in names
    }


def glob(files: list[str]) -> str:
    """A Pagefind (Wax) pattern for the top-level files and folders ``files`` lie in."""
    tops = sorted({relative.split("/")[0] for relative in files})
    patterns = [top if top.endswith(".html") else f"{top}/**/*.html" for top in tops]
    return patterns[0] if len(patterns) == 1 else "{" + ",".join(patterns) + "}"


def start_bundles(pool: ThreadPoolExecutor, site: Path, output: Path, groups: dict[str, list[str]]) -> list:
    """Start indexing the groups, as many Pagefind processes at a time as the pool has threads
    and the page budget allows."""
    if not groups:
        return []
    executable = get_executable()
    if executable is None:
        raise click.ClickException(
            "pagefind is not installed: pip install pagefind[bin], or build with --no-search"
        )
    budget = Budget(PAGES_AT_ONCE)
    order = sorted(groups, key=lambda name: (-len(groups[name]), name))  # the largest first

    def index(name: str) -> None:
        with budget.take(len(groups[name])):
            write_bundle(executable, site, output / name, groups[name])

    return [pool.submit(index, name) for name in order]


class Budget:
    """At most ``limit`` pages in Pagefind processes at once; a bigger group runs alone."""

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


def write_bundle(executable: Path, site: Path, bundle: Path, files: list[str]) -> None:
    """One bundle from the command-line Pagefind.

    Its Python service waits a tenth of a second before reading each reply, which made an
    edit's re-index of one section take twice as long as the work itself.
    """
    command = [str(executable), "--site", str(site), "--glob", glob(files), "--output-path", str(bundle)]
    for selector in CONFIG["exclude_selectors"]:
        command += ["--exclude-selectors", selector]
    # Pagefind also reads settings from PAGEFIND_* variables and a pagefind.yml in its folder:
    # neither may change a build behind the cache's back.
    environment = {name: value for name, value in os.environ.items() if not name.startswith("PAGEFIND_")}
    done = subprocess.run(
        [*command, "--silent"],
        cwd=bundle.parent,
        env=environment,
        capture_output=True,
        text=True,
        check=False,
    )
    if done.returncode != 0:
        detail = (done.stderr or done.stdout).strip().splitlines()[-1:] or [f"exit status {done.returncode}"]
        raise click.ClickException(f"pagefind could not index {bundle.name}: {detail[0]}")


def store(cache: Cache, key: str, bundle: Path) -> None:
    stored = cache.writable_path("search", key)
    temporary = temporary_name(stored)
    shutil.rmtree(temporary, ignore_errors=True)
    copy_tree(bundle, temporary)
    if stored.exists():
        shutil.rmtree(temporary)
    else:
        os.replace(temporary, stored)
