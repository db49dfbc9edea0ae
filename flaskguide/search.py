"""The search index: Pagefind, run on the frozen HTML, one bundle per section of the site.

Pagefind holds a whole index in memory while it builds it (about 0.3 GB per 1,000 pages here),
and rebuilds all of it for any change. Indexing each large section on its own bounds the memory
by the largest section, and lets an unchanged section reuse its stored bundle. The search page
loads the first bundle and merges the others (``pagefind.mergeIndex``), listed in
``pagefind/bundles.json``.
"""

from __future__ import annotations

import asyncio
import importlib.metadata
import json
import os
import shutil
from collections import defaultdict
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import click
from pagefind.service import PagefindService

from .cache import Cache, copy_tree, sha256, temporary_name

BUNDLES = "pagefind"
SECTION_SIZE = 100  # a top-level folder with this many pages or more gets a bundle of its own
MARKER = b"data-pagefind-body"  # only pages that mark their body are searchable
CONFIG = {"exclude_selectors": [".heading-link"]}  # "#" anchors would show in excerpts


def searchable(site: Path) -> dict[str, str]:
    """The HTML files with a body to index, relative to ``site``, with a hash of each."""
    found = {}
    for path in sorted(site.rglob("*.html")):
        relative = path.relative_to(site).as_posix()
        data = path.read_bytes()
        if not relative.startswith(f"{BUNDLES}/") and MARKER in data:
            found[relative] = sha256(data)
    return found


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


def index_site(site: Path, cache: Cache | None, jobs: int = 1) -> set[str]:
    """Write ``site/pagefind/``: a bundle per group and the list of bundles; return cache keys used."""
    hashes = searchable(site)
    groups = sections(list(hashes))
    version = importlib.metadata.version("pagefind")
    keys = {
        name: sha256("pagefind", version, CONFIG, name, [(relative, hashes[relative]) for relative in files])
        for name, files in groups.items()
    }
    output = site / BUNDLES
    missing = {}
    for name, files in groups.items():
        stored = cache.path("search", keys[name]) if cache else None
        if stored is not None and stored.is_dir():
            copy_tree(stored, output / name)
        else:
            missing[name] = files
    if missing:
        # In a thread of its own: the caller may already run an event loop (Playwright's does).
        with ThreadPoolExecutor(1) as thread:
            thread.submit(asyncio.run, write_bundles(site, output, missing, jobs)).result()
        if cache:
            for name in missing:
                store(cache, keys[name], output / name)
    output.mkdir(exist_ok=True)
    (output / "bundles.json").write_text(json.dumps([f"{name}/" for name in groups]), "utf-8")
    return set(keys.values())


def glob(files: list[str]) -> str:
    """A Pagefind (Wax) pattern for the top-level files and folders ``files`` lie in."""
    tops = sorted({relative.split("/")[0] for relative in files})
    patterns = [top if top.endswith(".html") else f"{top}/**/*.html" for top in tops]
    return patterns[0] if len(patterns) == 1 else "{" + ",".join(patterns) + "}"


async def write_bundles(site: Path, output: Path, groups: dict[str, list[str]], jobs: int) -> None:
    """Index the groups in ``jobs`` Pagefind services at once (each indexes on one core)."""
    shares: list[dict[str, list[str]]] = [{} for _ in range(max(1, min(jobs, len(groups))))]
    for name in sorted(groups, key=lambda name: -len(groups[name])):  # the largest first, to the lightest
        min(shares, key=lambda share: sum(map(len, share.values())))[name] = groups[name]
    await asyncio.gather(*(write_share(site, output, share) for share in shares))


async def write_share(site: Path, output: Path, groups: dict[str, list[str]]) -> None:
    """Index each group in turn in one Pagefind service, freeing each index once written."""
    async with PagefindService() as service:
        for name, files in groups.items():
            try:
                index = await service.create_index(CONFIG)
                # Pagefind reads the files itself: much faster than sending each one over its pipe.
                await index.add_directory(str(site), glob=glob(files))
                await index.write_files(output_path=str(output / name))
                await index.delete_index()
            except Exception as error:
                raise click.ClickException(f"pagefind could not index {name}: {error}") from None


def store(cache: Cache, key: str, bundle: Path) -> None:
    stored = cache.writable_path("search", key)
    temporary = temporary_name(stored)
    shutil.rmtree(temporary, ignore_errors=True)
    copy_tree(bundle, temporary)
    if stored.exists():
        shutil.rmtree(temporary)
    else:
        os.replace(temporary, stored)
