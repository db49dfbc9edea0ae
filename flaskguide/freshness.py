"""When each page file last changed, as git knows it: one ``git log`` for the whole pages folder.

A page's "Updated" date is its front matter's ``updated``, else the day of the last commit that
touched its file (:attr:`flaskguide.pages.GuidePage.updated`). The dates are the committer's, in
the commit's own offset: the day the committer's clock showed, so a commit made at 23:30 in
Berlin is dated that day, on any machine a build runs on.

The dates depend on the history alone, so they are read once per commit (the repository's HEAD),
and kept in the build cache and, for ``serve``, in memory: a warm build runs one
``git rev-parse``. Without git, outside a repository or before its first commit there are no
dates, never an error: a tarball of the sources builds as well as a clone. In a shallow clone
the commit at its edge seems to add every file older than it, so a file last changed there has
no date rather than that commit's.
"""

from __future__ import annotations

import datetime
import os
import subprocess
import threading
import unicodedata
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Protocol

GIT_SECONDS = 120  # a git that takes longer is stuck (a lazy fetch, say): the build goes on without dates
# Each git setting that would change what log prints, set back to its default: a user's
# log.follow=true, with our one pathspec, would follow a single file's renames and drop the rest.
GIT_SETTINGS = ("core.quotePath=false", "log.follow=false", "log.showSignature=false")
GIT_ENVIRONMENT = {
    "GIT_TERMINAL_PROMPT": "0",  # never ask for a password
    "GIT_NO_LAZY_FETCH": "1",  # a partial clone must not fetch what it lacks, mid-build
    "GIT_OPTIONAL_LOCKS": "0",  # read only: take no lock another git could wait on
}
# A leading NUL before each commit's line: a NUL ends every file name, so an empty field is
# always followed by a commit (a name is never empty), whatever the names hold.
LOG_FORMAT = "--format=%x00%H %cI"
# Each commit's files by name (-z: raw bytes, any name), a rename as a deletion and an addition
# (the new name changed then), relative to the pages folder and only those in it.
LOG_OPTIONS = (LOG_FORMAT, "--name-only", "-z", "--no-renames", "--relative")


class FreshnessError(Exception):
    """Output of git log that is not as this module asks for it."""


@dataclass(frozen=True)
class History:
    """The history a folder's dates are read from: its HEAD commit and, in a shallow clone, the
    commits at its edge (which fetching more history changes, and HEAD does not)."""

    head: str
    shallow: tuple[str, ...] = ()

    def key(self) -> tuple:
        """A plain value the build cache compares (it pickles no class of this module)."""
        return (self.head, self.shallow)


class DateRecords(Protocol):
    """Where the dates are kept between runs (:class:`flaskguide.cache.PageRecords`)."""

    def commit_dates(self, root: str, history: tuple) -> dict[str, datetime.date] | None: ...
    def save_commit_dates(self, root: str, history: tuple, dates: dict[str, datetime.date]) -> None: ...


def run_git(root: str, *args: str) -> bytes | None:
    """What ``git -C root args`` prints; None when git is missing, fails, or takes too long."""
    command = ["git", "-C", root, "--no-pager"]
    for setting in GIT_SETTINGS:
        command += ["-c", setting]
    try:
        done = subprocess.run(
            [*command, *args],
            stdin=subprocess.DEVNULL,
            capture_output=True,
            timeout=GIT_SECONDS,
            env={**os.environ, **GIT_ENVIRONMENT},
            check=False,
        )
    except (OSError, subprocess.SubprocessError):  # no git on PATH, a folder gone, a timeout
        return None
    return done.stdout if done.returncode == 0 else None


def history_of(root: str) -> History | None:
    """The history of the repository ``root`` is in; None without git, a repository or a commit."""
    # One process: the path of the shallow file (a worktree keeps it in the main repository's
    # folder, which git knows) and the HEAD commit; an empty repository fails on HEAD.
    output = run_git(root, "rev-parse", "--git-path", "shallow", "--verify", "HEAD")
    lines = os.fsdecode(output).splitlines() if output else []
    if len(lines) != 2:
        return None
    shallow_file, head = lines
    return History(head, shallow_edge(os.path.join(root, shallow_file)))


