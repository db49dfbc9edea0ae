"""The errors a user can cause, and can fix. Library code raises them; the command line
(``site.py``) turns them into messages, and ``serve`` shows them in the browser.

Each problem is one line that names the file (and line) where it is, what is wrong and what
to do: ``pages/why.md:3: date "2024-13-45" is not a valid date (use YYYY-MM-DD)``.
"""

from __future__ import annotations

import errno
import os
import traceback
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import jinja2


def shown_name(text: str) -> str:
    """A name as a one-line message can show it: control characters and bytes that are not
    UTF-8 written as escapes (``a\\tb``, ``\\xff``), never raw."""
    escaped = text.encode("utf-8", "surrogateescape").decode("utf-8", "backslashreplace")
    return "".join(
        character if character.isprintable() or character == " " else repr(character)[1:-1]
        for character in escaped
    )


class SiteError(Exception):
    """Something in the sources or the command that stops a build; one line per problem."""

    def __init__(self, problems: list[str] | str) -> None:
        self.problems = [problems] if isinstance(problems, str) else list(problems)
        super().__init__("\n".join(self.problems))

    def report(self) -> str:
        """The message a user reads."""
        return str(self)


class SourceProblems(SiteError):
    """Problems in the pages (or what ``check`` found in the built site): all of them, counted."""

    def report(self) -> str:
        noun = "problem" if len(self.problems) == 1 else "problems"
        return f"{len(self.problems)} {noun} found:\n" + "\n".join(self.problems)


class RenderError(SiteError):
    """A URL could not be rendered: a template's file and line, or the URL and its traceback."""


class OutputError(SiteError):
    """The output folder cannot be written: it holds sources, another build has it, and so on."""


# What a full or read-only disk, or a folder the build may not write, is called, and what to do.
DISK_PROBLEMS = {
    errno.ENOSPC: "the disk is full: free some space, then build again",
    errno.EDQUOT: "the disk quota is used up: free some space, then build again",
    errno.EFBIG: "a file grew larger than this system allows a file to be",
    errno.EROFS: "is on a read-only file system: choose a writable folder",
    errno.EACCES: "permission denied: choose a folder you may write, or change its permissions",
    errno.EPERM: "permission denied: choose a folder you may write, or change its permissions",
}


def disk_problem(error: OSError, where: Path | str, what: str) -> OutputError | None:
    """The one line a user reads for a disk that is full or cannot be written; None for any
    other error. ``where`` is the folder being written (``what`` says which: the output, the
    build cache), named when the error itself names no file."""
    problem = DISK_PROBLEMS.get(error.errno)
    if problem is None:
        return None
    path = error.filename or where
    return OutputError(f"{path}: cannot write {what} ({os.strerror(error.errno)}): {problem}")


@contextmanager
def disk_errors(where: Path | str, what: str) -> Iterator[None]:
    """Turn a full, read-only or forbidden disk met inside the block into :class:`OutputError`."""
    try:
        yield
    except OSError as error:
        problem = disk_problem(error, where, what)
        if problem is None:
            raise
        raise problem from None


class SearchError(SiteError):
    """The search index could not be built."""


class PageProblem(Exception):
    """One thing wrong with one page file, at a line (0 where no line applies)."""

    def __init__(self, line: int, message: str) -> None:
        self.line = line
        super().__init__(message)

    def __reduce__(self) -> tuple:
        # Its own arguments, so that it crosses from a worker process whole.
        return type(self), (self.line, str(self))


class ProblemGroup(Exception):
    """Several problems in one file."""

    def __init__(self, problems: list[PageProblem]) -> None:
        self.problems = problems
        super().__init__("; ".join(str(problem) for problem in problems))


def template_problem(error: jinja2.TemplateError, folders: list[str], root: str) -> str:
    """Name the template file (under one of ``folders``, shown relative to ``root``) and the
    line of a Jinja error."""
    prefixes = tuple(os.path.join(folder, "") for folder in folders)
    where = [
        (frame.filename, frame.lineno)
        for frame in traceback.extract_tb(error.__traceback__)
        if frame.filename.startswith(prefixes)
    ]
    if isinstance(error, jinja2.TemplateSyntaxError) and error.filename:
        where.append((error.filename, error.lineno))
    if not where:
        return f"template error: {error.message}"
    filename, line = where[-1]
    return f"{os.path.relpath(filename, root)}:{line}: {error.message}"
