"""The build engine. Frozen-Flask finds every URL and renders it through the app; this module
decides which URLs need rendering at all, and shares that work among processes.

Each URL of a view gets a key: a hash of everything its HTML depends on (the code, templates,
static files, config, the site-wide lists every page shows, the view's template and context).
A key found in the content-addressed cache is served by copying the stored file; the others
are rendered by Frozen-Flask, in ``jobs`` forked workers, and stored under their keys.
"""

from __future__ import annotations

import multiprocessing
import re
import signal
import traceback
from collections.abc import Callable, Iterable, Iterator
from dataclasses import asdict, dataclass, field, is_dataclass
from datetime import date
from functools import cached_property
from pathlib import Path
from unicodedata import normalize
from urllib.parse import quote, unquote, urlsplit

import jinja2
from flask import Flask, url_for
from flask_frozen import Freezer

from . import limits, processes
from .cache import Cache, code_digest, file_names, folder_digest, sha256
from .errors import RenderError, SiteError, SourceProblems, disk_problem, shown_name, template_problem
from .pages import GuidePage, GuidePages, description
from .views import Views

# Settings that change how a build runs but not a byte of its pages.
# (A page's limits only decide whether it builds at all.)
NOT_IN_HTML = {
    "SITE_SEARCH",
    "SITE_CACHE_DIR",
    "FLATPAGES_AUTO_RELOAD",
    "FREEZER_DESTINATION",
    *limits.SETTINGS.values(),
}
# What ends a file's name in Markdown: ![x](img/a.png), [y]: ../b.pdf "title", <img src="c.svg">.
WORD_BREAKS = re.compile(r"""[\s()<>\[\]"'/\\=]+""")
CHUNK = 8  # URLs per task handed to a worker: small enough to balance, large enough to be cheap

Progress = Callable[[int, int, str], None]


@dataclass
class Site:
    """The parts of one site's app that the engine works with, as the app factory made them."""

    app: Flask
    pages: GuidePages
    views: Views
    freezer: Freezer
    cache: Cache | None  # the build cache (SITE_CACHE_DIR), or None


