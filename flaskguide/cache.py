"""The build cache: files and values stored under hashes of everything that produced them.

Every key covers :func:`code_digest` (this package, site.py and the libraries' versions), so a
record written by other code is never looked up; and any record that cannot be read back as
what it should be (truncated, garbage, a class since renamed) is a miss, never an error.
"""

from __future__ import annotations

import dataclasses
import datetime
import functools
import hashlib
import importlib.metadata
import json
import os
import pickle
import re
import shutil
import threading
import types
import typing
from collections.abc import Collection, Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from .errors import OutputError, disk_errors
from .markup import Rendered
from .sources import folder_digest  # engine.py keys templates/ and static/ with it

CACHE_VERSION = "1"
# Everything whose version can change a byte of the output.
LIBRARIES = (
    "flask",
    "werkzeug",
    "jinja2",
    "markupsafe",
    "markdown",
    "pygments",
    "nh3",
    "flask-flatpages",
    "frozen-flask",
    "pyyaml",
    "python-slugify",
    "pagefind",
)


def sha256(*parts: object) -> str:
    digest = hashlib.sha256()
    for part in parts:
        digest.update(part if isinstance(part, bytes) else repr(part).encode())
        digest.update(b"\0")
    return digest.hexdigest()


@functools.cache
def code_digest() -> str:
    """The engine's own code and the versions of the libraries that shape the HTML."""
    package = Path(__file__).parent
    versions = [importlib.metadata.version(name) for name in LIBRARIES]
    return sha256(CACHE_VERSION, versions, folder_digest(package), (package.parent / "site.py").read_bytes())


def files_under(
    folder: Path, skip: Collection[str] = (), only: str = ""
) -> Iterator[tuple[str, os.DirEntry]]:
    """Every file under ``folder``: its relative path and directory entry.

    ``skip`` names folders (relative paths) to leave out; ``only`` a folder to list alone.
    """
    if only and not (folder / only).is_dir():
        return
    pending = [(str(folder / only), f"{only}/") if only else (str(folder), "")]
    while pending:
        path, prefix = pending.pop()
        with os.scandir(path) as entries:
            for entry in entries:
                if not entry.is_dir(follow_symlinks=False):
                    yield prefix + entry.name, entry
                elif prefix + entry.name not in skip:
                    pending.append((entry.path, f"{prefix}{entry.name}/"))


def file_stats(folder: Path, skip: Collection[str] = (), only: str = "") -> dict[str, tuple]:
    """Every file under ``folder`` (see :func:`files_under`): (device, inode, size, modification time)."""
    stats = {}
    for name, entry in files_under(folder, skip, only):
        info = entry.stat(follow_symlinks=False)
        stats[name] = (info.st_dev, info.st_ino, info.st_size, info.st_mtime_ns)
    return stats


def file_names(folder: Path, skip: Collection[str] = ()) -> set[str]:
    """Every file under ``folder`` (see :func:`files_under`), by name alone: no stat of each file."""
    return {name for name, _ in files_under(folder, skip)}


def temporary_name(path: Path) -> Path:
    """A name beside ``path`` that no other process or thread writing the same file uses."""
    return path.with_name(f".{path.name}.{os.getpid()}.{threading.get_ident()}")


def link_or_copy(source: str | Path, target: str | Path) -> None:
    """Hard-link ``source`` at ``target``: the same bytes without a copy; copy across disks.
    Only for files no one writes while the link lives (the pages Pagefind reads in staging)."""
    try:
        os.link(source, target)
    except OSError:
        shutil.copy2(source, target)


COPYING_THREADS = 2  # copying is system calls, which threads make at once: 2.2 s to 1.3 s for 8,700 files


