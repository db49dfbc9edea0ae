"""The site's views: each route declared beside the function that says what it shows.

A view is a plain function of the site's pages (:class:`~flaskguide.pages.SiteIndex`) and the
URL's arguments. It returns a :class:`View`, the template and the context to render it with, or
None when there is no such page (a 404). What a view puts in its context is exactly what the
build cache keys its HTML on (:mod:`flaskguide.engine`), so the context holds pages, tags,
lists, dicts and plain values only: anything else is refused there, never guessed at.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field

from flask import Flask, Response, abort, current_app, redirect, render_template, request, send_file, url_for
from flask_frozen import Freezer
from werkzeug.routing import PathConverter

from . import assets, links, search
from .codestyle import code_style_css
from .pages import LISTING_PAGES, GuidePage, GuidePages, ReservedUrls, SiteIndex, description
from .tags import Tag, tag_key


@dataclass
class View:
    """What a URL shows: a template and its context, and the pages whose whole body it shows
    (``bodies``). The build cache is keyed on these: any other page is keyed by what it shows
    in lists (see :meth:`flaskguide.engine.Keys.digest`)."""

    template: str
    context: dict = field(default_factory=dict)
    mimetype: str = "text/html"
    bodies: list[GuidePage] = field(default_factory=list)


@dataclass(frozen=True)
class Pager:
    """Where one page of a listing is among the others: its number (from 1), how many there
    are, and the route (endpoint and arguments) that takes a ``number``."""

    number: int
    count: int
    endpoint: str
    args: dict = field(default_factory=dict)


ViewFunction = Callable[..., View | None]
ROUTES: list[tuple[str, str, ViewFunction, dict | None]] = []  # (rule, endpoint, view, defaults)
PAGED = f"{LISTING_PAGES}/<int:number>/"  # a listing's later pages, below its own URL: /guide/page/2/
REDIRECTS = "_redirects"  # the file of old URLs that Netlify and Cloudflare Pages read


def route(
    rule: str, endpoint: str | None = None, paged: bool = False
) -> Callable[[ViewFunction], ViewFunction]:
    """Declare the URL rule a view answers; its endpoint is the function's name unless given.
    A ``paged`` view also answers ``page/<number>/`` below the rule, its first page at the
    rule itself (``number`` 1, which ``url_for`` writes as the rule's own URL)."""

    def declare(function: ViewFunction) -> ViewFunction:
        name = endpoint or function.__name__
        ROUTES.append((rule, name, function, {"number": 1} if paged else None))
        if paged:
            ROUTES.append((rule + PAGED, name, function, None))
        return function

    return declare


def page_count(items: list) -> int:
    """How many pages of SITE_PAGE_SIZE a listing of ``items`` takes: an empty one takes one."""
    return max(1, -(-len(items) // current_app.config["SITE_PAGE_SIZE"]))


def paginate(items: list, number: int, endpoint: str, **args: str) -> tuple[list, Pager] | None:
    """Page ``number`` of ``items`` and its pager; None past the last page."""
    count, size = page_count(items), current_app.config["SITE_PAGE_SIZE"]
    if not 1 <= number <= count:
        return None
    return items[(number - 1) * size : number * size], Pager(number, count, endpoint, args)


def pager_numbers(pager: Pager, around: int = 2) -> list[int | None]:
    """The page numbers a pager links: the first, the last and those within ``around`` of this
    one, with None where numbers are left out; a bounded few, however long the listing."""
    near = range(max(1, pager.number - around), min(pager.count, pager.number + around) + 1)
    shown = sorted({1, pager.count, *near})
    numbers: list[int | None] = []
    for number in shown:
        if numbers and number - numbers[-1] > 1:
            numbers.append(None)
        numbers.append(number)
    return numbers


def page_numbers(items: list) -> range:
    """The numbers of a listing's later pages, for the freezer: 2 to the last."""
    return range(2, page_count(items) + 1)


@route("/", paged=True)
def home(site: SiteIndex, number: int) -> View | None:
    if site.home is None or (shown := paginate(site.tree, number, "home")) is None:
        return None
    pages, pager = shown
    if number > 1:
        return View("listing.html", {"section": site.home, "pages": pages, "pager": pager})
    following = site.neighbours(site.home)[1]
    context = {"page": site.home, "pages": pages, "pager": pager, "previous": None, "next": following}
    return View("index.html", context, bodies=[site.home])


@route("/<path:path>/", paged=True)
def page(site: SiteIndex, path: str, number: int) -> View | None:
    found = site.by_url.get(f"/{path}/")
    if found is None:
        return redirect_view(site, f"/{path}/") if number == 1 else None
    shown = paginate(site.listing(found), number, "page", path=path)
    if shown is None:
        return None
    pages, pager = shown
    if number > 1:
        return View("listing.html", {"section": found, "pages": pages, "pager": pager})
    previous, following = site.neighbours(found)
    context = {
        "page": found,
        "children": pages,
        "pager": pager,
        "breadcrumbs": site.breadcrumbs(found),
        "previous": previous,
        "next": following,
    }
    return View(f"{found.kind}.html", context, bodies=[found])


@route("/tags/", paged=True)
def tags(site: SiteIndex, number: int) -> View | None:
    shown = paginate(site.tags, number, "tags")
    if shown is None:
        return None
    found, pager = shown
    return View("tags.html", {"tags": [tag_entry(tag) for tag in found], "pager": pager})


@route("/tags/<slug>/", paged=True)
def tag(site: SiteIndex, slug: str, number: int) -> View | None:
    found = site.tag_by_slug.get(slug)
    shown = found and paginate(found.pages, number, "tag", slug=slug)
    if not shown:
        return None
    pages, pager = shown
    return View("tag.html", {"tag": tag_entry(found), "pages": pages, "pager": pager})


def tag_entry(tag: Tag) -> dict:
    """What a listing shows of a tag, and so all its key holds: never the tag's every page."""
    return {"name": tag.name, "slug": tag.slug, "count": len(tag.pages)}


@dataclass(frozen=True)
class Route:
    """A URL as a template writes it: ``url_for(route.endpoint, **route.args)``."""

    endpoint: str
    args: dict = field(default_factory=dict)


@route("/feed.xml")
def feed(site: SiteIndex) -> View:
    return feed_view(site.dated, Route("feed"), Route("home"), "")


@route("/tags/<slug>/feed.xml")
def tag_feed(site: SiteIndex, slug: str) -> View | None:
    found = site.tag_by_slug.get(slug)
    if found is None:
        return None
    dated = [page for page in found.pages if page.meta.get("date")]
    return feed_view(dated, Route("tag_feed", {"slug": slug}), Route("tag", {"slug": slug}), found.name)


def feed_view(dated: list[GuidePage], itself: Route, alternate: Route, tag_name: str) -> View:
    """An Atom feed (at ``itself``, of the page at ``alternate``) of the newest SITE_FEED_LIMIT
    of ``dated`` (newest first), with each page's whole HTML where SITE_FEED_FULL_CONTENT asks."""
    config = current_app.config
    entries = dated[: config["SITE_FEED_LIMIT"]]
    full = config["SITE_FEED_FULL_CONTENT"]
    # The feed changed when its newest entry was published or any entry was updated.
    updated = max((page.last_changed for page in entries), default=None)
    context = {
        "entries": entries,
        "updated": updated,
        "full": full,
        "itself": itself,
        "alternate": alternate,
        "tag_name": tag_name,
    }
    # Static hosts send .xml files as application/xml; the live app says the same.
    return View("feed.xml", context, "application/xml", bodies=entries if full else [])


@route("/sitemap.xml")
def sitemap(site: SiteIndex) -> View:
    """The sitemap; past SITE_SITEMAP_LIMIT URLs (the protocol's 50,000), an index of sitemaps."""
    parts = sitemap_parts(site)
    if len(parts) == 1:
        return View("sitemap.xml", {"pages": parts[0]}, "application/xml")
    return View("sitemap-index.xml", {"count": len(parts)}, "application/xml")


@route("/sitemaps/<int:number>.xml")
def sitemap_part(site: SiteIndex, number: int) -> View | None:
    parts = sitemap_parts(site)
    if len(parts) == 1 or not 1 <= number <= len(parts):
        return None
    return View("sitemap.xml", {"pages": parts[number - 1]}, "application/xml")


def sitemap_parts(site: SiteIndex) -> list[list[GuidePage]]:
    limit, pages = current_app.config["SITE_SITEMAP_LIMIT"], site.published
    return [pages[start : start + limit] for start in range(0, len(pages), limit)] or [[]]


def redirect_view(site: SiteIndex, url: str) -> View | None:
    """The page at an old URL of a page (its ``aliases:``): a redirect to where it is now."""
    target = site.aliases.get(url)
    return View("redirect.html", {"target": target, "url": url}) if target else None


# An argument, though it has one value: Frozen-Flask publishes every route without one by itself,
# and a site without aliases publishes no _redirects (see alias_routes).
@route(f"/<any({REDIRECTS}):name>")
def redirects_file(site: SiteIndex, name: str) -> View | None:
    """Every old URL and the page it moved to, for hosts that read a ``_redirects`` file (Netlify,
    Cloudflare Pages): a real 301 there, where other hosts serve the redirect pages."""
    if not site.aliases:
        return None
    moved = [{"url": url, "target": page} for url, page in sorted(site.aliases.items())]
    # A name without an extension is written as binary: any other type, and Frozen-Flask warns.
    return View("redirects.txt", {"moved": moved}, "application/octet-stream")


@route("/robots.txt")
def robots(site: SiteIndex) -> View:
    return View("robots.txt", mimetype="text/plain")


@route("/search/", endpoint="search")
def search_page(site: SiteIndex) -> View:
    return View("search.html")


@route("/404.html")
def not_found_page(site: SiteIndex) -> View:
    # Static hosts serve this file for unknown paths; the freezer needs a 200 to write it.
    return View("404.html")


class Views:
    """The views of one app, over its page store: what the app serves and the engine keys."""

    # Endpoints that serve a file, not a view: one from static/ (whose bytes every cache key
    # covers), the code stylesheet (named by a hash of its content) or a file beside the pages
    # (keyed by its own bytes: see file_version).
    FILES = frozenset({"static", "code_css_file", "page_file"})

    def __init__(self, pages: GuidePages) -> None:
        self.pages = pages
        self.code_css_name = ""  # set by register()
        self.functions: dict[str, ViewFunction] = {endpoint: view for _, endpoint, view, _ in ROUTES}

    def file_version(self, endpoint: str, args: dict) -> object:
        """What the key of a file's URL holds besides the URL: a page file's bytes (through its
        hash), or for an old URL of a page (``/2019/post.html``) where that page is now; nothing
        for the others, which every key covers."""
        if endpoint != "page_file":
            return None
        url = "/" + args["name"]
        if url in self.pages.files:
            return self.pages.file_sha(self.pages.files[url])
        moved = self.pages.site.aliases.get(url)
        return moved and ["moved to", moved.path, moved.meta["title"]]

    def view(self, endpoint: str, args: dict) -> View | None:
        """What the URL of ``endpoint`` with ``args`` shows; None if it is no page."""
        function = self.functions.get(endpoint)
        return function(self.pages.site, **args) if function else None


def page_route(page: GuidePage) -> tuple[str, dict]:
    """The endpoint and arguments of a page's URL: the one place a page meets the routes."""
    return ("home", {}) if page.is_home else ("page", {"path": page.url.strip("/")})


class FileConverter(PathConverter):
    """A file's path: any path that does not end in "/" (those are pages'), matched before
    ``/<path:path>/`` would answer it with a redirect to ``/guide/diagram.svg/``."""

    regex = r"[^/](?:.*[^/])?"
    weight = 150  # below the path converter's 200: more specific


def page_html(pages: GuidePages, page: GuidePage) -> str:
    """A page's HTML with its links and images resolved for where it is shown (see
    :mod:`flaskguide.links`); what they were written as is left on the page, for check."""
    resolved, page.references = links.resolve(page.html, page, pages.files)
    return resolved


def page_url(page: GuidePage, external: bool = False) -> str:
    """The URL a page is served at, for templates."""
    # Every page links the menu's pages and more: build each URL once per base, not once per link.
    known = current_app.extensions.setdefault("page_urls", {})
    key = (page.url, external, request.script_root, request.host_url)
    if key not in known:
        endpoint, values = page_route(page)
        known[key] = url_for(endpoint, _external=external, **values)
    return known[key]


def register(app: Flask, pages: GuidePages, freezer: Freezer) -> Views:
    """Serve every route of this module through ``app``, and give the freezer every URL."""
    views = Views(pages)

    def show(endpoint: str) -> Callable[..., Response]:
        def respond(**args: str) -> Response:
            found = views.view(endpoint, args)
            if found is None:
                abort(404)
            body = render_template(found.template, **found.context)
            if found.mimetype.endswith("xml"):
                body = xml_text(body)
            return Response(body, mimetype=found.mimetype)

        return respond

    responders = {endpoint: show(endpoint) for endpoint in views.functions}
    for rule, endpoint, _, defaults in ROUTES:  # a paged view's two rules share one endpoint
        app.add_url_rule(rule, endpoint, responders[endpoint], defaults=defaults)

    @app.errorhandler(404)
    def not_found(error: Exception) -> tuple[str, int]:
        return render_template("404.html"), 404

    def tag_url(text: str) -> str:
        """The URL of the page listing a tag, from the tag as a page spells it."""
        return url_for("tag", slug=pages.site.tag_by_key[tag_key(text)].slug)

    def page_image(page: GuidePage | None) -> str:
        """The absolute URL of the picture a link to ``page`` shows (og:image): its ``image:``, a
        file beside it (read from its folder, as its links are) or else a path in static/; for a
        page without one, and for the site's own pages (None), ``SITE_IMAGE`` in static/."""
        written = page.meta.get("image") if page is not None else None
        if not written:
            return url_for("static", filename=current_app.config["SITE_IMAGE"], _external=True)
        target = links.source_target(written, page)
        if target is not None and target[0] == "file" and f"/{target[1]}" in pages.files:
            return url_for("page_file", name=target[1], _external=True)
        return url_for("static", filename=written.lstrip("/").removeprefix("static/"), _external=True)

    app.add_template_global(page_url)
    app.add_template_global(page_image)
    app.add_template_global(lambda page: page_html(pages, page), "page_html")
    app.add_template_global(description)
    app.add_template_global(tag_url)
    app.add_template_global(pager_numbers)
    app.add_template_global(lambda section, page: pages.site.holds(section, page), "menu_holds")

    @app.context_processor
    def site_context() -> dict:
        return {"menu": pages.site.menu}

    app.url_map.converters["file"] = FileConverter

    @app.route("/<file:name>", endpoint="page_file")
    def page_file(name: str) -> Response:
        """A file beside the pages (``pages/guide/diagram.svg`` at ``/guide/diagram.svg``)."""
        filename = pages.files.get(f"/{name}")
        if filename is None and (moved := redirect_view(pages.site, f"/{name}")):
            return Response(render_template(moved.template, **moved.context))
        if filename is None:
            if f"/{name}/" in pages.site.by_url:  # /guide: Werkzeug's redirect, had this rule not matched
                return redirect(page_url(pages.site.by_url[f"/{name}/"]), 308)
            abort(404)
        return send_file(filename, conditional=False, etag=False, max_age=None)

    code_css_name = views.code_css_name = register_code_css(app)
    freezer.register_generator(lambda: page_routes(pages.site))
    freezer.register_generator(lambda: listing_routes(pages.site))
    freezer.register_generator(lambda: (("page_file", {"name": url[1:]}) for url in sorted(pages.files)))
    freezer.register_generator(lambda: alias_routes(pages.site))
    freezer.register_generator(lambda: [("code_css_file", {"name": code_css_name})])
    return views


# Characters XML 1.0 forbids anywhere (a page's text may hold them): a feed reader would refuse
# the whole feed.
NOT_IN_XML = re.compile("[^\t\n\r\x20-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")


def xml_text(text: str) -> str:
    return NOT_IN_XML.sub("", text)


def page_routes(site: SiteIndex) -> Iterator[tuple[str, dict]]:
    """Every page's route but the home page's (a listing's, see :func:`listing_routes`)."""
    for found in site.pages:
        if not found.is_home:
            yield page_route(found)


def alias_routes(site: SiteIndex) -> Iterator[tuple[str, dict]]:
    """The routes of every old URL of a page: a folder's (``/old/``) or a file's (``/old.html``)."""
    for url in sorted(site.aliases):
        yield ("page", {"path": url.strip("/")}) if url.endswith("/") else ("page_file", {"name": url[1:]})
    if site.aliases:
        yield "redirects_file", {"name": REDIRECTS}


def listing_routes(site: SiteIndex) -> Iterator[tuple[str, dict]]:
    """The routes of every listing's later pages, of every tag's pages and feed, and of the
    sitemap's parts when it has them."""
    # Frozen-Flask finds the routes without arguments by itself, but a paged one has its number.
    if site.home:
        yield "home", {}
        yield from (("home", {"number": number}) for number in page_numbers(site.tree))
    for section in site.pages:
        if section.is_section:
            path = section.url.strip("/")
            numbers = page_numbers(site.listing(section))
            yield from (("page", {"path": path, "number": number}) for number in numbers)
    yield "tags", {}
    yield from (("tags", {"number": number}) for number in page_numbers(site.tags))
    for found in site.tags:
        yield "tag", {"slug": found.slug}
        yield from (("tag", {"slug": found.slug, "number": number}) for number in page_numbers(found.pages))
        yield "tag_feed", {"slug": found.slug}
    if (count := len(sitemap_parts(site))) > 1:
        yield from (("sitemap_part", {"number": number}) for number in range(1, count + 1))


def register_code_css(app: Flask) -> str:
    """Serve the code blocks' colours at a name carrying a hash of them; return that name."""
    code_css = code_style_css(app.config["SITE_CODE_STYLE_LIGHT"], app.config["SITE_CODE_STYLE_DARK"])
    code_css_name = f"code.{assets.digest(code_css.encode())}.css"

    @app.route(f"/<any({code_css_name!r}):name>")
    def code_css_file(name: str) -> Response:
        # Named by a hash of its content, like the static files, so hosts may cache it forever.
        return Response(code_css, mimetype="text/css")

    @app.context_processor
    def code_css_url() -> dict:
        return {"code_css_url": url_for("code_css_file", name=code_css_name)}

    return code_css_name


def reserved_urls(app: Flask, views: Views) -> ReservedUrls:
    """The URL forms no page may take: the first segment of each of the app's routes, the code
    stylesheet's name and the search index's folder."""
    owners = {search.BUNDLES: f"the search index (/{search.BUNDLES}/)"}
    for rule in app.url_map.iter_rules():
        if rule.rule.endswith(PAGED):
            continue  # a listing's later pages: a form of its own in the table (page/<number>/)
        first, slash, _ = rule.rule.lstrip("/").partition("/")
        if first and not first.startswith("<"):
            owners.setdefault(first, f"the site's own /{first}{slash}")
    owners[views.code_css_name] = f"the site's own /{views.code_css_name}"
    owners[REDIRECTS] = f"the site's own /{REDIRECTS}, the list of moved pages"
    return ReservedUrls(owners)
