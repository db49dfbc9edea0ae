"""A guide to Flask, written as Markdown pages and frozen into a static site.

Run it as ``python site.py build`` or ``python site.py serve``.

The file is called ``site.py``, which the standard library already uses for
its ``site`` module. ``import site`` and ``flask --app site`` therefore load
the wrong module; run this file by path instead, and never install it. Tests
load it with ``importlib.util.spec_from_file_location`` under another name.
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import click
import jinja2
from flask import Flask, Response, abort, current_app, render_template, request, url_for
from flask_flatpages import Page
from flask_frozen import Freezer
from pygments.formatters import HtmlFormatter
from slugify import slugify

from flaskguide import assets, hosting, livereload, relative, search
from flaskguide.build import build_site, terminal_progress
from flaskguide.cache import Cache, TemplateCache
from flaskguide.check import check_site
from flaskguide.engine import template_error
from flaskguide.pages import GuidePages, SiteError, description, today, url_path
from flaskguide.tags import tag_key

ROOT = Path(__file__).resolve().parent

DEFAULT_CONFIG = {
    "SITE_TITLE": "Flask, briefly",
    "SITE_DESCRIPTION": "A short guide to Flask, the lightweight Python web framework.",
    "SITE_AUTHOR": "The Flask, briefly authors",
    "SITE_LANGUAGE": "en",
    # The public address the site is published at; feeds, sitemaps and canonical links need it.
    "SITE_URL": "http://127.0.0.1:5000/",
    "SITE_TRUST_HTML": False,  # True lets raw HTML in pages through unsanitised
    "SITE_SEARCH": True,  # index the built site with Pagefind
    "SITE_RELATIVE": False,  # relative links everywhere, for a site opened from disk
    # Rendered pages and Markdown, stored under hashes of their inputs; None turns the cache off.
    "SITE_CACHE_DIR": str(ROOT / ".cache" / "build"),
    "SITE_CODE_STYLE_LIGHT": "default",
    "SITE_CODE_STYLE_DARK": "github-dark",
    "SITE_DRAFTS": False,  # serve shows drafts; build never does
    "SITE_FUTURE": False,  # pages dated after today, built only with --future
    "SITE_LIVE_RELOAD": False,
    "SITE_LIVE_RELOAD_INTERVAL": 0.3,
    "FLATPAGES_ROOT": "pages",
    "FLATPAGES_EXTENSION": ".md",
    # A bool, not the default "if debug", which warns on every request.
    "FLATPAGES_AUTO_RELOAD": False,
}

# -- the app -----------------------------------------------------------------


def create_app(config: dict | None = None) -> Flask:
    """Create the site's Flask app: defaults first, then ``config`` on top."""
    app = Flask(__name__, root_path=str(ROOT))
    app.config.from_mapping(DEFAULT_CONFIG)
    if config:
        app.config.from_mapping(config)
    app.jinja_env.undefined = jinja2.StrictUndefined
    if app.config["SITE_CACHE_DIR"]:
        app.jinja_env.bytecode_cache = TemplateCache(Cache(Path(app.config["SITE_CACHE_DIR"])))
    app.add_template_global(page_url)
    app.add_template_global(description)
    app.add_template_global(tag_url)
    # Frozen-Flask requests every URL at this base, so links and absolute URLs carry its path.
    app.config.setdefault("FREEZER_BASE_URL", app.config["SITE_URL"])
    pages = GuidePages(app)
    freezer = Freezer(app)
    app.extensions["freezer"] = freezer
    register_views(app, pages)
    assets.init_app(app)
    if app.config["SITE_RELATIVE"]:
        relative.init_app(app)
    freezer.register_generator(lambda: page_urls(pages))
    freezer.register_generator(lambda: tag_urls(pages))
    pages.reserved = reserved_names(app)
    if app.config["SITE_LIVE_RELOAD"]:
        livereload.init_app(app)
        register_error_pages(app)
    return app