def copy_tree(source: Path, target: Path, skip: str = "", stop: threading.Event | None = None) -> None:
    """A copy of every file (but those in the top-level folder ``skip``): the output never shares
    an inode with the cache or another build, so an edit of one can never change the other. The
    folders first, then the files in threads; ``stop`` set, no more files are copied."""
    names = []
    for folder, subfolders, files in os.walk(source):
        relative = os.path.relpath(folder, source)
        if relative == ".":
            subfolders[:] = [name for name in subfolders if name != skip]
        os.makedirs(os.path.join(target, relative), exist_ok=True)
        names += [os.path.join(relative, name) for name in files]

    def copy(name: str) -> None:
        if stop is None or not stop.is_set():
            shutil.copyfile(source / name, target / name)

    pool = ThreadPoolExecutor(COPYING_THREADS)
    try:  # the first error in a thread is raised here; what was not started then never starts
        list(pool.map(copy, names))
    finally:
        pool.shutdown(cancel_futures=True)


# A stored file starts with this line and the SHA-256 of the bytes after it: a file damaged in
# the cache is found when it is read, and made again.
RECORD_HEADER = b"flaskguide record sha256 "
SUMS = ".sums.json"  # in a stored folder (a search bundle): each file's SHA-256
CACHE_TAG = "CACHEDIR.TAG"  # https://bford.info/cachedir/: marks a folder this cache made
CACHE_TAG_TEXT = (
    "Signature: 8a477f597d28d172789f06886806bc55\n"
    "# The build cache of a flaskguide site (python site.py build). Deleting it is always safe.\n"
)
KINDS = ("responses", "markdown", "search", "manifests", "files")
KEY = re.compile(r"[0-9a-f]{64}")


