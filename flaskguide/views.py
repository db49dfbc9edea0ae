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

from flask import Flask, Response, abort, current_app, render_template, request, url_for
from flask_frozen import Freezer
from pygments.formatters import HtmlFormatter

from . import assets, search
from .pages import GuidePage, GuidePages, ReservedUrls, SiteIndex, description
from .tags import tag_key


@dataclass
class View:
    """What a URL shows: a template and its context. The build cache is keyed on these."""

    template: str
    context: dict = field(default_factory=dict)
    mimetype: str = "text/html"


ViewFunction = Callable[..., View | None]
ROUTES: list[tuple[str, str, ViewFunction]] = []  # (rule, endpoint, view), in declaration order


def route(rule: str, endpoint: str | None = None) -> Callable[[ViewFunction], ViewFunction]:
    """Declare the URL rule a view answers; its endpoint is the function's name unless given."""

    def declare(function: ViewFunction) -> ViewFunction:
        ROUTES.append((rule, endpoint or function.__name__, function))
        return function

    return declare


@route("/")
def home(site: SiteIndex) -> View | None:
    return site.home and View("index.html", {"page": site.home, "pages": site.published[1:]})


@route("/<path:path>/")
def page(site: SiteIndex, path: str) -> View | None:
    found = site.by_url.get(f"/{path}/")
    if found is None:
        return None
    previous, following = site.neighbours(found)
    context = {
        "page": found,
        "children": site.children(found),
        "breadcrumbs": site.breadcrumbs(found),
        "previous": previous,
        "next": following,
    }
    return View(f"{found.kind}.html", context)


@route("/tags/")
def tags(site: SiteIndex) -> View:
    return View("tags.html", {"tags": site.tags})


@route("/tags/<slug>/")
def tag(site: SiteIndex, slug: str) -> View | None:
    found = site.tag_by_slug.get(slug)
    return found and View("tag.html", {"tag": found})


@route("/feed.xml")
def feed(site: SiteIndex) -> View:
    entries = site.dated
    updated = entries[0].meta["date"] if entries else None
    # Static hosts send .xml files as application/xml; the live app says the same.
    return View("feed.xml", {"entries": entries, "updated": updated}, "application/xml")


@route("/sitemap.xml")
def sitemap(site: SiteIndex) -> View:
    return View("sitemap.xml", {"pages": site.published}, "application/xml")


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
    # covers) or the code stylesheet (named by a hash of its content).
    FILES = frozenset({"static", "code_css_file"})

    def __init__(self, pages: GuidePages) -> None:
        self.pages = pages
        self.code_css_name = ""  # set by register()
        self.functions: dict[str, ViewFunction] = {endpoint: view for _, endpoint, view in ROUTES}

    def view(self, endpoint: str, args: dict) -> View | None:
        """What the URL of ``endpoint`` with ``args`` shows; None if it is no page."""
        function = self.functions.get(endpoint)
        return function(self.pages.site, **args) if function else None


def page_route(page: GuidePage) -> tuple[str, dict]:
    """The endpoint and arguments of a page's URL: the one place a page meets the routes."""
    return ("home", {}) if page.is_home else ("page", {"path": page.url.strip("/")})


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

    for rule, endpoint, _ in ROUTES:
        app.add_url_rule(rule, endpoint, show(endpoint))

    @app.errorhandler(404)
    def not_found(error: Exception) -> tuple[str, int]:
        return render_template("404.html"), 404

    def tag_url(text: str) -> str:
        """The URL of the page listing a tag, from the tag as a page spells it."""
        return url_for("tag", slug=pages.site.tag_by_key[tag_key(text)].slug)

    app.add_template_global(page_url)
    app.add_template_global(description)
    app.add_template_global(tag_url)

    @app.context_processor
    def site_context() -> dict:
        return {"menu": pages.site.menu}

    code_css_name = views.code_css_name = register_code_css(app)
    freezer.register_generator(lambda: page_routes(pages.site))
    freezer.register_generator(lambda: (("tag", {"slug": found.slug}) for found in pages.site.tags))
    freezer.register_generator(lambda: [("code_css_file", {"name": code_css_name})])
    return views


# Characters XML 1.0 forbids anywhere (a page's text may hold them): a feed reader would refuse
# the whole feed.
NOT_IN_XML = re.compile("[^\t\n\r\x20-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")


def xml_text(text: str) -> str:
    return NOT_IN_XML.sub("", text)


def page_routes(site: SiteIndex) -> Iterator[tuple[str, dict]]:
    """Every page's route but the home page's (the freezer visits ``/`` by itself)."""
    for found in site.pages:
        if not found.is_home:
            yield page_route(found)


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


def code_style_css(light: str, dark: str) -> str:
    """Pygments colours for code blocks, the dark set behind prefers-color-scheme."""
    light_css = HtmlFormatter(style=light).get_style_defs(".highlight")
    dark_css = HtmlFormatter(style=dark).get_style_defs(".highlight")
    return f"{light_css}\n@media (prefers-color-scheme: dark) {{\n{dark_css}\n}}\n"


def reserved_urls(app: Flask, views: Views) -> ReservedUrls:
    """The URL forms no page may take: the first segment of each of the app's routes, the code
    stylesheet's name and the search index's folder."""
    owners = {search.BUNDLES: f"the search index (/{search.BUNDLES}/)"}
    for rule in app.url_map.iter_rules():
        first, slash, _ = rule.rule.lstrip("/").partition("/")
        if first and not first.startswith("<"):
            owners.setdefault(first, f"the site's own /{first}{slash}")
    owners[views.code_css_name] = f"the site's own /{views.code_css_name}"
    return ReservedUrls(owners)