def reserved_names(app: Flask) -> frozenset[str]:
    """First URL segments the app's own routes and the search index use: no page may take them."""
    names = {rule.rule.strip("/").split("/")[0] for rule in app.url_map.iter_rules()} | {search.BUNDLES}
    return frozenset(name.casefold() for name in names if name and not name.startswith("<"))


def register_error_pages(app: Flask) -> None:
    """In ``serve``, show what is wrong in the browser and keep the server running."""

    @app.errorhandler(SiteError)
    def site_error(error: SiteError) -> tuple[str, int]:
        return livereload.error_page(app, error.problems), 500

    @app.errorhandler(jinja2.TemplateError)
    def broken_template(error: jinja2.TemplateError) -> tuple[str, int]:
        return livereload.error_page(app, [template_error(error, app)]), 500


def page_url(page: Page, external: bool = False) -> str:
    """The URL a page is served at, for templates."""
    # Every page links the menu's pages and more: build each URL once per base, not once per link.
    known = current_app.extensions.setdefault("page_urls", {})
    key = (page.path, external, request.script_root, request.host_url)
    if key not in known:
        if page.path == "index":
            known[key] = url_for("home", _external=external)
        else:
            known[key] = url_for("page", path=url_path(page.path), _external=external)
    return known[key]


def tag_url(text: str) -> str:
    """The URL of the page listing a tag, from the tag as a page spells it."""
    pages = current_app.extensions["flatpages"][None]
    return url_for("tag", slug=pages.site.tag_by_key[tag_key(text)].slug)


def page_urls(pages: GuidePages):
    for page in pages:
        if page.path != "index":
            yield "page", {"path": url_path(page.path)}


def tag_urls(pages: GuidePages):
    for tag in pages.site.tags:
        yield "tag", {"slug": tag.slug}


@dataclass
class View:
    """What a URL shows: a template and its context. The build cache is keyed on these."""

    template: str
    context: dict = field(default_factory=dict)
    mimetype: str = "text/html"


class Views:
    """The site's pages as pure functions of the content; None means there is no such page."""

    # Endpoints that serve a file, not a view: one from static/ (whose bytes every cache key
    # covers) or the code stylesheet (named by a hash of its content).
    FILES = frozenset({"static", "code_css_file"})

    def __init__(self, pages: GuidePages) -> None:
        self.pages = pages

    def home(self) -> View | None:
        page = self.pages.get("index")
        return page and View("index.html", {"page": page, "pages": self.pages.site.published[1:]})

    def page(self, path: str) -> View | None:
        found = self.pages.by_url(path)
        if found is None or found.path == "index":
            return None
        site = self.pages.site
        template = "section.html" if found.path.endswith("/index") else "page.html"
        previous, following = site.neighbours(found)
        context = {
            "page": found,
            "children": site.children(found),
            "breadcrumbs": site.breadcrumbs(found),
            "previous": previous,
            "next": following,
        }
        return View(template, context)

    def tags(self) -> View:
        return View("tags.html", {"tags": self.pages.site.tags})

    def tag(self, slug: str) -> View | None:
        found = self.pages.site.tag_by_slug.get(slug)
        return found and View("tag.html", {"tag": found})

    def feed(self) -> View:
        entries = self.pages.site.dated
        updated = entries[0].meta["date"] if entries else None
        # Static hosts send .xml files as application/xml; the live app says the same.
        return View("feed.xml", {"entries": entries, "updated": updated}, "application/xml")

    def sitemap(self) -> View:
        return View("sitemap.xml", {"pages": self.pages.site.published}, "application/xml")

    def robots(self) -> View:
        return View("robots.txt", mimetype="text/plain")

    def search(self) -> View:
        return View("search.html")

    def not_found_page(self) -> View:
        # Static hosts serve this file for unknown paths; the freezer needs a 200 to write it.
        return View("404.html")


ROUTES = [
    ("/", "home"),
    ("/<path:path>/", "page"),
    ("/tags/", "tags"),
    ("/tags/<slug>/", "tag"),
    ("/feed.xml", "feed"),
    ("/sitemap.xml", "sitemap"),
    ("/robots.txt", "robots"),
    ("/search/", "search"),
    ("/404.html", "not_found_page"),
]


