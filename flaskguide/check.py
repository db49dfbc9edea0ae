"""``check``: build into a temporary folder, then verify the output as a reader would meet it.

It reads everything a build publishes: every HTML file's ``href``, ``src`` and ``srcset`` (each
candidate), its redirect (``<meta http-equiv="refresh">``) and its images' alt text; every
stylesheet's ``url()`` and ``@import`` (named by the line of its source in static/); and the
redirects file ``_redirects``. A problem names the file an author edits, and its line.

External links are listed, and requested only with ``fetch_external`` (``check --fetch``).
"""

from __future__ import annotations

import html
import http.client
import os
import posixpath
import re
import tempfile
from collections import deque
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from functools import cached_property
from html.parser import HTMLParser
from pathlib import Path
from urllib.error import HTTPError, URLError
from urllib.parse import quote, unquote, urljoin, urlsplit
from urllib.request import Request, urlopen

from . import links
from .assets import css_references, fingerprints_of
from .build import Build
from .engine import Site
from .hosting import base_path
from .pages import GuidePage, GuidePages
from .views import page_html

HOST = "http://site.invalid"
NOT_LINKS = ("mailto:", "tel:", "data:", "javascript:")
REDIRECTS_FILE = "_redirects"  # Netlify's and Cloudflare Pages' list of redirects: FROM TO [STATUS]
REFRESH = re.compile(r"^\s*\d*(?:\.\d*)?\s*[;,]\s*(?:url\s*=\s*)?(?P<url>.*?)\s*$", re.IGNORECASE | re.DOTALL)


def srcset_urls(srcset: str) -> list[str]:
    """The URL of each candidate of a ``srcset`` (``a.png 1x, b.png 2x`` -> a.png, b.png), as the
    HTML standard splits it: a URL runs to the next space, and a comma ends a candidate (a comma
    inside a URL, as in a data: URL, does not)."""
    urls, position = [], 0
    while True:
        while position < len(srcset) and (srcset[position].isspace() or srcset[position] == ","):
            position += 1
        if position >= len(srcset):
            return urls
        end = position
        while end < len(srcset) and not srcset[end].isspace():
            end += 1
        url = srcset[position:end]
        if url.endswith(","):  # a candidate without descriptors
            urls.append(url.rstrip(","))
            position = end
            continue
        urls.append(url)
        comma = srcset.find(",", end)  # descriptors (1x, 300w) run to the next comma
        position = len(srcset) if comma < 0 else comma + 1


def refresh_target(content: str) -> str | None:
    """Where ``<meta http-equiv="refresh" content="0; url=/new/">`` sends a reader; None for a
    refresh that only reloads the page."""
    found = REFRESH.match(content)
    if found is None:
        return None
    url = found["url"].strip("'\"").strip()
    return url or None


class PageParser(HTMLParser):
    """Collect the links (each with what it shows: an image or a link), the redirects, the images
    without alt text and the ids of one HTML file."""

    def __init__(self) -> None:
        super().__init__()
        self.links: list[tuple[str, str]] = []  # (kind, URL): kind "image" or "link"
        self.ids: set[str] = set()
        self.redirects: list[str] = []
        self.images_without_alt: list[str] = []  # their src
        self.images_with_empty_alt: list[str] = []  # decorative (alt=""), or Markdown's ![](x.png)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        kind = "image" if tag in ("img", "source") else "link"
        for name, value in attrs:
            if name == "id" or (tag == "a" and name == "name"):
                self.ids.add(value or "")
            elif name in ("href", "src") and value:
                self.add_link(kind, value)
            elif name == "srcset" and value:
                for url in srcset_urls(value):
                    self.add_link(kind, url)
        values = dict(attrs)
        if tag == "img" and not values.get("alt"):
            source = values.get("src") or values.get("srcset") or ""
            (self.images_without_alt if "alt" not in values else self.images_with_empty_alt).append(source)
        if tag == "meta" and (values.get("http-equiv") or "").lower() == "refresh":
            target = refresh_target(values.get("content") or "")
            if target:
                self.redirects.append(target)

    def add_link(self, kind: str, url: str) -> None:
        if not url.startswith(NOT_LINKS):
            self.links.append((kind, url))