class Cache:
    """Files stored under the key of what produced them, in ``folder/<kind>/<ab>/<key>``.

    The cache writes only into a folder it made (marked by ``CACHEDIR.TAG``) or an empty one,
    and deletes only entries named as it names them: never a file it did not write.
    """

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.folders: set[Path] = set()
        self.claimed = False

    def claim(self) -> None:
        """Make sure the folder is this cache's before anything is written into it."""
        if self.claimed:
            return
        with disk_errors(self.folder, "the build cache"):
            if self.folder.is_dir() and not is_cache(self.folder):
                raise OutputError(
                    f"{self.folder}: refusing to use it as the build cache: it holds files the cache "
                    "did not write. Choose an empty or new folder with --cache"
                )
            self.folder.mkdir(parents=True, exist_ok=True)
            tag = self.folder / CACHE_TAG
            if not tag.is_file():
                tag.write_text(CACHE_TAG_TEXT, "utf-8")
        self.claimed = True

    def path(self, kind: str, key: str) -> Path:
        return self.folder / kind / key[:2] / key

    def writable_path(self, kind: str, key: str) -> Path:
        """Like :meth:`path`, with its folder made (once: a mkdir per file is slow on some disks)."""
        self.claim()
        path = self.path(kind, key)
        if path.parent not in self.folders:
            path.parent.mkdir(parents=True, exist_ok=True)
            self.folders.add(path.parent)
        return path

    def copy_response(self, key: str, target: Path) -> bool:
        """Write the stored response for ``key`` at ``target``; False if there is none, or the
        stored file is damaged (it is removed, and the URL rendered again)."""
        source = self.path("responses", key)
        try:
            data = source.read_bytes()
        except OSError:  # missing, or unreadable: a miss
            return False
        body = verified(data)
        if body is None:  # damaged since it was stored
            source.unlink(missing_ok=True)
            return False
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(body)
        return True

    def store_response(self, key: str, source: Path) -> None:
        self.write("responses", key, source.read_bytes())

    def write(self, kind: str, key: str, data: bytes) -> None:
        """Store ``data`` with its hash, whole or not at all: a failed write (a full disk)
        leaves nothing behind, and a file damaged later is a miss when read."""
        data = RECORD_HEADER + hashlib.sha256(data).hexdigest().encode() + b"\n" + data
        with disk_errors(self.folder, "the build cache"):
            destination = self.writable_path(kind, key)
            temporary = temporary_name(destination)
            try:
                temporary.write_bytes(data)
                # Read-only: a stored file must never be edited in place.
                os.chmod(temporary, 0o444)
                os.replace(temporary, destination)
            finally:
                temporary.unlink(missing_ok=True)

    def store_tree(self, kind: str, key: str, folder: Path) -> None:
        """Store a copy of ``folder`` with each file's hash (see :meth:`copy_tree_into`)."""
        with disk_errors(self.folder, "the build cache"):
            stored = self.writable_path(kind, key)
            temporary = temporary_name(stored)
            shutil.rmtree(temporary, ignore_errors=True)
            try:
                copy_tree(folder, temporary)
                sums = {name: file_sha(temporary / name) for name in sorted(file_names(temporary))}
                (temporary / SUMS).write_text(json.dumps(sums), "utf-8")
                if not stored.exists():
                    os.replace(temporary, stored)
            finally:
                shutil.rmtree(temporary, ignore_errors=True)

    def tree_sums(self, kind: str, key: str) -> dict[str, str] | None:
        """The files of a stored folder with their hashes; None if there is none to read."""
        try:
            sums = json.loads((self.path(kind, key) / SUMS).read_text("utf-8"))
        except (OSError, ValueError):
            return None
        return sums if isinstance(sums, dict) else None

    def copy_tree_into(
        self, kind: str, key: str, target: Path, sums: dict[str, str]
    ) -> dict[str, str] | None:
        """Copy a stored folder to ``target``, checking every file against ``sums`` (its
        :meth:`tree_sums`); return the sums, or None when it is damaged (then it is removed, and
        nothing is left at ``target``)."""
        stored = self.path(kind, key)
        if file_names(stored) != {*sums, SUMS}:
            shutil.rmtree(stored, ignore_errors=True)
            return None
        for name, digest in sums.items():
            try:
                data = (stored / name).read_bytes()
            except OSError:
                data = None
            if data is None or hashlib.sha256(data).hexdigest() != digest:
                shutil.rmtree(stored, ignore_errors=True)
                shutil.rmtree(target, ignore_errors=True)
                return None
            (target / name).parent.mkdir(parents=True, exist_ok=True)
            (target / name).write_bytes(data)
        return sums

    def load(self, kind: str, key: str, expected: type) -> object | None:
        """The value stored under ``key`` if it is a well-formed ``expected``; None for anything else."""
        try:
            value = pickle.loads(verified(self.path(kind, key).read_bytes()))
        except Exception:  # missing, damaged, garbage, or naming a class that is gone: a miss
            return None
        return value if isinstance(value, expected) and well_formed(value) else None

    def save(self, kind: str, key: str, value: object) -> None:
        self.write(kind, key, pickle.dumps(value, protocol=pickle.HIGHEST_PROTOCOL))

    def remove(self, kind: str, keys: set[str]) -> None:
        """Delete the entries stored under ``keys``, where there are any."""
        for key in keys:
            if KEY.fullmatch(key):
                remove_entry(self.path(kind, key))

    def prune(self, kind: str, keep: set[str]) -> int:
        """Delete what this build did not use, so the cache stays the size of one site. Only
        entries named as the cache names them are looked at."""
        removed = 0
        for stored in (self.folder / kind).glob("*/*"):
            if is_entry(stored) and stored.name not in keep:
                remove_entry(stored)
                removed += 1
        return removed


def is_cache(folder: Path) -> bool:
    """Whether ``folder`` may be used as the cache: made by it, empty, or (from before the
    cache marked its folder) holding only the cache's own folders."""
    if (folder / CACHE_TAG).is_file():
        return True
    return all(entry.name in KINDS or entry.name == ".lock" for entry in folder.iterdir())


def is_entry(path: Path) -> bool:
    """Whether ``path`` is named as the cache names its entries: ``<kind>/<ab>/<key>``."""
    return KEY.fullmatch(path.name) is not None and path.parent.name == path.name[:2]


def remove_entry(stored: Path) -> None:
    if stored.is_dir() and not stored.is_symlink():
        shutil.rmtree(stored, ignore_errors=True)
    else:
        stored.unlink(missing_ok=True)


