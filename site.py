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
from pathlib import Path

import click
import jinja2
from flask import Flask
from flask_frozen import Freezer
from slugify import slugify

from flaskguide import assets, hosting, limits, livereload, relative, views
from flaskguide.build import Build, BuildReport, terminal_progress
from flaskguide.cache import Cache, PageRecords
from flaskguide.check import FETCH_TIMEOUT, check_site, fetch_external
from flaskguide.engine import Progress, Site
from flaskguide.errors import SiteError, SourceProblems
from flaskguide.pages import GuidePages, today
from flaskguide.sources import SourceLoader

ROOT = Path(__file__).resolve().parent

DEFAULT_CONFIG = {
    "SITE_TITLE": "Flask, briefly",
    "SITE_DESCRIPTION": "A short guide to Flask, the lightweight Python web framework.",
    "SITE_AUTHOR": "The Flask, briefly authors",
    "SITE_LANGUAGE": "en",
    # The picture a link to the site shows where it is shared (og:image), a path in static/; a
    # page's own image: (beside it, or in static/) replaces it. 1200x630, as Open Graph suggests.
    "SITE_IMAGE": "img/social.png",
    # The public address the site is published at; feeds, sitemaps and canonical links need it.
    "SITE_URL": "http://127.0.0.1:5000/",
    # The repository's web address, e.g. "https://github.com/you/guide": each page then links
    # "Edit this page" to {SITE_REPO_URL}/edit/{SITE_REPO_BRANCH}/pages/..., its file's path in
    # the project, which must be the repository's root. "" shows no link.
    "SITE_REPO_URL": "",
    "SITE_REPO_BRANCH": "main",
    "SITE_TRUST_HTML": False,  # True lets raw HTML in pages through unsanitised
    "SITE_SEARCH": True,  # index the built site with Pagefind
    "SITE_RELATIVE": False,  # relative links everywhere, for a site opened from disk
    # Rendered pages and Markdown, stored under hashes of their inputs; None turns the cache off.
    "SITE_CACHE_DIR": str(ROOT / ".cache" / "build"),
    # Pygments styles for code in light and dark (accessible-pygments): one family, so both read
    # as one site, and every token reaches 4.5:1 on its background (tests/test_markdown.py).
    "SITE_CODE_STYLE_LIGHT": "github-light-high-contrast",
    "SITE_CODE_STYLE_DARK": "github-dark-high-contrast",
    "SITE_DRAFTS": False,  # serve shows drafts; build never does
    "SITE_FUTURE": False,  # pages dated after today, built only with --future
    # Listings (the home page, sections, tags) show this many pages per page: /page/2/ and on.
    "SITE_PAGE_SIZE": 20,
    "SITE_FEED_LIMIT": 20,  # entries in each feed (the site's, and each tag's), newest first
    "SITE_FEED_FULL_CONTENT": False,  # True puts each page's whole HTML in the feeds, not its summary
    "SITE_SITEMAP_LIMIT": 50_000,  # URLs per sitemap file: the protocol's own limit
    "SITE_LIVE_RELOAD": False,
    "SITE_LIVE_RELOAD_INTERVAL": 0.3,
    # What one page may ask of a build, checked before it is rendered (flaskguide/limits.py).
    "SITE_PAGE_MAX_BYTES": limits.DEFAULT_MAX_BYTES,  # the page file's size
    "SITE_PAGE_MAX_NESTING": limits.DEFAULT_MAX_NESTING,  # lists and quotes in each other; front matter too
    "SITE_PAGE_MAX_SCAN": limits.DEFAULT_MAX_SCAN,  # characters read looking for closing ] ) > and fences
    "SITE_PAGE_MAX_COPY": limits.DEFAULT_MAX_COPY,  # characters copied per inline mark, code block, block
    "SITE_PAGE_MAX_YAML_NODES": limits.DEFAULT_MAX_YAML_NODES,  # front matter values, aliases expanded
    "SITE_PAGE_RENDER_SECONDS": limits.DEFAULT_RENDER_SECONDS,  # a last resort, wall-clock time (0: none)
    "FLATPAGES_ROOT": "pages",
    "FLATPAGES_EXTENSION": ".md",
    # A bool, not the default "if debug", which warns on every request.
    "FLATPAGES_AUTO_RELOAD": False,
}

# -- the app -----------------------------------------------------------------


def create_app(config: dict | None = None) -> Flask:
    """Create the site's Flask app: defaults first, then ``config`` on top."""
    app = Flask(__name__, root_path=str(ROOT))
    # No hidden file, editor's leftover or symlink out of templates/ is loaded as a template.
    app.jinja_loader = SourceLoader(os.path.join(app.root_path, app.template_folder))
    app.config.from_mapping(DEFAULT_CONFIG)
    if config:
        app.config.from_mapping(config)
    app.jinja_env.undefined = jinja2.StrictUndefined
    # Frozen-Flask requests every URL at this base, so links and absolute URLs carry its path.
    app.config.setdefault("FREEZER_BASE_URL", app.config["SITE_URL"])
    pages = GuidePages(app)
    cache = Cache(Path(app.config["SITE_CACHE_DIR"])) if app.config["SITE_CACHE_DIR"] else None
    if cache:
        pages.records = PageRecords(cache)
    freezer = Freezer(app)
    site_views = views.register(app, pages, freezer)
    assets.init_app(app, freezer)
    if app.config["SITE_RELATIVE"]:
        relative.init_app(app)
    pages.reserved = views.reserved_urls(app, site_views)
    if app.config["SITE_LIVE_RELOAD"]:
        livereload.init_app(app)
    app.extensions["flaskguide"] = Site(app, pages, site_views, freezer, cache)
    return app


