"""The page store: Flask-FlatPages, with every file validated and every problem named."""

from __future__ import annotations

import datetime
import hashlib
import os
import sys
import threading
import time
from collections.abc import Iterator
from functools import cached_property
from pathlib import Path

import click
from flask import current_app
from flask_flatpages import FlatPages, Page

from . import frontmatter
from . import tags as tagging
from .cache import Cache, code_digest, sha256
from .frontmatter import PageProblem, ProblemGroup
from .markup import Renderer, summary


class SiteError(click.ClickException):
    """Problems in the sources a user can fix; each line names the file (and line)."""

    def __init__(self, problems: list[str]) -> None:
        self.problems = problems
        super().__init__("\n".join(problems))

    def format_message(self) -> str:
        noun = "problem" if len(self.problems) == 1 else "problems"
        return f"{len(self.problems)} {noun} found:\n" + "\n".join(self.problems)


def is_ignored(name: str) -> bool:
    """Hidden files and the files editors leave behind: never published, never fatal."""
    return name.startswith((".", "#")) or name.endswith(("~", "#", ".swp", ".swx", ".tmp"))


def url_path(page_path: str) -> str:
    """Turn a page path such as ``structure/index`` into its URL path ``structure``."""
    if page_path == "index":
        return ""
    return page_path.removesuffix("/index")


def sort_key(page: Page) -> tuple:
    return (page.meta.get("order", sys.maxsize), page.meta["title"].casefold(), page.path)


# "?" and "#" end a URL's path, and browsers read a backslash as "/".
NOT_IN_URLS = set("?#\\")
RACY_NS = 2_000_000_000  # file times are coarser than a nanosecond: see unchanged()


def unchanged(seen: tuple, version: tuple) -> bool:
    """Whether a file read before is still as it was then.

    Its times, size and inode must match; and, as git does for its index, a file modified
    within two seconds of the reading is read again, since a same-size edit made in the same
    clock tick would leave all of those the same.
    """
    (before, read_at) = seen
    return before == version and version[0] < read_at - RACY_NS


def today() -> datetime.date:
    """Today, or the day SOURCE_DATE_EPOCH names, so a rebuild of old sources matches."""
    epoch = os.environ.get("SOURCE_DATE_EPOCH")
    if epoch:
        return datetime.datetime.fromtimestamp(int(epoch), datetime.UTC).date()
    return datetime.date.today()