@dataclass
class Report:
    pages: int = 0
    links: int = 0
    problems: list[str] = field(default_factory=list)
    # What a reader would not miss, but a good site has (a description): listed, and only with
    # --strict a reason to fail, so a folder of docs brought in as it is can pass.
    warnings: list[str] = field(default_factory=list)
    external: list[str] = field(default_factory=list)  # "where: URL", one per link met
    # Each external http(s) URL (without its #fragment), and where it is written, in order.
    external_urls: dict[str, list[str]] = field(default_factory=dict)

    def add_external(self, where: str, url: str) -> None:
        self.external.append(f"{where}: {url}")
        if url.lower().startswith(("http://", "https://")):
            places = self.external_urls.setdefault(url.partition("#")[0], [])
            if where not in places:
                places.append(where)


@dataclass
class BuiltFile:
    url: str
    parser: PageParser
    source: str | None = None  # the page file it was rendered from, if any
    name: str = ""  # how an author names that file, e.g. pages/why.md
    page: GuidePage | None = None
    pages: GuidePages | None = None  # the store it is one of

    @cached_property
    def lines(self) -> list[str]:
        if self.source is None:
            return []
        with open(self.source, encoding="utf-8-sig") as handle:
            return handle.read().splitlines()

    @cached_property
    def references(self) -> dict[str, str]:
        """What the author wrote for each link the page's Markdown rewrote (a link to
        ``other.md#setup`` published as ``../other/#setup``), by the link as published: worked
        out again here, since the build may have rendered the page in another process, or
        copied it from the cache."""
        if self.page is None or self.pages is None:
            return {}
        page_html(self.pages, self.page)  # records them on the page, as a build does
        return getattr(self.page, "references", None) or {}

    def written(self, link: str) -> str:
        """The link as the author wrote it in the page file."""
        return self.references.get(link) or self.references.get(html.escape(link)) or link


def check_site(site: Site) -> Report:
    """Build the site into a temporary folder and list every problem a reader would hit."""
    with tempfile.TemporaryDirectory(prefix="flask-guide-check-") as folder:
        out = Path(folder) / "site"
        Build(site, out, prune_cache=False).run()
        with site.app.app_context():
            return check_output(site, out)


class Resolver:
    """Turn links into paths within the site, whatever base path the site is built for."""

    def __init__(self, site_url: str) -> None:
        self.site_url = site_url
        self.root = HOST + base_path(site_url)

    def resolve(self, page_url: str, link: str) -> tuple[str, str] | None:
        """``(path from the site's root, fragment)``; None for a link to another site.

        A link to this host outside the site's base path keeps a ``/..`` in front, so
        that it finds nothing and is reported.
        """
        if link.startswith(self.site_url):
            link = self.root + link[len(self.site_url) :]
        absolute = urlsplit(urljoin(self.root + page_url.lstrip("/"), link))
        if f"{absolute.scheme}://{absolute.netloc}" != HOST:
            return None
        full = HOST + absolute.path
        path = "/" + full[len(self.root) :] if full.startswith(self.root) else "/.." + absolute.path
        return unquote(path), unquote(absolute.fragment)