def site_of(app: Flask) -> Site:
    """The parts of ``app`` that a build and a check work with."""
    return app.extensions["flaskguide"]


def build_site(
    app: Flask, out: Path, progress: Progress | None = None, jobs: int = 1, prune_cache: bool = True
) -> BuildReport:
    """Freeze every URL of ``app`` into ``out`` (see :class:`flaskguide.build.Build`)."""
    return Build(site_of(app), out, progress, jobs, prune_cache).run()


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


class GuideCommands(click.Group):
    """The site's commands: a problem a user can fix is shown as its message, never a traceback.

    The one place where the library's errors become click's."""

    def invoke(self, ctx: click.Context):
        try:
            return super().invoke(ctx)
        except SiteError as error:
            raise click.ClickException(error.report()) from None


@click.group(cls=GuideCommands)
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
    if app.config["SITE_URL"] == DEFAULT_CONFIG["SITE_URL"]:
        click.echo(
            f"Warning: SITE_URL is still {DEFAULT_CONFIG['SITE_URL']}, serve's own address: canonical links, "
            "the feeds and the sitemap point there. Before deploying, build with --site-url "
            "https://your.site/ (or set SITE_URL).",
            err=True,
        )


@cli.command()
@click.option("--external", is_flag=True, help="Also list the external links.")
@click.option(
    "--fetch",
    is_flag=True,
    help="Also request every external http(s) link, a few at a time (without it, none is requested).",
)
@click.option(
    "--timeout",
    type=click.FloatRange(min=0, min_open=True),
    default=FETCH_TIMEOUT,
    show_default=True,
    help="With --fetch: seconds to wait for each answer.",
)
@click.option("--strict", is_flag=True, help="Fail on warnings too (a page without a description).")
@SITE_URL_OPTION
@click.pass_obj
def check(
    config: dict, external: bool, fetch: bool, timeout: float, strict: bool, site_url: str | None
) -> None:
    """Build into a temporary folder and verify every link, image, fragment, stylesheet and redirect."""
    report = check_site(site_of(create_app(site_config(config, site_url))))
    if strict:
        report.problems.extend(report.warnings)
    elif report.warnings:
        noun = "warning" if len(report.warnings) == 1 else "warnings"
        click.echo(f"{len(report.warnings)} {noun} (check --strict fails on them):")
        for line in report.warnings:
            click.echo(f"  {line}")
    if external:
        click.echo(f"{len(report.external)} external links{'' if fetch else ' (not fetched)'}:")
        for line in report.external:
            click.echo(f"  {line}")
    fetched = ""
    if fetch:
        result = fetch_external(report.external_urls, timeout)
        for line in result.not_verified:
            click.echo(line)
        report.problems.extend(result.problems)
        noun = "URL" if result.checked == 1 else "URLs"
        fetched = f" and {result.checked} external {noun} ({len(result.not_verified)} not verified)"
    if report.problems:
        raise SourceProblems(report.problems)
    click.echo(f"Checked {report.pages} pages and {report.links} internal links{fetched}: no problems.")


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
        raise SiteError(f"cannot make a file name from the title {title!r}: use letters or digits")
    target = (pages_root / folder / f"{slug}.md").resolve()
    if not target.is_relative_to(pages_root):
        raise SiteError(f"--dir {folder!r} leads outside {pages_root.name}/")
    shown = target.relative_to(pages_root.parent)
    if target.exists():
        raise SiteError(f"{shown} already exists: choose another title or edit that file")
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
        app = serve_app(site_config(config, site_url), host)
        # Watching from before the first request until the server stops.
        with livereload.watcher_of(app):
            app.run(host=host, port=port)
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


def serve_app(config: dict | None = None, host: str = "127.0.0.1") -> Flask:
    """The app as ``serve`` runs it: sources re-read when the watcher sees them change (see
    :mod:`flaskguide.livereload`), drafts shown, browser reloaded.

    It answers only requests addressed to this machine by name (``Host: localhost``, the
    loopback address or ``host``, the address it listens on): a page on another site that
    points its own name at 127.0.0.1 (DNS rebinding) cannot read the drafts it serves.
    """
    overrides = {
        "TRUSTED_HOSTS": sorted({"localhost", "127.0.0.1", host}),
        # Not FlatPages' reload of every file on every request: livereload's watcher says when.
        "FLATPAGES_AUTO_RELOAD": False,
        "TEMPLATES_AUTO_RELOAD": True,
        "SITE_DRAFTS": True,
        "SITE_FUTURE": True,
        "SITE_LIVE_RELOAD": True,
    }
    return create_app({**(config or {}), **overrides})


if __name__ == "__main__":
    cli()