def register_views(app: Flask, pages: GuidePages) -> None:
    views = Views(pages)
    app.extensions["views"] = views

    @app.context_processor
    def site_context() -> dict:
        return {"menu": pages.site.menu}

    def render(endpoint: str) -> Callable[..., Response]:
        def view(**args: str) -> Response:
            found = getattr(views, endpoint)(**args)
            if found is None:
                abort(404)
            return Response(render_template(found.template, **found.context), mimetype=found.mimetype)

        return view

    for rule, endpoint in ROUTES:
        app.add_url_rule(rule, endpoint, render(endpoint))

    @app.errorhandler(404)
    def not_found(error: Exception) -> tuple[str, int]:
        return render_template("404.html"), 404

    code_css = code_style_css(app.config["SITE_CODE_STYLE_LIGHT"], app.config["SITE_CODE_STYLE_DARK"])
    code_css_name = f"code.{assets.digest(code_css.encode())}.css"

    @app.route(f"/<any({code_css_name!r}):name>")
    def code_css_file(name: str) -> Response:
        # Named by a hash of its content, like the static files, so hosts may cache it forever.
        return Response(code_css, mimetype="text/css")

    @app.context_processor
    def code_css_url() -> dict:
        return {"code_css_url": url_for("code_css_file", name=code_css_name)}

    app.extensions["freezer"].register_generator(lambda: [("code_css_file", {"name": code_css_name})])


def code_style_css(light: str, dark: str) -> str:
    """Pygments colours for code blocks, the dark set behind prefers-color-scheme."""
    light_css = HtmlFormatter(style=light).get_style_defs(".highlight")
    dark_css = HtmlFormatter(style=dark).get_style_defs(".highlight")
    return f"{light_css}\n@media (prefers-color-scheme: dark) {{\n{dark_css}\n}}\n"


# -- command line ------------------------------------------------------------


SITE_URL_OPTION = click.option(
    "--site-url",
    envvar="SITE_URL",
    help="Public address of the site, e.g. https://you.github.io/guide/ (or set SITE_URL).",
)


def site_config(config: dict, site_url: str | None) -> dict:
    if site_url:
        return {**config, "SITE_URL": site_url.rstrip("/") + "/"}
    return config


@click.group()
@click.option(
    "--pages",
    type=click.Path(file_okay=False, exists=True, path_type=Path),
    help="Folder of Markdown pages to use instead of pages/.",
)
@click.pass_context
def cli(ctx: click.Context, pages: Path | None) -> None:
    """Build and preview the Flask guide."""
    # Tests pass config overrides as the context object; a user never needs to.
    ctx.ensure_object(dict)
    if pages:
        ctx.obj["FLATPAGES_ROOT"] = str(pages.resolve())


def out_option(help_text: str) -> Callable:
    return click.option(
        "--out",
        type=click.Path(file_okay=False, path_type=Path),
        default=ROOT / "build",
        help=help_text,
        show_default="build",
    )


@cli.command()
@out_option("Folder to write the site into.")
@click.option("--future", is_flag=True, help="Also build pages dated after today.")
@click.option("--relative", is_flag=True, help="Make every link relative, for opening the files from disk.")
@SITE_URL_OPTION
@click.option(
    "--jobs",
    type=click.IntRange(min=1),
    default=os.cpu_count() or 1,
    show_default="the number of CPUs",
    help="Processes rendering pages at once.",
)
@click.option(
    "--cache",
    type=click.Path(file_okay=False, path_type=Path),
    help="Folder of the build cache.",
    show_default=".cache/build",
)
@click.option("--no-cache", is_flag=True, help="Render every page, and neither read nor write the cache.")
@click.option("--no-search", is_flag=True, help="Skip the search index (a faster build for a preview).")
@click.pass_obj
def build(
    config: dict,
    out: Path,
    future: bool,
    relative: bool,
    site_url: str | None,
    jobs: int,
    cache: Path | None,
    no_cache: bool,
    no_search: bool,
) -> None:
    """Freeze every page into static HTML."""
    if no_search:
        config = {**config, "SITE_SEARCH": False}
    if no_cache or cache:
        config = {**config, "SITE_CACHE_DIR": None if no_cache else str(cache.resolve())}
    app = create_app({**site_config(config, site_url), "SITE_FUTURE": future, "SITE_RELATIVE": relative})
    with terminal_progress() as progress:
        report = build_site(app, out, progress, jobs)
    click.echo(report.summary())