class GuidePages(FlatPages):
    """FlatPages that validates every file and reports every problem with its file and line."""

    def __init__(self, app=None) -> None:
        self.reserved: frozenset[str] = frozenset()  # first URL segments the app's routes take
        self.cache: Cache | None = None
        self.local = threading.local()
        super().__init__(app)

    def display_name(self, filename: str) -> str:
        """A file's name as an author knows it: relative to the project, e.g. ``pages/why.md``."""
        return os.path.relpath(filename, os.path.dirname(self.root))

    def walk(self, problems: list[str]) -> Iterator[tuple[str, str]]:
        """Yield ``(page path, file name)`` for every page file, in a stable order."""
        extension = self.config("extension")
        root = os.path.realpath(self.root)
        seen_folders = set()
        for folder, subfolders, filenames in os.walk(self.root, followlinks=True):
            real = os.path.realpath(folder)
            if real in seen_folders or self.outside(folder, root, problems):
                subfolders.clear()
                continue
            seen_folders.add(real)
            subfolders[:] = sorted(name for name in subfolders if not is_ignored(name))
            relative = os.path.relpath(folder, self.root)
            for name in sorted(filenames):
                filename = os.path.join(folder, name)
                if is_ignored(name) or not name.endswith(extension):
                    continue
                if self.outside(filename, root, problems):
                    continue
                path = os.path.normpath(os.path.join(relative, name[: -len(extension)]))
                unfit = sorted(set(path) & NOT_IN_URLS)
                if unfit:
                    problems.append(
                        f"{self.display_name(filename)}: {' and '.join(map(repr, unfit))} cannot be part of "
                        "a page's URL: rename the file or folder"
                    )
                    continue
                yield path.replace(os.sep, "/"), filename

    def outside(self, filename: str, root: str, problems: list[str]) -> bool:
        """Refuse a symlink that leads out of the pages folder (or nowhere)."""
        if not os.path.islink(filename):
            return False
        target = os.path.realpath(filename)
        if not os.path.exists(target):
            problems.append(f"{self.display_name(filename)}: is a symlink to a missing file")
            return True
        if os.path.commonpath([target, root]) != root:
            problems.append(
                f"{self.display_name(filename)}: is a symlink to {target}, outside "
                f"{self.display_name(self.root)}/: copy the file in instead"
            )
            return True
        return False

    def load_page(self, path: str, filename: str, known: dict) -> Page:
        """A page from its file; from ``known`` (the last build's reading) when the file is unchanged."""
        stat = os.stat(filename)
        version = (stat.st_mtime_ns, stat.st_ctime_ns, stat.st_size, stat.st_ino)
        cached = self._file_cache.get(filename)
        if cached and unchanged(cached[1], version):
            return cached[0]
        record = known.get(filename)
        if record is None or not unchanged(record[0], version):
            with open(filename, "rb") as handle:
                data = handle.read()
            meta = frontmatter.read(data)[0]
            record = known[filename] = ((version, time.time_ns()), meta, hashlib.sha256(data).hexdigest())
        # The body is read again when first needed: most builds render few pages, and the
        # worker rendering a page need not carry every other page's text.
        page = GuidePage(path, "", None, self.render_markdown, os.path.dirname(path))
        page.__dict__["meta"] = record[1]
        page.source, page.source_sha = filename, record[2]
        self._file_cache[filename] = (page, record[0])
        return page

    def render_markdown(self, page: Page) -> str:
        cache, key = self.markdown_cache(), self.markdown_key(page)
        rendered = cache.load("markdown", key) if cache else None
        if rendered is None:
            # One Markdown instance per thread: serve's threads must not share one mid-page.
            if getattr(self.local, "renderer", None) is None:
                self.local.renderer = Renderer(trust_html=current_app.config["SITE_TRUST_HTML"])
            rendered = self.local.renderer.render(page.body)
            if cache:
                cache.save("markdown", key, rendered)
        page.toc = rendered.toc
        return rendered.html

    def markdown_cache(self) -> Cache | None:
        folder = current_app.config["SITE_CACHE_DIR"]
        if not folder:
            return None
        if self.cache is None or self.cache.folder != Path(folder):
            self.cache = Cache(Path(folder))
        return self.cache

    def markdown_key(self, page: Page) -> str:
        """Rendered Markdown is stored under a hash of the text and of everything rendering it."""
        # The whole file's hash stands for the body's: no need to read the file to know it.
        return sha256(code_digest(), current_app.config["SITE_TRUST_HTML"], page.source_sha)

    @property
    def _pages(self) -> dict[str, Page]:
        # Cached by hand rather than with cached_property, so FlatPages.reload() still clears it.
        if "_pages" not in self.__dict__:
            self.__dict__["_pages"] = self.visible(self.load_all())
        return self.__dict__["_pages"]

    def reload(self) -> None:
        super().reload()
        self.__dict__.pop("site", None)

    @property
    def site(self) -> SiteIndex:
        """Lists derived from all pages, computed once per load rather than once per request."""
        if "site" not in self.__dict__:
            self.__dict__["site"] = SiteIndex(list(self))
        return self.__dict__["site"]

    def load_all(self) -> dict[str, Page]:
        """Read and validate every page file; raise one SiteError listing every problem."""
        pages, problems = {}, []
        cache, index_key = self.markdown_cache(), sha256("front matter", code_digest(), self.root)
        known = (cache.load("files", index_key) if cache else None) or {}
        before = dict(known)
        for path, filename in self.walk(problems):
            try:
                pages[path] = self.load_page(path, filename, known)
            except PageProblem as problem:
                problems.append(self.describe(filename, problem))
            except ProblemGroup as group:
                problems.extend(self.describe(filename, problem) for problem in group.problems)
        problems.extend(self.collisions(pages))
        if problems:
            raise SiteError(problems)
        current = {page.source: known[page.source] for page in pages.values() if page.source in known}
        if cache and current != before:
            cache.save("files", index_key, current)
        return pages

    def describe(self, filename: str, problem: PageProblem) -> str:
        return f"{self.display_name(filename)}:{problem.line}: {problem}"

    def collisions(self, pages: dict[str, Page]) -> list[str]:
        """Pages whose URLs clash with each other (ignoring case) or with a route of the app."""
        problems, owners, name = [], {}, self.display_name
        for page in pages.values():
            url = url_path(page.path).casefold()
            first = url.split("/")[0]
            if first in self.reserved:
                problems.append(
                    f"{name(page.source)}: its URL /{url_path(page.path)}/ is taken by the site's own {first}"
                )
            elif url in owners:
                problems.append(
                    f"{name(owners[url])} and {name(page.source)} both publish /{url}/ (URLs ignore case): "
                    "rename one"
                )
            else:
                owners[url] = page.source
        return problems

    def visible(self, pages: dict[str, Page]) -> dict[str, Page]:
        """Drop drafts and future-dated pages unless the config asks for them."""
        config, now = current_app.config, today()
        drafts, future = config["SITE_DRAFTS"], config["SITE_FUTURE"]
        return {
            path: page
            for path, page in pages.items()
            if (drafts or not page.meta.get("draft")) and (future or page.meta.get("date", now) <= now)
        }

    def by_url(self, path: str) -> Page | None:
        return self.get(path) or self.get(f"{path}/index")