class Keys:
    """The cache key of each URL, computed without rendering anything."""

    def __init__(self, site: Site) -> None:
        self.app, self.views, self.pages = site.app, site.views, site.pages
        self.index = site.pages.site
        self.adapter = site.app.url_map.bind("localhost")
        self.listings: dict[str, str] = {}
        self.urls_of: dict[str, list[str]] = {}  # the URLs showing each page's whole body (View.bodies)
        self.problems: list[str] = []  # pages whose Markdown could not be rendered (see listing)
        self.common = self.common_digest()

    def common_digest(self) -> str:
        """Everything every page depends on."""
        config = sorted(
            (key, plain(value, key))
            for key, value in self.app.config.items()
            if key.startswith(("SITE_", "FLATPAGES_", "FREEZER_"))
            and key not in NOT_IN_HTML
            and not callable(value)  # a function's repr changes from run to run
        )
        slugs = sorted((tag.name, tag.slug) for tag in self.index.tags)
        return sha256(
            code_digest(),
            [folder_digest(folder) for folder in self.app.jinja_loader.searchpath],
            folder_digest(self.app.static_folder),
            config,
            [self.listing(page) for page in self.index.menu],
            slugs,
        )

    def listing(self, page: GuidePage) -> str:
        """What a page shows of itself in lists: its path, front matter and description."""
        if page.path not in self.listings:
            meta = plain(page.meta, page.source)
            try:
                summary = description(page)
            except SourceProblems as error:  # its Markdown cannot be rendered: go on, to name every page
                self.problems.extend(error.problems)
                summary = None
            self.listings[page.path] = sha256(page.path, meta, summary)
        return self.listings[page.path]

    def provenance(self, page: GuidePage) -> object:
        """What a page shows from outside its file: its Updated date (its last commit's day, when
        its front matter has none) and its edit link. Part of every key a page is in, but the
        menu's (``common``): the menu shows neither, and a commit to a section's page would
        otherwise re-key the whole site."""
        return plain([page.updated, page.edit_url], page.source)

    def check(self) -> None:
        """Raise every problem met while working out the keys, once all are known; and then
        those of every other page whose Markdown cannot be rendered, so that one run names all."""
        if not self.problems:
            return
        for page in self.index.pages:
            try:
                _ = page.html  # rendered for its problems alone
            except SourceProblems as error:
                self.problems.extend(error.problems)
        raise SourceProblems(list(dict.fromkeys(self.problems)))

    def digest(self, value: object, view: str) -> object:
        """What a view's context holds, as the key hashes it: a page by its listing, a container
        by its items, a dataclass (a pager) by its fields. Anything else is refused: its HTML
        could not be keyed."""
        if isinstance(value, GuidePage):
            return ("page", value.path, self.listing(value), self.provenance(value))
        if isinstance(value, list | tuple):
            return [self.digest(item, view) for item in value]
        if isinstance(value, dict):
            return sorted((repr(plain(name, view)), self.digest(item, view)) for name, item in value.items())
        return plain(value, view)

    def key(self, url: str) -> str | None:
        """The key of a URL; None for a URL that no view or known file serves."""
        endpoint, args = self.adapter.match(url)
        if endpoint in self.views.FILES:
            return sha256(self.common, url, self.views.file_version(endpoint, args))
        found = self.views.view(endpoint, args)
        if found is None:
            return None
        # A page whose whole body the view shows is keyed by its source: an edit re-keys this URL.
        for page in found.bodies:
            self.urls_of.setdefault(page.path, []).append(url)
        bodies = sorted((page.path, page.source_sha, self.assets(page)) for page in found.bodies)
        context = sorted((name, self.digest(value, endpoint)) for name, value in found.context.items())
        return sha256(self.common, url, found.template, found.mimetype, context, bodies)

    @cached_property
    def files_by_name(self) -> dict[str, list[str]]:
        """The files beside the pages, by the last part of their URL (``diagram.svg``)."""
        found: dict[str, list[str]] = {}
        for url in self.pages.files:
            found.setdefault(url.rpartition("/")[2], []).append(url)
        return found

    def assets(self, page: GuidePage) -> list:
        """The files beside the pages that ``page`` may show (their sizes are in its HTML), with
        their hashes: each one whose name its text holds, as written or %-escaped. More than it
        shows, at worst, and so a page is never left showing an image as it was."""
        if not self.files_by_name:
            return []
        body = page.body + "\n" + str(page.meta.get("image", ""))  # image: links a file too
        words = set(WORD_BREAKS.split(body))
        named = [
            url
            for name, urls in self.files_by_name.items()
            if name in words or quote(name) in words or (WORD_BREAKS.search(name) and name in body)
            for url in urls
        ]
        return sorted((url, self.pages.file_sha(self.pages.files[url])) for url in named)

    def inputs(self) -> str:
        """Everything any key depends on but the pages' bodies: what every page shows in lists
        and of where it came from (and so which pages there are), and what every page depends on."""
        pages = sorted((page.path, self.listing(page), self.provenance(page)) for page in self.index.pages)
        files = sorted((url, self.pages.file_sha(filename)) for url, filename in self.pages.files.items())
        return sha256(self.common, pages, files)

    def bodies(self) -> dict[str, tuple[str, list[str]]]:
        """Each page's source hash, and the URLs whose key it is part of (its own)."""
        return {page.path: (page.source_sha, self.urls_of.get(page.path, [])) for page in self.index.pages}

    def update(self, previous: Plan) -> Plan | None:
        """``previous``, with new keys for the URLs of the pages whose source changed; None when a
        page is not in it (its inputs should then have differed)."""
        keys, bodies = dict(previous.keys), {}
        for page in self.index.pages:
            if page.path not in previous.bodies:
                return None
            source, urls = previous.bodies[page.path]
            if source != page.source_sha:
                keys.update((url, self.key(url)) for url in urls)
            bodies[page.path] = (page.source_sha, urls)
        return Plan(keys, previous.inputs, bodies)


PLAIN = (str, int, float, bool, bytes, type(None))


def plain(value: object, owner: str) -> object:
    """A plain value (text, numbers, dates, and containers of them, as YAML and settings hold) in
    a form that hashes the same in every run. Anything else raises TypeError naming ``owner``
    (the view, page or setting it came from): a key that cannot describe a value fails closed."""
    if isinstance(value, PLAIN):
        return value
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, dict):
        return sorted((repr(plain(key, owner)), plain(item, owner)) for key, item in value.items())
    if isinstance(value, list | tuple):
        return [plain(item, owner) for item in value]
    if isinstance(value, set | frozenset):
        return sorted(repr(plain(item, owner)) for item in value)
    if is_dataclass(value) and not isinstance(value, type):
        return [type(value).__name__, plain(asdict(value), owner)]
    raise TypeError(f"{owner}: the build cache cannot key a {type(value).__name__} ({value!r:.60})")