def check_output(site: Site, out: Path) -> Report:
    """Every problem a reader of the site built into ``out`` would meet."""
    pages = site.pages
    resolver = Resolver(site.app.config["SITE_URL"])
    built = read_built_html(site, out)
    report = Report(pages=len(pages.site.by_url))
    # Rendering a page's Markdown (for the links it rewrote) may build URLs, as under a build.
    with site.app.test_request_context(base_url=site.app.config["SITE_URL"]):
        for file in built.values():
            check_links(file, out, built, report, resolver, pages.root)
            check_redirect_page(file, out, built, report, resolver)
            check_alt_text(file, report)
    check_stylesheets(site, out, built, report, resolver)
    check_redirects_file(out, built, report, resolver)
    for page in pages:  # in the order of the files
        if not page.meta.get("description"):
            name = pages.display_name(page.source)
            report.warnings.append(
                f"{name}:1: no description (lists and search engines show the first paragraph): "
                "add 'description: ...' to the front matter"
            )
    sources = pages.site.by_url
    for url in sorted(set(sources) - reachable(built, resolver)):
        report.problems.append(
            f"{pages.display_name(sources[url].source)}: no link leads here from the home page"
        )
    report.problems = list(dict.fromkeys(report.problems))  # a link written twice on a line: once
    return report


def read_built_html(site: Site, out: Path) -> dict[str, BuiltFile]:
    """Every HTML file of ``out`` by its URL, parsed, with the page file it came from."""
    pages, sources = site.pages, site.pages.site.by_url
    built = {}
    for path in sorted(out.rglob("*.html")):
        relative = path.relative_to(out).as_posix()
        url = "/" + relative.removesuffix("index.html")
        parser = PageParser()
        parser.feed(path.read_text("utf-8"))
        page = sources.get(url)
        if page is None:
            built[url] = BuiltFile(url, parser, name=relative)
        else:
            built[url] = BuiltFile(url, parser, page.source, pages.display_name(page.source), page, pages)
    return built


def check_links(
    file: BuiltFile,
    out: Path,
    built: dict[str, BuiltFile],
    report: Report,
    resolver: Resolver,
    pages_root: str,
) -> None:
    for kind, link in file.parser.links:
        target = resolver.resolve(file.url, link)
        if target is None:
            report.add_external(where(file, link), link)
            continue
        report.links += 1
        problem = missing_target(*target, kind, out, built)
        if problem is None or link in file.parser.redirects:  # a redirect's own target: named as one
            continue
        written = file.written(link)
        page_file = written_page_file(file, written)
        if page_file is not None and "nothing is published" in problem:
            problem = page_file_problem(page_file, pages_root, written)
            report.problems.append(f"{where(file, link)}: {problem}")
        else:
            report.problems.append(f"{where(file, link)}: {problem} {written}")


def missing_target(path: str, fragment: str, kind: str, out: Path, built: dict[str, BuiltFile]) -> str | None:
    target = built.get(path) or built.get(path + "/")
    if target is None and (path.startswith("/..") or not (out / path.lstrip("/")).is_file()):
        return f"broken {kind}: nothing is published at"
    if target is not None and path.endswith("/") is False and path + "/" in built:
        return "link without its trailing slash: add it to"
    if fragment and target is not None and fragment not in target.parser.ids:
        return f"broken fragment: {target.url} has no id '{fragment}' for"
    return None


def written_page_file(file: BuiltFile, written: str) -> str | None:
    """The page file (``guide/missing.md``, relative to pages/) a link written as a file name
    (``missing.md#setup``) names; None for a link written as a URL."""
    written_path = written.partition("#")[0].partition("?")[0]
    path = unquote(written_path)
    if file.page is None or not path.lower().endswith(".md") or "://" in path:
        return None
    if path.startswith("/"):
        return posixpath.normpath(path.lstrip("/"))
    return links.source_path(written_path, file.page)  # the rule the page's links were resolved by


def page_file_problem(page_file: str, pages_root: str, written: str) -> str:
    if os.path.isfile(os.path.join(pages_root, page_file)):
        return (
            f"broken link: the page file {page_file} is not published (a draft, or dated after "
            f"today) (written {written})"
        )
    return f"broken link: no page file {page_file} (written {written})"


def check_redirect_page(
    file: BuiltFile, out: Path, built: dict[str, BuiltFile], report: Report, resolver: Resolver
) -> None:
    """A page that sends its reader on (``<meta http-equiv="refresh">``) must send them somewhere."""
    for link in file.parser.redirects:
        target = resolver.resolve(file.url, link)
        if target is None:
            report.add_external(file.name, link)
        elif missing_target(*target, "link", out, built):
            report.problems.append(f"{file.name}: broken redirect: nothing is published at {link}")