def folder_of(page: Page) -> str:
    """The folder a page belongs to for navigation: a section's index page belongs to its parent."""
    return url_path(page.path).rpartition("/")[0]


def description(page: Page) -> str:
    """The front matter description, else the start of the first paragraph."""
    return page.meta.get("description") or summary(page.html)


class GuidePage(Page):
    """A page whose Markdown body is read from its file only when something needs it."""

    @property
    def body(self) -> str:
        if self._body is None:
            with open(self.source, "rb") as handle:
                data = handle.read()
            if hashlib.sha256(data).hexdigest() != self.source_sha:
                # Its HTML would be stored under the hash of the text it was not made from.
                raise SiteError([f"{self.source}: changed while the site was being built: build again"])
            self._body = frontmatter.read(data)[1]
        return self._body

    @body.setter
    def body(self, value: str | None) -> None:
        self._body = value


class SiteIndex:
    """Navigation and listings over the visible pages."""

    def __init__(self, pages: list[Page]) -> None:
        self.pages = sorted(pages, key=sort_key)
        self.by_path = {page.path: page for page in pages}
        self.folders: dict[str, list[Page]] = {}
        for page in self.pages:
            if page.path != "index":
                self.folders.setdefault(folder_of(page), []).append(page)

    @cached_property
    def menu(self) -> list[Page]:
        """The top-level pages and the index page of each top-level folder, in order."""
        return self.folders.get("", [])

    @cached_property
    def published(self) -> list[Page]:
        """Every page, home first, then in menu order."""
        return sorted(self.pages, key=lambda page: page.path != "index")

    def children(self, section: Page) -> list[Page]:
        """The pages directly inside the folder whose index page is ``section``."""
        return self.folders.get(url_path(section.path), [])

    def neighbours(self, page: Page) -> tuple[Page | None, Page | None]:
        """The previous and next page within the page's own section."""
        siblings = self.folders.get(folder_of(page), [])
        if page not in siblings:
            return None, None
        at = siblings.index(page)
        return (siblings[at - 1] if at > 0 else None, siblings[at + 1] if at + 1 < len(siblings) else None)

    def breadcrumbs(self, page: Page) -> list[Page]:
        """The index pages of the folders above ``page``, outermost first."""
        parts = url_path(page.path).split("/")[:-1]
        trail = ["/".join(parts[: depth + 1]) + "/index" for depth in range(len(parts))]
        return [self.by_path[path] for path in trail if path in self.by_path]

    @cached_property
    def tags(self) -> list[tagging.Tag]:
        return tagging.collect(self.pages)

    @cached_property
    def tag_by_slug(self) -> dict[str, tagging.Tag]:
        return {tag.slug: tag for tag in self.tags}

    @cached_property
    def tag_by_key(self) -> dict[str, tagging.Tag]:
        return {tagging.tag_key(tag.name): tag for tag in self.tags}

    @cached_property
    def dated(self) -> list[Page]:
        """Pages with a date, newest first: the feed's entries."""
        return sorted((page for page in self.pages if page.meta.get("date")), key=tagging.newest_first)
