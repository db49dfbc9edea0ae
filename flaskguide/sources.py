"""Which files of a source folder (``pages/``, ``templates/``, ``static/``) the site uses: one set
of rules, read by everything that reads those folders.

Hidden files and the files editors and tools leave behind are never used, and never a problem.
A symlink to a file inside its own folder is followed; one that leads out of the folder, or
nowhere, or to a folder (whose files would then have two names) is left out and named in a
problem, as in pages/. The static view, the freezer's list of static URLs, the template loader,
the build cache's digests and ``serve``'s reload all ask here: a file one of them uses is a file
all of them use, and a file none of them may use is never read.
"""

from __future__ import annotations

import hashlib
import os
from dataclasses import dataclass, field

import jinja2
from flask import Flask

from .errors import shown_name

IGNORED_PREFIXES = (".", "#")  # .git/, .DS_Store, Emacs locks (.#x) and autosaves (#x#)
IGNORED_SUFFIXES = ("~", "#", ".swp", ".swx", ".tmp")  # backups, Vim swap files, half-written files
IGNORED_NAMES = frozenset({"__pycache__"})  # Python's bytecode: the package's digest must not see it


def is_ignored(name: str) -> bool:
    """Hidden files and the files editors leave behind: never published, never fatal."""
    return name.startswith(IGNORED_PREFIXES) or name.endswith(IGNORED_SUFFIXES) or name in IGNORED_NAMES


def folder_name(folder: str) -> str:
    """A source folder as an author knows it: ``static`` for ``/home/me/guide/static``."""
    return shown_name(os.path.basename(os.path.normpath(folder)))


def link_refusal(path: str, root: str, shown_root: str) -> str | None:
    """Why the symlink at ``path`` may not be used, as the end of a message: it leads nowhere, or
    out of ``root`` (a real path), whose name an author knows as ``shown_root``. None when it may
    be used, or is no symlink. The page store's rule too."""
    if not os.path.islink(path):
        return None
    target = os.path.realpath(path)
    if not os.path.exists(target):
        return "is a symlink to a missing file"
    if os.path.commonpath([target, root]) != root:
        return f"is a symlink to {shown_name(target)}, outside {shown_root}/: copy the file in instead"
    return None


def alias_refusal(path: str, root: str, shown_root: str) -> str | None:
    """Why a symlink to a folder inside ``root`` may not be used: as in pages/, every file in it
    would have two names (and a link to a folder above it would make names without end)."""
    if not (os.path.islink(path) and os.path.isdir(path)):
        return None
    inside = os.path.relpath(os.path.realpath(path), root)
    target = shown_root if inside == "." else f"{shown_root}/{shown_name(inside)}"
    return (
        f"is a symlink to {target}/, inside {shown_root}/, so every file in it would have two names: "
        "remove the link"
    )


def not_utf8(name: str) -> str | None:
    """Why a name that is not UTF-8 may not be used: no URL can name it."""
    try:
        name.encode("utf-8")
    except UnicodeEncodeError:
        return "has a name that is not UTF-8, which no URL can hold: rename it"
    return None


def refusal(path: str, root: str, shown_root: str) -> str | None:
    """Why the entry at ``path`` may not be used, as the end of a message; None when it may."""
    return link_refusal(path, root, shown_root) or alias_refusal(path, root, shown_root)


@dataclass
class SourceFiles:
    """The files of a folder the site uses, and why any others were left out."""

    # Relative and "/"-separated; each folder's files by name, then each subfolder's (os.walk's
    # order, in which the build cache has always hashed them).
    names: list[str] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)  # one line each: ``static/x: what is wrong``


def source_files(folder: str | os.PathLike) -> SourceFiles:
    """Every file under ``folder`` the site may use (none when there is no such folder)."""
    folder = os.fspath(folder)
    found = SourceFiles()
    if os.path.isdir(folder):
        collect(folder, "", os.path.realpath(folder), found)
    return found


def collect(folder: str, relative: str, root: str, found: SourceFiles) -> None:
    """Add to ``found`` the usable files of ``folder/relative`` and of its subfolders (``root`` is
    the real path of ``folder``). No symlinked folder is followed, so the walk always ends."""
    here, shown_root = os.path.join(folder, relative), folder_name(folder)
    try:
        names = sorted(os.listdir(here))
    except FileNotFoundError:  # removed while being walked: it has no files now
        return
    except OSError as error:
        found.problems.append(f"{shown_root}/{shown_name(relative)}: cannot be read ({error.strerror})")
        return
    subfolders = []
    for name in names:
        if is_ignored(name):
            continue
        path = os.path.join(here, name)
        refused = refusal(path, root, shown_root) or not_utf8(name)
        if refused:
            found.problems.append(f"{shown_root}/{shown_name(relative + name)}: {refused}")
        elif os.path.isdir(path):
            subfolders.append(name)
        elif os.path.isfile(path):  # not a socket or a pipe, which would hang a reader
            found.names.append(relative + name)
    for name in subfolders:
        collect(folder, f"{relative}{name}/", root, found)


def allows(folder: str | os.PathLike, name: str) -> bool:
    """Whether ``name`` (relative, "/"-separated) is a file of ``folder`` the site may use: the
    rules of :func:`source_files` for one file, without walking the whole folder."""
    folder = os.fspath(folder)
    parts = name.split("/")
    if not all(parts) or any(is_ignored(part) for part in parts):  # ".." is hidden too
        return False
    root, path = "", folder
    for part in parts:
        path = os.path.join(path, part)
        if os.path.islink(path):  # the folder's real path is needed only then: url_for asks often
            root = root or os.path.realpath(folder)
            if refusal(path, root, "") is not None:
                return False
    return os.path.isfile(path)


def folder_digest(folder: str | os.PathLike) -> str:
    """A hash of the name and bytes of every file under ``folder`` the site uses, in a stable order."""
    digest = hashlib.sha256()
    for name in source_files(folder).names:
        try:
            with open(os.path.join(folder, name), "rb") as handle:
                data = handle.read()
        except FileNotFoundError:  # removed since the walk: as if the walk had not seen it
            continue
        digest.update(os.fsencode(name) + b"\0")
        digest.update(data)
    return digest.hexdigest()


def source_folders(app: Flask) -> list[str]:
    """The folders of templates and of static files ``app`` reads, pages aside."""
    folders = list(getattr(app.jinja_loader, "searchpath", []))
    return [*folders, app.static_folder] if app.static_folder else folders


def check_sources(app: Flask) -> list[str]:
    """What is wrong in ``app``'s templates and static files: a symlink out of its folder, to
    nothing, or to a folder (an ignored file is never wrong)."""
    return [problem for folder in source_folders(app) for problem in source_files(folder).problems]


class SourceLoader(jinja2.FileSystemLoader):
    """Templates by name, by the same rules: a hidden file, an editor's leftover or a symlink out
    of its folder is no template, even when a template names it."""

    def get_source(self, environment: jinja2.Environment, template: str) -> tuple:
        for folder in self.searchpath:
            if os.path.lexists(os.path.join(folder, template)):
                # The folder FileSystemLoader would read it from decides.
                if not allows(folder, template):
                    raise jinja2.TemplateNotFound(template)
                break
        return super().get_source(environment, template)

    def list_templates(self) -> list[str]:
        usable = {name for folder in self.searchpath for name in source_files(folder).names}
        return sorted(usable & set(super().list_templates()))