def check_alt_text(file: BuiltFile, report: Report) -> None:
    """Images without alt text: no ``alt``, or Markdown's ``![](x.png)``, whose empty brackets are
    more often forgotten than meant (a decorative image is written as HTML, ``alt=""``)."""
    found = [(where(file, src), src) for src in file.parser.images_without_alt]
    found += [
        (place, src)
        for src in file.parser.images_with_empty_alt
        if (place := markdown_without_alt(file, src))
    ]
    for place, src in dict.fromkeys(found):  # one image written twice is one line
        report.problems.append(
            f"{place}: image without alt text: {file.written(src)} "
            '(describe it in ![...](...), or write <img src="..." alt=""> for a decorative image)'
        )


def markdown_without_alt(file: BuiltFile, src: str) -> str | None:
    """Where the page's file writes the image ``src`` as ``![](...)``, if it does."""
    written = f"![]({file.written(src)}"
    number = next((at for at, line in enumerate(file.lines, start=1) if written in line), None)
    return None if number is None else f"{file.name}:{number}"


def check_stylesheets(
    site: Site, out: Path, built: dict[str, BuiltFile], report: Report, resolver: Resolver
) -> None:
    """Every ``url()`` and ``@import`` of every published stylesheet, named by its source's line
    (a published stylesheet keeps its source's lines)."""
    for path in sorted(out.rglob("*.css")):
        relative = path.relative_to(out).as_posix()
        name = stylesheet_source(site, relative)
        url = "/" + relative
        for reference in css_references(path.read_text("utf-8", "surrogateescape")):
            link = reference.url
            if not link or link.startswith(NOT_LINKS) or link.startswith("#"):
                continue  # data:, and a fragment of the page the style applies to (an SVG filter)
            target = resolver.resolve(url, link)
            if target is None:
                report.add_external(f"{name}:{reference.line}", link)
                continue
            report.links += 1
            if missing_target(target[0], "", "link", out, built):
                report.problems.append(
                    f"{name}:{reference.line}: broken reference: nothing is published at {link}"
                )


def stylesheet_source(site: Site, relative: str) -> str:
    """The source of a published stylesheet, as an author knows it: ``static/css/site.css`` for
    ``static/css/site.3f2a9c1e.css``; the published name for one made by the app itself."""
    app = site.app
    static_url = (app.static_url_path or "/static").strip("/") + "/"
    if not (app.static_folder and relative.startswith(static_url)):
        return relative
    original = fingerprints_of(app).original(relative[len(static_url) :])
    folder = Path(os.path.relpath(app.static_folder, app.root_path)).as_posix()
    return f"{folder}/{original}"


def check_redirects_file(out: Path, built: dict[str, BuiltFile], report: Report, resolver: Resolver) -> None:
    """Each line ``FROM TO [STATUS]`` of ``_redirects`` must send its reader to a published URL."""
    path = out / REDIRECTS_FILE
    if not path.is_file():
        return
    for number, line in enumerate(path.read_text("utf-8").splitlines(), start=1):
        fields = line.split()
        if not fields or fields[0].startswith("#"):
            continue
        if len(fields) < 2:
            report.problems.append(f"{REDIRECTS_FILE}:{number}: not a redirect: write FROM TO [STATUS]")
            continue
        origin, link = fields[0], fields[1]
        if "*" in origin or re.search(r"(^|/):", link):
            continue  # a splat or a placeholder: which URLs it makes is the host's business
        target = resolver.resolve("/", link)
        if target is None:
            report.add_external(f"{REDIRECTS_FILE}:{number}", link)
        elif missing_target(*target, "link", out, built):
            report.problems.append(
                f"{REDIRECTS_FILE}:{number}: broken redirect: nothing is published at {link} (from {origin})"
            )