@cli.command()
@click.option("--external", is_flag=True, help="Also list the external links (never fetched).")
@SITE_URL_OPTION
@click.pass_obj
def check(config: dict, external: bool, site_url: str | None) -> None:
    """Build into a temporary folder and verify every link, image and fragment."""
    report = check_site(create_app(site_config(config, site_url)))
    if external:
        click.echo(f"{len(report.external)} external links (not fetched):")
        for line in report.external:
            click.echo(f"  {line}")
    if report.problems:
        raise SiteError(report.problems)
    click.echo(f"Checked {report.pages} pages and {report.links} internal links: no problems.")


@cli.command()
@click.argument("title")
@click.option("--dir", "folder", default="", help="Folder inside pages/ to put the page in.")
@click.pass_obj
def new(config: dict, title: str, folder: str) -> None:
    """Write a new draft page with valid front matter."""
    app = create_app(config)
    pages_root = Path(app.root_path, app.config["FLATPAGES_ROOT"]).resolve()
    path = new_page(pages_root, title, folder)
    click.echo(f"Created {path.relative_to(pages_root.parent)}: a draft until you set 'draft: false'.")


def new_page(pages_root: Path, title: str, folder: str = "") -> Path:
    """Write ``pages/<folder>/<slug>.md``, refusing to overwrite or to leave ``pages/``."""
    slug = slugify(title)
    if not slug:
        raise click.ClickException(f"cannot make a file name from the title {title!r}: use letters or digits")
    target = (pages_root / folder / f"{slug}.md").resolve()
    if not target.is_relative_to(pages_root):
        raise click.ClickException(f"--dir {folder!r} leads outside {pages_root.name}/")
    shown = target.relative_to(pages_root.parent)
    if target.exists():
        raise click.ClickException(f"{shown} already exists: choose another title or edit that file")
    target.parent.mkdir(parents=True, exist_ok=True)
    front = [
        f"title: {json.dumps(title, ensure_ascii=False)}",
        'description: ""',
        f"date: {today()}",
        "draft: true",
    ]
    target.write_text("---\n" + "\n".join(front) + "\n---\n\nWrite here.\n", "utf-8")
    return target


@cli.command()
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to listen on.")
@click.option("--port", default=5000, show_default=True, help="Port to listen on.")
@click.option(
    "--built", is_flag=True, help="Serve the built folder as a static host would, not the live app."
)
@out_option("With --built: the folder to serve.")
@SITE_URL_OPTION
@click.pass_obj
def serve(config: dict, host: str, port: int, built: bool, out: Path, site_url: str | None) -> None:
    """Run the live site; the browser reloads when a source file changes."""
    if not built:
        serve_app(site_config(config, site_url)).run(host=host, port=port)
        return
    if not (out / "index.html").is_file():
        raise click.ClickException(f"{out} holds no built site: run 'python site.py build' first")
    base_path = hosting.base_path(site_url or "/")
    server = hosting.make_server(out, host, port, base_path)
    click.echo(f"Serving {out} at http://{host}:{server.server_port}{base_path}")
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        server.server_close()


def serve_app(config: dict | None = None) -> Flask:
    """The app as ``serve`` runs it: sources re-read on change, drafts shown, browser reloaded."""
    overrides = {
        "FLATPAGES_AUTO_RELOAD": True,
        "TEMPLATES_AUTO_RELOAD": True,
        "SITE_DRAFTS": True,
        "SITE_FUTURE": True,
        "SITE_LIVE_RELOAD": True,
    }
    return create_app({**(config or {}), **overrides})


if __name__ == "__main__":
    cli()
