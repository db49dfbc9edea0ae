"""The page store and the page model.

The store is Flask-FlatPages plus validation: every page file is read and checked, and every
problem is named with its file and line. The model: each page knows its URL, whether it is the
home page or a section's index, the URLs above it and the kind of template that shows it
(:class:`GuidePage`); :class:`SiteIndex` holds the site's one URL-to-page lookup and its
navigation lists; :class:`ReservedUrls` the URL forms no page may take.
"""

from __future__ import annotations

import datetime
import hashlib
import itertools
import os
import re
import sys
import threading
import time
import unicodedata
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from functools import cached_property
from stat import S_ISREG
from typing import Protocol
from urllib.parse import quote

from flask import current_app
from flask_flatpages import FlatPages, Page

from . import freshness, frontmatter, titles
from . import tags as tagging
from .errors import PageProblem, ProblemGroup, SiteError, SourceProblems, shown_name
from .limits import Limits, size_problem
from .markup import Rendered, Renderer, summary
from .sources import is_ignored, link_refusal, refusal

INDEX = "index"  # pages/index.md is the home page; pages/guide/index.md is the page of /guide/
LISTING_PAGES = "page"  # /guide/page/2/: the second page of the listing of /guide/


# The names authors give a folder's own page: ours, GitHub's and MkDocs' (README), Hugo's (_index).
INDEX_NAMES = ("index", "README", "_index")


def page_path(file_path: str, extension: str = ".md") -> str:
    """The page path of a page file, relative to pages/ (``guide/intro.md`` is ``guide/intro``);
    a folder's own page, by any of :data:`INDEX_NAMES`, is ``guide/index``."""
    folder, _, name = file_path[: -len(extension)].rpartition("/")
    if name in INDEX_NAMES:
        name = INDEX
    return f"{folder}/{name}" if folder else name


def url_of(page_path: str) -> str:
    """The URL path of the page at ``page_path``: ``index`` is ``/``, ``guide/index`` is
    ``/guide/`` and ``guide/intro`` is ``/guide/intro/``. The one place this rule is written."""
    if page_path == INDEX:
        return "/"
    return "/" + page_path.removesuffix(f"/{INDEX}") + "/"


def sort_key(page: Page) -> tuple:
    return (page.meta.get("order", sys.maxsize), page.meta["title"].casefold(), page.path)


# "?" and "#" end a URL's path, and browsers read a backslash as "/".
NOT_IN_URLS = set("?#\\")
PERCENT_ESCAPE = re.compile(r"%[0-9A-Fa-f]{2}")
NAME_MAX = 255  # bytes in a file name, on every common file system
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
    if not epoch:
        return datetime.date.today()
    try:
        return datetime.datetime.fromtimestamp(int(epoch), datetime.UTC).date()
    except (ValueError, OverflowError, OSError):
        raise SiteError(
            f"SOURCE_DATE_EPOCH={shown_name(epoch)}: is not a time this build can use (a whole number "
            "of seconds since 1970, such as the output of git log -1 --format=%ct): set it so, or unset it"
        ) from None


class RecordKeeper(Protocol):
    """Where the store keeps what it read and rendered, between runs: handed to it with the
    build cache (:class:`flaskguide.cache.PageRecords`)."""

    def readings(self, root: str, limits: Limits) -> dict: ...
    def save_readings(self, root: str, limits: Limits, readings: dict) -> None: ...
    def markdown(self, source: str, trust_html: bool) -> Rendered | None: ...
    def save_markdown(self, source: str, trust_html: bool, rendered: Rendered) -> None: ...
    def commit_dates(self, root: str, history: tuple) -> dict[str, datetime.date] | None: ...
    def save_commit_dates(self, root: str, history: tuple, dates: dict[str, datetime.date]) -> None: ...