def where(file: BuiltFile, link: str) -> str:
    """The source file (and line, when the link is written in it) a link comes from."""
    written = file.written(link)
    for number, line in enumerate(file.lines, start=1):
        if written in line:
            return f"{file.name}:{number}"
    return file.name


def reachable(built: dict[str, BuiltFile], resolver: Resolver) -> set[str]:
    """Every URL a reader can reach by following links from the home page."""
    seen, queue = {"/"}, deque(["/"])
    while queue:
        file = built.get(queue.popleft())
        if file is None:
            continue
        for _, link in file.parser.links:
            target = resolver.resolve(file.url, link)
            if target is not None and target[0] not in seen:
                seen.add(target[0])
                queue.append(target[0])
    return seen


# -- check --fetch: the external links -----------------------------------------------------------

FETCH_WORKERS = 4  # requests at once: a few, so that no site sees a burst from one check
FETCH_TIMEOUT = 10.0  # seconds for each request
USER_AGENT = "flask-guide-link-check/1 (python urllib; checks that the guide's links still work)"
REFUSED = (403, 429)  # servers that turn away robots, or too many requests: not proof of a dead link
NO_HEAD = (405, 501)  # servers that answer no HEAD request: ask with GET


@dataclass
class Fetched:
    """What requesting the external links found."""

    checked: int = 0
    problems: list[str] = field(default_factory=list)
    not_verified: list[str] = field(default_factory=list)


def fetch_external(
    urls: dict[str, list[str]], timeout: float = FETCH_TIMEOUT, workers: int = FETCH_WORKERS
) -> Fetched:
    """Request each URL (a few at a time): a failure is a problem naming where the URL is
    written; a server that refuses robots (403, 429) leaves it not verified, which is no problem."""
    fetched = Fetched(checked=len(urls))
    ordered = sorted(urls)
    with ThreadPoolExecutor(max_workers=workers, thread_name_prefix="check-fetch") as pool:
        outcomes = list(pool.map(lambda url: probe(url, timeout), ordered))
    for url, (status, failure) in zip(ordered, outcomes, strict=True):
        places = places_text(urls[url])
        if status in REFUSED:
            fetched.not_verified.append(
                f"{places}: not verified (the server refused robots: HTTP {status}): {url}"
            )
        elif failure is not None:
            fetched.problems.append(f"{places}: broken external link ({failure}): {url}")
    return fetched


def places_text(places: list[str]) -> str:
    """``pages/a.md:3``, or ``pages/a.md:3 (also pages/b.md:9 and 4 more)`` for a URL written often."""
    first, rest = places[0], places[1:]
    if not rest:
        return first
    shown = ", ".join(rest[:3])
    more = f" and {len(rest) - 3} more" if len(rest) > 3 else ""
    return f"{first} (also {shown}{more})"


def probe(url: str, timeout: float) -> tuple[int | None, str | None]:
    """``(HTTP status, what is wrong)``: HEAD first, GET when the server answers no HEAD."""
    try:
        status = request_status(url, "HEAD", timeout)
        if status in NO_HEAD:
            status = request_status(url, "GET", timeout)
    except (OSError, http.client.HTTPException, ValueError) as error:
        return None, f"cannot be reached: {failure_reason(error)}"
    if status in REFUSED or status < 400:
        return status, None
    return status, f"HTTP {status}"


def request_status(url: str, method: str, timeout: float) -> int:
    request = Request(requestable(url), method=method, headers={"User-Agent": USER_AGENT})
    try:
        with urlopen(request, timeout=timeout) as response:
            return response.status
    except HTTPError as error:
        error.close()
        return error.code


def requestable(url: str) -> str:
    """``url`` as a request line can carry it: characters beyond ASCII percent-encoded."""
    return quote(url, safe=":/?#[]@!$&'()*+,;=%~")


def failure_reason(error: BaseException) -> str:
    reason = error.reason if isinstance(error, URLError) else error
    if isinstance(reason, TimeoutError) or "timed out" in str(reason):
        return "no answer in time"
    return str(reason) or type(reason).__name__