def output_name(freezer, url: str) -> str:
    return normalize("NFC", freezer.urlpath_to_filepath(url))


def output_path(freezer, staging: Path, url: str) -> Path:
    return staging / output_name(freezer, url)


def reuse_tree(staging: Path, wanted: set[str], keep: str = "") -> set[str]:
    """Clear from a recycled folder what this build will not write; return the files that
    remain. The top-level folder ``keep`` is left to the step that writes it (the search index)."""
    existing = file_names(staging, skip={keep})
    for name in sorted(existing - wanted):
        path = staging / name
        path.unlink()
        folder = path.parent
        while folder != staging and not any(folder.iterdir()):  # the folders it leaves empty
            folder.rmdir()
            folder = folder.parent
    return existing & wanted


@dataclass
class Plan:
    """Every URL to write, and its cache key (None where the cache does not apply)."""

    keys: dict[str, str | None]
    inputs: str | None = None  # see Keys.inputs
    bodies: dict[str, tuple[str, list[str]]] = field(default_factory=dict)  # see Keys.bodies


@dataclass
class Frozen:
    """What a freeze wrote: each file (relative to the output) with its URL's key, and how many
    URLs were rendered rather than taken from the cache."""

    files: dict[str, str | None]
    rendered: int

    def keys(self) -> set[str]:
        return {key for key in self.files.values() if key}


class Engine:
    """Plans and renders every URL of one site, with its cache (if any), in ``jobs`` processes."""

    def __init__(self, site: Site, jobs: int = 1, progress: Progress | None = None):
        self.site, self.cache, self.jobs, self.progress = site, site.cache, jobs, progress

    def plan(self, previous: Plan | None = None) -> Plan:
        """Ask Frozen-Flask's URL generators for every URL, and work out each one's key.

        When nothing changed since the ``previous`` plan but some pages' bodies (the same code,
        templates and settings; the same pages, each showing the same in lists), the URLs are
        the same, and only those pages' own URLs need new keys: a body shows on its own page alone.
        """
        freezer = self.site.freezer
        with self.site.app.test_request_context():
            if self.cache is None:
                return Plan(dict.fromkeys(freezer.all_urls()))
            keys = Keys(self.site)
            inputs = keys.inputs()
            if previous is not None and previous.inputs == inputs:
                updated = keys.update(previous)
                if updated is not None:
                    keys.check()
                    return updated
            urls = list(dict.fromkeys(freezer.all_urls()))
            plan = Plan({url: keys.key(url) for url in urls}, inputs, keys.bodies())
            keys.check()
            return plan

    def freeze(
        self, plan: Plan, staging: Path, keep: str = "", trusted: dict[str, str] | None = None
    ) -> Frozen:
        """Write every URL into ``staging``, leaving the recycled folder ``keep`` to a later step.

        ``trusted`` names the files already in ``staging`` that hold what a key produced, as
        written (see :func:`flaskguide.build.recycle`): a file whose URL has that key stays.
        """
        trusted = trusted or {}
        freezer, cache = self.site.freezer, self.cache
        self.site.app.config["FREEZER_DESTINATION"] = str(staging)
        urls, url_keys = list(plan.keys), plan.keys
        existing = reuse_tree(staging, {output_name(freezer, url) for url in urls}, keep)
        done = 0

        def tick(url: str) -> None:
            nonlocal done
            done += 1
            if self.progress:
                self.progress(done, max(done, len(urls)), url)

        to_render = []
        for url in urls:
            key, name = url_keys.get(url), output_name(freezer, url)
            if key and trusted.get(name) == key:
                tick(url)
                continue
            if name in existing:
                (staging / name).unlink()
            if key and cache.copy_response(key, staging / name):
                tick(url)
            else:
                to_render.append(url)
        rendered, seen, batch, workers = [], set(urls), to_render, self.jobs
        while batch:
            rendered += batch
            # A URL only a rendered page links to (through url_for) is rendered next, as Frozen-Flask would.
            work = [(url, url_keys.get(url)) for url in batch]
            batch = sorted(set(render(self.site, work, workers, tick)) - seen)
            seen.update(batch)
            workers = 1
        files = {output_name(freezer, url): url_keys.get(url) for url in rendered + urls}
        return Frozen(files, len(rendered))


