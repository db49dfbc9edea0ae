"""``check``: build into a temporary folder, then verify the output as a reader would meet it."""

from __future__ import annotations

import tempfile
from collections import deque
from dataclasses import dataclass, field
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import unquote, urljoin, urlsplit

from .build import Build
from .engine import Site
from .hosting import base_path

HOST = "http://site.invalid"
NOT_LINKS = ("mailto:", "tel:", "data:", "javascript:")


class PageParser(HTMLParser):
    """Collect the links (with the tag they are on) and the ids of one HTML file."""

    def __init__(self) -> None:
        super().__init__()
        self.links: list[tuple[str, str]] = []
        self.ids: set[str] = set()

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        for name, value in attrs:
            if name == "id" or (tag == "a" and name == "name"):
                self.ids.add(value or "")
            elif name in ("href", "src") and value and not value.startswith(NOT_LINKS):
                self.links.append((tag, value))


@dataclass
class Report:
    pages: int = 0
    links: int = 0
    problems: list[str] = field(default_factory=list)
    external: list[str] = field(default_factory=list)


@dataclass
class BuiltFile:
    url: str
    parser: PageParser
    source: str | None = None  # the page file it was rendered from, if any
    name: str = ""  # how an author names that file, e.g. pages/why.md


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
    sources = pages.site.by_url
    built = {}
    for path in sorted(out.rglob("*.html")):
        url = "/" + path.relative_to(out).as_posix().removesuffix("index.html")
        parser = PageParser()
        parser.feed(path.read_text("utf-8"))
        page = sources.get(url)
        if page is None:
            built[url] = BuiltFile(url, parser, name=url.lstrip("/"))
        else:
            built[url] = BuiltFile(url, parser, page.source, pages.display_name(page.source))
    report = Report(pages=len(sources))
    for file in built.values():
        check_links(file, out, built, report, resolver)
    for page in pages:  # in the order of the files
        if not page.meta.get("description"):
            name = pages.display_name(page.source)
            report.problems.append(f"{name}:2: no description: add 'description: ...' to the front matter")
    for url in sorted(set(sources) - reachable(built, resolver)):
        report.problems.append(
            f"{pages.display_name(sources[url].source)}: no link leads here from the home page"
        )
    return report


def check_links(
    file: BuiltFile, out: Path, built: dict[str, BuiltFile], report: Report, resolver: Resolver
) -> None:
    for tag, link in file.parser.links:
        target = resolver.resolve(file.url, link)
        if target is None:
            report.external.append(f"{where(file, link)}: {link}")
            continue
        report.links += 1
        problem = missing_target(*target, tag, out, built)
        if problem:
            report.problems.append(f"{where(file, link)}: {problem} {link}")


def missing_target(path: str, fragment: str, tag: str, out: Path, built: dict[str, BuiltFile]) -> str | None:
    kind = "image" if tag == "img" else "link"
    target = built.get(path) or built.get(path + "/")
    if target is None and (path.startswith("/..") or not (out / path.lstrip("/")).is_file()):
        return f"broken {kind}: nothing is published at"
    if target is not None and path.endswith("/") is False and path + "/" in built:
        return "link without its trailing slash: add it to"
    if fragment and target is not None and fragment not in target.parser.ids:
        return f"broken fragment: {target.url} has no id '{fragment}' for"
    return None


def where(file: BuiltFile, link: str) -> str:
    """The source file (and line, when the link is written in it) a link comes from."""
    if file.source is not None:
        with open(file.source, encoding="utf-8-sig") as handle:
            for number, line in enumerate(handle, start=1):
                if link in line:
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