def verified(data: bytes) -> bytes | None:
    """The body of a stored file, if its hash is as stored; None for a damaged file."""
    header, newline, body = data.partition(b"\n")
    if not newline or not header.startswith(RECORD_HEADER):
        return None
    return body if hashlib.sha256(body).hexdigest().encode() == header[len(RECORD_HEADER) :] else None


def file_sha(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


class PageRecords:
    """What the page store keeps between runs: its reading of each page file (front matter and
    hash, by the file's identity), each body's rendered Markdown and the day git last saw each
    file change (by the commit the history ends at)."""

    def __init__(self, cache: Cache) -> None:
        self.cache = cache

    def readings_key(self, root: str, limits: object) -> str:
        # A page read under other limits was checked against them: read it again.
        return sha256("front matter", code_digest(), root, limits)

    def readings(self, root: str, limits: object) -> dict:
        """The last reading of each file under ``root`` (only entries of the right shape)."""
        stored = self.cache.load("files", self.readings_key(root, limits), dict) or {}
        return {name: reading for name, reading in stored.items() if is_reading(reading)}

    def save_readings(self, root: str, limits: object, readings: dict) -> None:
        self.cache.save("files", self.readings_key(root, limits), readings)

    def commit_dates_key(self, root: str) -> str:
        # One entry per pages folder, holding the history it was read from: keyed by the commit
        # itself, the "files" records (never pruned) would gain an entry with every commit.
        return sha256("commit dates", code_digest(), root)

    def commit_dates(self, root: str, history: tuple) -> dict[str, datetime.date] | None:
        """The dates stored for ``root`` if they were read from ``history``; None otherwise."""
        match self.cache.load("files", self.commit_dates_key(root), tuple):
            case (stored, dict() as dates) if stored == history:
                return {name: day for name, day in dates.items() if is_day(name, day)}
        return None

    def save_commit_dates(self, root: str, history: tuple, dates: dict[str, datetime.date]) -> None:
        self.cache.save("files", self.commit_dates_key(root), (history, dates))

    def markdown(self, source: str, trust_html: bool) -> Rendered | None:
        return self.cache.load("markdown", markdown_key(source, trust_html), Rendered)

    def save_markdown(self, source: str, trust_html: bool, rendered: Rendered) -> None:
        self.cache.save("markdown", markdown_key(source, trust_html), rendered)


def markdown_key(source: str, trust_html: bool) -> str:
    """Rendered Markdown is stored under a hash of what it is made from (the page's
    ``rendering_source``: its file's hash and its title) and of everything rendering it."""
    # The whole file's hash stands for the body's: no need to read the file to know it.
    return sha256(code_digest(), trust_html, source)


def well_formed(record: object) -> bool:
    """Whether a dataclass record has every field, each of its declared type (records in it
    checked alike; the items of containers are not)."""
    if not dataclasses.is_dataclass(record):
        return True
    hints = type_hints(type(record))
    return all(
        hasattr(record, field.name) and of_type(getattr(record, field.name), hints[field.name])
        for field in dataclasses.fields(record)
    )


type_hints = functools.cache(typing.get_type_hints)  # a record's class, read once per process


def of_type(value: object, hint: object) -> bool:
    if isinstance(hint, types.UnionType):
        return any(of_type(value, choice) for choice in typing.get_args(hint))
    kind = typing.get_origin(hint) or hint
    if not isinstance(kind, type):
        return True  # a hint no isinstance can check
    return isinstance(value, kind) and well_formed(value)


def is_reading(value: object) -> bool:
    """Whether ``value`` is a reading as the page store makes them: ((version, read at), meta, hash)."""
    match value:
        case ((tuple(), int()), dict(), str()):
            return True
    return False


def is_day(name: object, day: object) -> bool:
    """Whether a stored file date is as git's dates are kept: a file name and a date (not a time)."""
    return isinstance(name, str) and type(day) is datetime.date