class GuidePages(FlatPages):
    """FlatPages that validates every file and reports every problem with its file and line."""

    def __init__(self, app=None) -> None:
        self.reserved = ReservedUrls()  # the URL forms the app itself uses: set by the app factory
        self.records: RecordKeeper | None = None  # handed over with the build cache, if there is one
        self.commit_dates = freshness.CommitDates()  # when git last saw each file change
        self.local = threading.local()
        super().__init__(app)

    @property
    def limits(self) -> Limits:
        """The limits every page is checked against (the app's SITE_PAGE_... settings)."""
        return Limits.from_config(current_app.config)

    def display_name(self, filename: str) -> str:
        """A file's name as an author knows it: relative to the project, e.g. ``pages/why.md``."""
        return shown_name(os.path.relpath(filename, os.path.dirname(self.root)))

    def walk(self, problems: list[str], files: dict[str, str]) -> Iterator[tuple[str, str]]:
        """Yield ``(page path, file name)`` for every page file, in a stable order; and put every
        other file beside the pages (an image, a download) in ``files``, by its URL."""
        extension = self.config("extension")
        root, shown_root = os.path.realpath(self.root), self.display_name(self.root)
        seen_folders = set()
        for folder, subfolders, filenames in os.walk(self.root, followlinks=True):
            real = os.path.realpath(folder)
            # A folder symlink (inside pages/ or out of it) is refused; pages/ itself may be one.
            why = None if folder == self.root else refusal(folder, root, shown_root)
            if real in seen_folders or self.refused(folder, why, problems):
                subfolders.clear()
                continue
            seen_folders.add(real)
            subfolders[:] = sorted(name for name in subfolders if not is_ignored(name))
            relative = os.path.relpath(folder, self.root)
            for name in sorted(filenames):
                filename = os.path.join(folder, name)
                if is_ignored(name):
                    continue
                why = link_refusal(filename, root, shown_root) or html_refusal(name)
                if self.refused(filename, why, problems):
                    continue
                # One spelling per name: macOS writes names decomposed (NFD), and a host that
                # matches bytes would not find the composed URL every link uses.
                path = unicodedata.normalize("NFC", os.path.normpath(os.path.join(relative, name)))
                path = path.replace(os.sep, "/")
                if name.endswith(extension):
                    yield page_path(path, extension), filename
                else:
                    files["/" + path] = filename

    def refused(self, path: str, why: str | None, problems: list[str]) -> bool:
        """Note why the file or folder at ``path`` may not be used (see :mod:`flaskguide.sources`)."""
        if why:
            problems.append(f"{self.display_name(path)}: {why}")
        return why is not None

    def load_page(self, path: str, filename: str, known: dict, limits: Limits) -> GuidePage:
        """A page from its file; from ``known`` (the last run's reading) when the file is unchanged."""
        try:
            return self.read_page(path, filename, known, limits)
        except OSError as error:  # unreadable (permissions), or gone since the walk
            raise PageProblem(
                0, f"cannot be read ({error.strerror}): check that it exists and may be read"
            ) from None

    def read_page(self, path: str, filename: str, known: dict, limits: Limits) -> GuidePage:
        stat = os.stat(filename)
        if not S_ISREG(stat.st_mode):  # a pipe would hang the reader, a socket fail it
            raise PageProblem(0, "is not a regular file: remove it")
        if problem := size_problem(stat.st_size, limits):
            raise problem  # never read a file too large into memory
        version = (stat.st_mtime_ns, stat.st_ctime_ns, stat.st_size, stat.st_ino)
        cached = self._file_cache.get(filename)
        if cached and unchanged(cached[1], version):
            return cached[0]
        reading = known.get(filename)
        if reading is None or not unchanged(reading[0], version):
            with open(filename, "rb") as handle:
                data = handle.read()
            meta, body = frontmatter.read(data, limits)
            if "title" not in meta:  # not setdefault: working a title out reads the whole body
                meta["title"] = titles.derived(body, path)
            reading = known[filename] = ((version, time.time_ns()), meta, hashlib.sha256(data).hexdigest())
        # The body is read again when first needed: most builds render few pages, and the
        # worker rendering a page need not carry every other page's text.
        page = GuidePage(path, "", None, self.render_markdown, os.path.dirname(path))
        page.__dict__["meta"] = reading[1]
        page.source, page.source_sha = filename, reading[2]
        self._file_cache[filename] = (page, reading[0])
        return page

    def render_markdown(self, page: GuidePage) -> str:
        trust_html = current_app.config["SITE_TRUST_HTML"]
        key = page.rendering_source
        rendered = self.records.markdown(key, trust_html) if self.records else None
        if rendered is None:
            # One Markdown instance per thread: serve's threads must not share one mid-page.
            if getattr(self.local, "renderer", None) is None:
                self.local.renderer = Renderer(trust_html=trust_html, limits=self.limits)
            try:
                rendered = self.local.renderer.render(page.body, page.meta["title"])
            except PageProblem as problem:  # markup.RenderProblem: too deep, too slow, out of memory
                raise SourceProblems([self.describe(page.source, problem)]) from None
            if self.records:
                self.records.save_markdown(key, trust_html, rendered)
        page.toc = rendered.toc
        return rendered.html

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

    def file_sha(self, filename: str) -> str | None:
        """The SHA-256 of a file beside the pages, read again only when the file changed; None
        for one that cannot be read (gone since the walk)."""
        try:
            stat = os.stat(filename)
        except OSError:
            return None
        version = (stat.st_mtime_ns, stat.st_ctime_ns, stat.st_size, stat.st_ino)
        known = self.__dict__.setdefault("file_shas", {})
        seen = known.get(filename)
        if seen is None or not unchanged(seen[0], version):
            try:
                with open(filename, "rb") as handle:
                    sha = hashlib.file_digest(handle, "sha256").hexdigest()
            except OSError:
                return None
            seen = known[filename] = ((version, time.time_ns()), sha)
        return seen[1]

    @property
    def files(self) -> dict[str, str]:
        """The files beside the pages that are published as they are (images, downloads), by
        URL: ``pages/guide/diagram.svg`` is ``/guide/diagram.svg``."""
        _ = self._pages  # read with the pages
        return self.__dict__["files"]

    def load_all(self) -> dict[str, GuidePage]:
        """Read and validate every page file; raise one error listing every problem."""
        pages, loaded, problems, files = {}, [], [], {}
        limits = self.limits
        known = self.records.readings(self.root, limits) if self.records else {}
        before = dict(known)
        for path, filename in self.walk(problems, files):
            try:
                page = self.load_page(path, filename, known, limits)
            except PageProblem as problem:
                problems.append(self.describe(filename, problem))
            except ProblemGroup as group:
                problems.extend(self.describe(filename, problem) for problem in group.problems)
            else:
                loaded.append(page)
                pages[path] = page
        problems.extend(self.collisions(loaded, files))  # two spellings of one name are two files, one path
        if problems:
            raise SourceProblems(problems)
        current = {page.source: known[page.source] for page in pages.values() if page.source in known}
        if self.records and current != before:
            self.records.save_readings(self.root, limits, current)
        self.annotate(pages.values())
        self.__dict__["files"] = files
        return pages

    def annotate(self, pages: Iterable[GuidePage]) -> None:
        """Give each page what its file alone does not say: the day its last commit was made
        (see :mod:`flaskguide.freshness`) and where the repository's site edits it."""
        dates = self.commit_dates.of(self.root, self.records)
        for page in pages:
            page.commit_date = freshness.date_of(dates, self.root, page.source)
            page.edit_url = edit_url(page.source)

    def describe(self, filename: str, problem: PageProblem) -> str:
        # One line, whatever the page's values hold (a title of two newlines, an escape code).
        return f"{self.display_name(filename)}:{problem.line}: {shown_name(str(problem))}"

    def collisions(self, pages: Iterable[GuidePage], files: dict[str, str]) -> list[str]:
        """Pages and files whose URLs clash with each other (ignoring case) or with a form the
        site reserves. A file clashes with a page when the page's folder has the file's name
        (``guide/intro`` beside ``guide/intro.md``, whose page is ``guide/intro/index.html``)."""
        problems, owners, name = [], {}, self.display_name
        pages = list(pages)
        published = [(page.url, page.url.rstrip("/"), page.source) for page in pages]
        published += [(url, url, filename) for url, filename in files.items()]
        published += [(alias, alias.rstrip("/"), page.source) for page in pages for alias in page.aliases]
        for shown_url, where, source in published:
            url = (where or "/").casefold()
            if taken := self.reserved.problem(shown_url):
                problems.append(f"{name(source)}: its URL {shown_name(shown_url)} {taken}")
            elif url in owners:
                first, second = name(owners[url]), name(source)
                if unicodedata.normalize("NFC", first) == unicodedata.normalize("NFC", second):
                    # Two spellings of one name (composed, decomposed) look alike: show which is which.
                    first, second = escaped(first), escaped(second)
                problems.append(
                    f"{first} and {second} both publish {shown_name(shown_url.casefold())} "
                    "(URLs ignore case and how accents are encoded): rename one"
                )
            else:
                owners[url] = source
        return problems

    def visible(self, pages: dict[str, GuidePage]) -> dict[str, GuidePage]:
        """Drop drafts and future-dated pages unless the config asks for them."""
        config, now = current_app.config, today()
        drafts, future = config["SITE_DRAFTS"], config["SITE_FUTURE"]
        home = pages.get(INDEX)
        self.__dict__["home_hidden"] = home and hidden_because(home, now, drafts, future)
        return {path: page for path, page in pages.items() if not hidden_because(page, now, drafts, future)}

    def home_problem(self) -> str | None:
        """Why a build would have no home page, if it would not: the home page is missing, a
        draft or dated after today (``serve`` shows drafts, and a missing one is a 404 there)."""
        if INDEX in self._pages:
            return None
        name = self.display_name(os.path.join(self.root, INDEX + self.config("extension")))
        reason = self.__dict__.get("home_hidden")
        if reason is None:
            return f"{name}: missing: a site needs a home page; add one (its title, then what the site is)"
        return f"{name}: the home page {reason}, and a site needs a home page to build"


