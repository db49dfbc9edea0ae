"""The build cache: files and values stored under hashes of everything that produced them.

Every key covers :func:`code_digest` (this package, site.py and the libraries' versions), so a
record written by other code is never looked up; and any record that cannot be read back as
what it should be (truncated, garbage, a class since renamed) is a miss, never an error.
"""

from __future__ import annotations

import dataclasses
import functools
import hashlib
import importlib.metadata
import os
import pickle
import shutil
import threading
import types
import typing
from collections.abc import Collection, Iterator
from pathlib import Path

from .markup import Rendered

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


def folder_digest(folder: str | Path) -> str:
    """A hash of every file's name and bytes under ``folder``, in a stable order."""
    digest = hashlib.sha256()
    for current, subfolders, filenames in os.walk(folder):
        subfolders[:] = sorted(name for name in subfolders if name != "__pycache__")
        for name in sorted(filenames):
            path = os.path.join(current, name)
            digest.update(os.path.relpath(path, folder).encode() + b"\0")
            with open(path, "rb") as handle:
                digest.update(handle.read())
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


def file_inodes(folder: Path, skip: Collection[str] = ()) -> dict[str, tuple[int, int]]:
    """Every file under ``folder`` (see :func:`files_under`): (device, inode), which the
    directory listing gives without a stat of each file."""
    device = os.stat(folder).st_dev
    return {name: (device, entry.inode()) for name, entry in files_under(folder, skip)}


def temporary_name(path: Path) -> Path:
    """A name beside ``path`` that no other process or thread writing the same file uses."""
    return path.with_name(f".{path.name}.{os.getpid()}.{threading.get_ident()}")


def link_or_copy(source: str | Path, target: str | Path) -> None:
    """Hard-link ``source`` at ``target``: the same bytes without a copy; copy across disks."""
    try:
        os.link(source, target)
    except OSError:
        shutil.copy2(source, target)


def copy_tree(source: Path, target: Path) -> None:
    shutil.copytree(source, target, copy_function=link_or_copy)


class Cache:
    """Files stored under the key of what produced them, in ``folder/<kind>/<ab>/<key>``."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.folders: set[Path] = set()

    def path(self, kind: str, key: str) -> Path:
        return self.folder / kind / key[:2] / key

    def writable_path(self, kind: str, key: str) -> Path:
        """Like :meth:`path`, with its folder made (once: a mkdir per file is slow on some disks)."""
        path = self.path(kind, key)
        if path.parent not in self.folders:
            path.parent.mkdir(parents=True, exist_ok=True)
            self.folders.add(path.parent)
        return path

    def link_into(self, key: str, target: Path, current: tuple | None) -> bool:
        """Put the stored response for ``key`` at ``target``; False if there is none.

        ``current`` is the identity of the file already at ``target`` (see :func:`file_stats`):
        when it is the stored file itself, there is nothing to do.
        """
        source = self.path("responses", key)
        try:
            stored = os.stat(source)
        except FileNotFoundError:
            return False
        if current is not None and current[:2] == (stored.st_dev, stored.st_ino):
            return True
        if current is not None:
            target.unlink()
        else:
            target.parent.mkdir(parents=True, exist_ok=True)
        link_or_copy(source, target)
        return True

    def store(self, kind: str, key: str, source: Path) -> None:
        destination = self.writable_path(kind, key)
        temporary = temporary_name(destination)
        link_or_copy(source, temporary)
        # Read-only: the file is shared with builds, and must never be edited in place there.
        os.chmod(temporary, 0o444)
        os.replace(temporary, destination)

    def load(self, kind: str, key: str, expected: type) -> object | None:
        """The value stored under ``key`` if it is a well-formed ``expected``; None for anything else."""
        try:
            with open(self.path(kind, key), "rb") as handle:
                value = pickle.load(handle)
        except Exception:  # missing, truncated, garbage, or naming a class that is gone: a miss
            return None
        return value if isinstance(value, expected) and well_formed(value) else None

    def save(self, kind: str, key: str, value: object) -> None:
        destination = self.writable_path(kind, key)
        temporary = temporary_name(destination)
        with open(temporary, "wb") as handle:
            pickle.dump(value, handle, protocol=pickle.HIGHEST_PROTOCOL)
        os.replace(temporary, destination)

    def remove(self, kind: str, keys: set[str]) -> None:
        """Delete the entries stored under ``keys``, where there are any."""
        for key in keys:
            stored = self.path(kind, key)
            if stored.is_dir():
                shutil.rmtree(stored, ignore_errors=True)
            else:
                stored.unlink(missing_ok=True)

    def prune(self, kind: str, keep: set[str]) -> int:
        """Delete what this build did not use, so the cache stays the size of one site."""
        removed = 0
        for stored in (self.folder / kind).glob("*/*"):
            if stored.name not in keep:
                if stored.is_dir():
                    shutil.rmtree(stored, ignore_errors=True)
                else:
                    stored.unlink(missing_ok=True)
                removed += 1
        return removed


class PageRecords:
    """What the page store keeps between runs: its reading of each page file (front matter and
    hash, by the file's identity) and each body's rendered Markdown."""

    def __init__(self, cache: Cache) -> None:
        self.cache = cache

    def readings_key(self, root: str) -> str:
        return sha256("front matter", code_digest(), root)

    def readings(self, root: str) -> dict:
        """The last reading of each file under ``root`` (only entries of the right shape)."""
        stored = self.cache.load("files", self.readings_key(root), dict) or {}
        return {name: reading for name, reading in stored.items() if is_reading(reading)}

    def save_readings(self, root: str, readings: dict) -> None:
        self.cache.save("files", self.readings_key(root), readings)

    def markdown(self, source_sha: str, trust_html: bool) -> Rendered | None:
        return self.cache.load("markdown", markdown_key(source_sha, trust_html), Rendered)

    def save_markdown(self, source_sha: str, trust_html: bool, rendered: Rendered) -> None:
        self.cache.save("markdown", markdown_key(source_sha, trust_html), rendered)


def markdown_key(source_sha: str, trust_html: bool) -> str:
    """Rendered Markdown is stored under a hash of the file and of everything rendering it."""
    # The whole file's hash stands for the body's: no need to read the file to know it.
    return sha256(code_digest(), trust_html, source_sha)


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