def shallow_edge(path: str) -> tuple[str, ...]:
    """The commits listed in a shallow clone's ``shallow`` file; none for a full clone."""
    try:
        with open(path, encoding="ascii", errors="replace") as handle:
            return tuple(sorted(line.strip() for line in handle if line.strip()))
    except OSError:  # no such file: the history is whole
        return ()


def parse_log(output: bytes, edge: frozenset[str] = frozenset()) -> dict[str, datetime.date]:
    """Each file's date in ``git log --format=%x00%H %cI --name-only -z`` output: the date of the
    first commit (the newest) that names it. A file whose newest commit is at the ``edge`` of a
    shallow clone has no date: that commit only seems to add it."""
    dates: dict[str, datetime.date] = {}
    seen: set[str] = set()
    for commit, date, names in log_entries(output):
        for name in names:
            if name not in seen:
                seen.add(name)
                if commit not in edge:
                    dates[name] = date
    return dates


def log_entries(output: bytes) -> Iterator[tuple[str, datetime.date, list[str]]]:
    """Each commit in the output, newest first: its id, its date and the files it names."""
    fields = output.split(b"\0")
    at = 0
    while at < len(fields):
        if fields[at]:
            raise FreshnessError(f"expected a commit in git log's output, found {fields[at][:60]!r}")
        if at + 1 >= len(fields) or not fields[at + 1]:
            at += 1  # the empty field after the last name
            continue
        commit, date = commit_line(fields[at + 1])
        at += 2
        names = []
        while at < len(fields) and fields[at]:
            # A commit's names follow its line after one newline (merges have none).
            name = fields[at][1:] if not names and fields[at].startswith(b"\n") else fields[at]
            names.append(file_key(os.fsdecode(name)))
            at += 1
        yield commit, date, names


def commit_line(field: bytes) -> tuple[str, datetime.date]:
    """A commit's id and the day of its committer date, from ``<id> <ISO 8601 date>``."""
    commit, _, stamp = field.decode("ascii", "replace").partition(" ")
    try:
        return commit, datetime.datetime.fromisoformat(stamp).date()
    except ValueError:
        raise FreshnessError(f"not a commit and its date in git log's output: {field[:80]!r}") from None


def file_key(name: str) -> str:
    """How a file is looked up: relative to the pages folder, with '/', composed (NFC), since
    macOS may hand the same name over decomposed on disk and composed in git."""
    return unicodedata.normalize("NFC", name.replace(os.sep, "/"))


def read_dates(root: str, history: History) -> dict[str, datetime.date] | None:
    """Each file's date under ``root``, from one git log of ``history``'s HEAD; None on failure."""
    # The commit by its id, not HEAD: a commit made meanwhile must not be stored under the old one.
    output = run_git(root, "log", *LOG_OPTIONS, history.head, "--", ".")
    if output is None:
        return None
    try:
        return parse_log(output, frozenset(history.shallow))
    except FreshnessError:  # a git whose output this module cannot read: no dates, as without git
        return None


class CommitDates:
    """The dates of one pages folder, read once per history: from memory (``serve`` reloads the
    pages after every edit), else the build cache, else git."""

    def __init__(self) -> None:
        self.known: tuple[tuple, dict[str, datetime.date]] | None = None
        self.lock = threading.Lock()  # serve's threads may reload at once

    def of(self, root: str, records: DateRecords | None = None) -> dict[str, datetime.date]:
        """Each file's date (see :func:`file_key`); empty where git has none to give."""
        history = history_of(root)
        if history is None:
            return {}
        wanted = (root, history.key())
        with self.lock:
            if self.known and self.known[0] == wanted:
                return self.known[1]
            dates = records.commit_dates(root, history.key()) if records else None
            if dates is None:
                dates = read_dates(root, history)
                if dates is None:
                    return {}  # not kept: the next load asks git again
                if records:
                    records.save_commit_dates(root, history.key(), dates)
            self.known = (wanted, dates)
            return dates


def date_of(dates: dict[str, datetime.date], root: str, filename: str) -> datetime.date | None:
    """The date of the file ``filename`` under ``root``, if git has one."""
    if not dates:
        return None
    # The page store names every file root + "/" + its path: cut, rather than relpath (a tenth
    # of the time, for every page of every load).
    prefix = os.path.join(root, "")
    relative = filename[len(prefix) :] if filename.startswith(prefix) else os.path.relpath(filename, root)
    return dates.get(file_key(relative))