def html_refusal(name: str) -> str | None:
    """Why an HTML file in pages/ is not published: it would reach readers unsanitised."""
    if name.lower().endswith((".html", ".htm")):
        return (
            "is an HTML file, which would be published without the sanitiser every page goes through: "
            "write the page in Markdown (raw HTML inside it is kept where it is safe)"
        )
    return None


def escaped(name: str) -> str:
    """``café`` as ``caf\\xe9``: the spelling of a name, where two spellings look the same."""
    return name.encode("ascii", "backslashreplace").decode()


def hidden_because(page: GuidePage, now: datetime.date, drafts: bool, future: bool) -> str | None:
    """Why a build leaves ``page`` out (a draft, or dated after ``now``), or None."""
    if page.meta.get("draft") and not drafts:
        return "is a draft (draft: true): set draft: false"
    date = page.meta.get("date")
    if date and date > now and not future:
        return f"is dated {date}, after today ({now}): build with --future, or change its date"
    return None


@dataclass(frozen=True)
class UrlForm:
    """A form of URL the site keeps for itself: which URLs it covers, and what an author whose
    page has one is told (after "its URL /x/ ...")."""

    covers: Callable[[list[str]], bool]  # over the URL's segments, in lower case
    problem: str


class ReservedUrls:
    """The URL forms no page may take: one table, read by every check of a page's URL.

    ``first`` maps the first segments the site itself uses (its routes, the search index's
    folder) to their owners; the other forms hold for every site.
    """

    def __init__(self, first: dict[str, str] | None = None) -> None:
        owned = [UrlForm(starts_with(name), f"is taken by {owner}") for name, owner in (first or {}).items()]
        self.forms = [
            *owned,
            # pages/guide/index.md is /guide/: a folder called index would publish /guide/index/,
            # the name of that page's file, and shadow it.
            UrlForm(
                lambda segments: INDEX in segments,
                f"uses '{INDEX}', the name of a folder's own page ({INDEX}.md)",
            ),
            # "?" and "#" end a URL's path, and browsers read a backslash as "/".
            UrlForm(has_character(NOT_IN_URLS), "holds '?', '#' or a backslash, which no URL's path can"),
            # A host decodes %41 to "A" before it looks for the file: the page could never be found.
            UrlForm(
                lambda segments: any(PERCENT_ESCAPE.search(segment) for segment in segments),
                "holds a %XX escape, which a host would decode: write the character itself",
            ),
            UrlForm(
                lambda segments: any(not segment.isprintable() for segment in segments),
                "holds a control character or a byte that is not UTF-8 (shown escaped)",
            ),
            # Its folder would be index.html/, where the folder above keeps its own index.html.
            UrlForm(
                lambda segments: "index.html" in segments, "uses 'index.html', the name of a page's file"
            ),
            # /guide/page/2/ is the second page of /guide/'s listing (flaskguide.views.PAGED).
            UrlForm(
                lambda segments: any(
                    name == LISTING_PAGES and number.isdigit()
                    for name, number in itertools.pairwise(segments)
                ),
                f"holds '{LISTING_PAGES}/' and a number, the form of a listing's later pages "
                f"(/guide/{LISTING_PAGES}/2/)",
            ),
            UrlForm(
                lambda segments: any(len(segment.encode()) > NAME_MAX for segment in segments),
                f"has a name longer than {NAME_MAX} bytes (in UTF-8, composed), the most a file name may be",
            ),
        ]

    def problem(self, url: str) -> str | None:
        """Why a page may not have the URL ``url``, or None when it may."""
        segments = url.strip("/").casefold().split("/")
        found = next((form for form in self.forms if form.covers(segments)), None)
        return found and f"{found.problem}: rename the file or folder"