# The site a forked worker renders; set in the parent just before the workers start.
WORKER_SITE: Site | None = None


def render(
    site: Site, work: list[tuple[str, str | None]], jobs: int, progress: Callable[[str], object] | None
) -> Iterator[str]:
    """Render each URL of ``work`` through Frozen-Flask, and store it under its key (if it has
    one); yield the URLs the rendered pages link to."""
    global WORKER_SITE
    chunks = [work[start : start + CHUNK] for start in range(0, len(work), CHUNK)]
    if jobs <= 1 or len(chunks) < 2:
        results: Iterable = (render_chunk(chunk, site) for chunk in chunks)
        yield from collect(results, progress)
        return
    WORKER_SITE = site
    try:
        context = multiprocessing.get_context("fork")
        # Fresh workers now and then keep the memory of rendered pages from piling up.
        with context.Pool(jobs, initializer=start_worker, maxtasksperchild=64) as pool:
            yield from collect(pool.imap(render_chunk, chunks), progress)
    finally:
        WORKER_SITE = None


def start_worker() -> None:
    # Ctrl-C reaches every process of the terminal's group: the parent stops the build and
    # the workers with it, instead of each worker printing a traceback of its own.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    processes.exit_with_parent()


def collect(results: Iterable, progress: Callable[[str], object] | None) -> Iterator[str]:
    """The URLs the rendered pages link to; then every page's problems at once, if there were any."""
    problems: list[str] = []
    for built, linked, error in results:
        if isinstance(error, SourceProblems):  # pages an author can fix: go on, to name them all
            problems.extend(error.problems)
        elif error:
            raise error
        for url in built:
            if progress:
                progress(url)
        yield from linked
    if problems:
        raise SourceProblems(list(dict.fromkeys(problems)))


def render_chunk(
    work: list[tuple[str, str | None]], site: Site | None = None
) -> tuple[list[str], list[str], Exception | None]:
    """Render some URLs, each stored under its key; return them, the URLs they link to through
    url_for, and any error. Storing here, in the worker, shares it among the processes."""
    site = site or WORKER_SITE
    app, freezer = site.app, site.freezer
    staging = Path(app.config["FREEZER_DESTINATION"])
    problems: list[str] = []
    url = ""
    try:
        for url, key in work:
            try:
                freezer._build_one(url)
            except SourceProblems as error:  # this page's: the others are still rendered
                problems.extend(error.problems)
                continue
            except ValueError as error:
                if (problem := unpublished_link(url, error)) is None:
                    raise
                problems.append(problem)
                continue
            if key and site.cache:
                site.cache.store_response(key, output_path(freezer, staging, url))
        urls = [url for url, _ in work]
        return urls, list(linked_urls(app, freezer)), SourceProblems(problems) if problems else None
    except SiteError as error:  # a problem the user can fix, already named
        return [], [], error
    except jinja2.TemplateError as error:
        return [], [], RenderError(template_problem(error, app.jinja_loader.searchpath, app.root_path))
    except OSError as error:
        problem = disk_problem(error, app.config["FREEZER_DESTINATION"], "the output")
        if problem is None:
            raise
        return [], [], problem
    except Exception as error:
        trace = "".join(traceback.format_exception(error))
        return [], [], RenderError(f"{url}: the page could not be rendered:\n{trace}")


UNEXPECTED_STATUS = re.compile(r"^Unexpected status '(?P<status>[^']*)' on URL ")  # Frozen-Flask's words


def unpublished_link(url: str, error: ValueError) -> str | None:
    """The problem of a URL a template links with ``url_for`` that answers no page (such as a
    hidden file or an editor's backup in static/, never published): None for any other error."""
    found = UNEXPECTED_STATUS.match(str(error))
    if found is None:
        return None
    return (
        f"{shown_name(url)}: a template links it with url_for, but the site answers "
        f"{found['status']} there (hidden files and editors' leftovers in static/ are never "
        "published): link a file the site publishes, or rename the file"
    )


def linked_urls(app: Flask, freezer: Freezer) -> Iterator[str]:
    script_name = urlsplit(app.config["FREEZER_BASE_URL"] or "").path.rstrip("/")
    with app.test_request_context(base_url=script_name or None):
        for endpoint, values in freezer.url_for_logger.iter_calls():
            url = unquote(urlsplit(url_for(endpoint, **values)).path)
            yield url[len(script_name) :]