def starts_with(name: str) -> Callable[[list[str]], bool]:
    """The URL form of everything under the first segment ``name``."""
    name = name.casefold()
    return lambda segments: segments[0] == name


def has_character(characters: set[str]) -> Callable[[list[str]], bool]:
    return lambda segments: any(set(segment) & characters for segment in segments)


def description(page: Page) -> str:
    """The front matter description, else the start of the first paragraph."""
    return page.meta.get("description") or summary(page.html)


def edit_url(filename: str) -> str | None:
    """The repository's page for editing the file ``filename`` (SITE_REPO_URL, on the branch
    SITE_REPO_BRANCH), or None without a repository or for a file outside the project.

    The file's path is taken from the project's folder: the project is the repository's root.
    """
    config = current_app.config
    repository = config["SITE_REPO_URL"].rstrip("/")
    if not repository:
        return None
    relative = os.path.relpath(filename, current_app.root_path)
    if relative.split(os.sep)[0] == os.pardir:
        return None
    branch = quote(config["SITE_REPO_BRANCH"], safe="/")
    path = quote(relative.replace(os.sep, "/"), safe="/", errors="surrogateescape")
    return f"{repository}/edit/{branch}/{path}"


class GuidePage(Page):
    """A page: where it is published and how it fits in the site, from its path alone; and its
    Markdown body, read from its file only when something needs it."""

    source: str  # the file it was read from
    source_sha: str  # the SHA-256 of that file's bytes
    references: dict[str, str] = {}  # noqa: RUF012 (read only) each link its HTML shows, and what was written (links.py)
    # Set by the store at each load (GuidePages.annotate), from outside the file:
    commit_date: datetime.date | None = None  # the day of the last commit that changed its file
    edit_url: str | None = None  # where the repository's site edits its file (SITE_REPO_URL)

    @property
    def updated(self) -> datetime.date | None:
        """The day it last changed: its front matter's ``updated``, else its last commit's day,
        else None. A commit before its ``date`` (a page written before it is published) is no
        update: it was published as that commit left it."""
        if "updated" in self.meta:
            return self.meta["updated"]
        published = self.meta.get("date")
        if self.commit_date is None or (published and self.commit_date < published):
            return None
        return self.commit_date

    @property
    def rendering_source(self) -> str:
        """What its rendered Markdown is made from, as a hash: its file, and its title, which
        decides whether its first heading is shown (markup.Renderer.render). A title made from
        the file's name changes with the name, the file's bytes staying the same."""
        return hashlib.sha256(f"{self.source_sha}\0{self.meta['title']}".encode()).hexdigest()

    @property
    def last_changed(self) -> datetime.date | None:
        """The day it last changed, or was published if it never changed since: the feeds' and
        the sitemap's date."""
        return self.updated or self.meta.get("date")

    @property
    def aliases(self) -> list[str]:
        """Its old URLs (``aliases:``), each published as a redirect to it."""
        return list(dict.fromkeys(self.meta.get("aliases", [])))

    @cached_property
    def url(self) -> str:
        """The URL path it is published at (without the site's base path): ``/guide/intro/``."""
        return url_of(self.path)

    @property
    def is_home(self) -> bool:
        return self.path == INDEX

    @property
    def is_section(self) -> bool:
        """Whether it is a folder's own page (``guide/index.md``), which lists the folder."""
        return self.path.endswith(f"/{INDEX}")

    @property
    def in_folder(self) -> bool:
        """Whether its file is in a folder of pages/ (a section's own page included)."""
        return "/" in self.path

    @property
    def kind(self) -> str:
        """The template that shows it: ``index`` for the home page, ``section`` or ``page``."""
        return "index" if self.is_home else "section" if self.is_section else "page"

    @property
    def parent_url(self) -> str | None:
        """The URL of the folder it is listed in: ``/guide/`` for ``/guide/intro/``, ``/`` for
        ``/guide/`` and top-level pages, None for the home page."""
        if self.is_home:
            return None
        return self.url[:-1].rpartition("/")[0] + "/"

    @property
    def ancestor_urls(self) -> list[str]:
        """The URLs of the folders above it, below the home page, outermost first."""
        parts = self.url.strip("/").split("/")[:-1]
        return ["/" + "/".join(parts[: depth + 1]) + "/" for depth in range(len(parts))]

    @property
    def body(self) -> str:
        if self._body is None:
            try:
                with open(self.source, "rb") as handle:
                    data = handle.read()
            except OSError:
                data = None
            if data is None or hashlib.sha256(data).hexdigest() != self.source_sha:
                # Its HTML would be stored under the hash of the text it was not made from.
                raise SourceProblems(
                    [f"{shown_name(self.source)}: changed while the site was being built: build again"]
                )
            # Checked when the page was loaded: the limits of that run, not the defaults, apply.
            self._body = frontmatter.read_body(data)
        return self._body

    @body.setter
    def body(self, value: str | None) -> None:
        self._body = value


class SiteIndex:
    """The site's one URL-to-page lookup, and navigation and listings over the visible pages."""

    def __init__(self, pages: list[GuidePage]) -> None:
        self.pages = sorted(pages, key=sort_key)
        self.by_url = {page.url: page for page in self.pages}
        self.home = self.by_url.get("/")
        self.aliases = {alias: page for page in self.pages for alias in page.aliases}  # old URL -> page
        self.folders: dict[str, list[GuidePage]] = {}  # a folder's URL -> the pages listed in it
        for page in self.pages:
            if not page.is_home:
                self.folders.setdefault(page.parent_url, []).append(page)

    @cached_property
    def menu(self) -> list[GuidePage]:
        """The index page of each top-level folder, and the top-level pages that ask to be in the
        menu (``menu:``, the label), in order: never every page, whatever the site's shape."""
        return [page for page in self.folders.get("/", []) if page.is_section or "menu" in page.meta]

    @cached_property
    def published(self) -> list[GuidePage]:
        """Every page, home first, then in the guide's tree order."""
        return ([self.home] if self.home else []) + self.tree

    @cached_property
    def tree(self) -> list[GuidePage]:
        """Every page but the home page in the guide's tree order: each folder's own page, then
        the pages inside it (folders among them, each followed by its own), by order then title."""
        return sorted((page for page in self.pages if not page.is_home), key=self.tree_key)

    def tree_key(self, page: GuidePage) -> list[tuple]:
        """Where a page sorts in :attr:`tree`: the sort keys of the folders above it, then its own."""
        folders = page.ancestor_urls + ([page.url] if page.is_section else [])
        key = [self.folder_key(url) for url in folders]
        return key if page.is_section else [*key, sort_key(page)]

    def folder_key(self, url: str) -> tuple:
        """A folder sorts by its own page; one without (no ``index.md``) after every page beside it."""
        section = self.section_at(url)
        return sort_key(section) if section else (sys.maxsize + 1, url.casefold(), url)

    @cached_property
    def subtrees(self) -> dict[str, range]:
        """Where the pages below each folder are in :attr:`tree`: one run, since it sorts a folder's
        pages right after its own page."""
        first, last = {}, {}
        for at, page in enumerate(self.tree):
            for url in page.ancestor_urls:
                first.setdefault(url, at)
                last[url] = at
        return {url: range(first[url], last[url] + 1) for url in first}

    def listing(self, section: GuidePage) -> list[GuidePage]:
        """The pages a section's page lists: every page below its folder, in tree order (the
        home page lists them all); nothing for a page that is not a section's."""
        if section.is_home:
            return self.tree
        found = self.subtrees.get(section.url) if section.is_section else None
        return self.tree[found.start : found.stop] if found else []

    def children(self, section: GuidePage) -> list[GuidePage]:
        """The pages directly inside the folder whose index page is ``section``."""
        return self.folders.get(section.url, []) if section.is_section else []

    @cached_property
    def positions(self) -> dict[str, int]:
        """Each page's place in the reading order (:attr:`published`)."""
        return {page.path: at for at, page in enumerate(self.published)}

    def neighbours(self, page: GuidePage) -> tuple[GuidePage | None, GuidePage | None]:
        """The previous and next page in the guide's reading order: the home page, then the
        tree (each folder's page before the pages inside it), so that "Next" walks the whole
        guide from the home page to its last page."""
        order, at = self.published, self.positions.get(page.path)
        if at is None or order[at] is not page:
            return None, None
        return (order[at - 1] if at > 0 else None, order[at + 1] if at + 1 < len(order) else None)

    def holds(self, section: GuidePage, page: GuidePage) -> bool:
        """Whether ``page`` is ``section`` or below its folder: the menu marks the entry a reader
        is in."""
        return page is section or (section.is_section and page.url.startswith(section.url))

    def section_at(self, url: str | None) -> GuidePage | None:
        """The page that lists the folder at ``url``: its index page (the home page for ``/``)."""
        page = self.by_url.get(url) if url else None
        return page if page is not None and (page.is_section or page.is_home) else None

    def parent(self, page: GuidePage) -> GuidePage | None:
        """The page of the folder ``page`` is listed in, where there is one."""
        return self.section_at(page.parent_url)

    def breadcrumbs(self, page: GuidePage) -> list[GuidePage]:
        """The index pages of the folders above ``page``, outermost first."""
        return [section for url in page.ancestor_urls if (section := self.section_at(url))]

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
    def dated(self) -> list[GuidePage]:
        """Pages with a date, newest first: the feed's entries."""
        return sorted((page for page in self.pages if page.meta.get("date")), key=tagging.newest_first)
