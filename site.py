"""A guide to Flask, written as Markdown pages and frozen into a static site.

Run it as ``python site.py build`` or ``python site.py serve``.

The file is called ``site.py``, which the standard library already uses for
its ``site`` module. ``import site`` and ``flask --app site`` therefore load
the wrong module; run this file by path instead, and never install it. Tests
load it with ``importlib.util.spec_from_file_location`` under another name.
"""

from __future__ import annotations

import os
import shutil
import sys
import time
import warnings
from dataclasses import dataclass
from pathlib import Path

import click
import markdown
import yaml
from flask import Flask, Response, abort, render_template, url_for
from flask_flatpages import FlatPages, Page
from flask_frozen import Freezer, FrozenFlaskWarning, MissingURLGeneratorWarning
from jinja2 import StrictUndefined
from pygments.formatters import HtmlFormatter

ROOT = Path(__file__).resolve().parent

DEFAULT_CONFIG = {
    "SITE_TITLE": "Flask, briefly",
    "SITE_DESCRIPTION": "A short guide to Flask, the lightweight Python web framework.",
    "SITE_CODE_STYLE_LIGHT": "default",
    "SITE_CODE_STYLE_DARK": "github-dark",
    "FLATPAGES_ROOT": "pages",
    "FLATPAGES_EXTENSION": ".md",
    # A bool, not the default "if debug", which warns on every request.
    "FLATPAGES_AUTO_RELOAD": False,
    "FREEZER_DESTINATION": "build",
    "FREEZER_REMOVE_EXTRA_FILES": False,
}

MARKDOWN_EXTENSIONS = ["fenced_code", "codehilite", "tables", "footnotes", "toc", "sane_lists"]
MARKDOWN_CONFIG = {"codehilite": {"css_class": "highlight", "guess_lang": False}}


class SiteError(click.ClickException):
    """Something in the sources a user can fix; the message names the file and line."""

    def __init__(self, problems: list[str]) -> None:
        self.problems = problems
        super().__init__("\n".join(problems))

    def format_message(self) -> str:
        count = len(self.problems)
        noun = "problem" if count == 1 else "problems"
        return f"{count} {noun} found:\n" + "\n".join(self.problems)


class PageProblem(Exception):
    """One thing wrong with one page file, at a line."""

    def __init__(self, line: int, message: str) -> None:
        self.line = line
        super().__init__(message)


# -- pages -------------------------------------------------------------------


def split_front_matter(text: str) -> tuple[str, str]:
    """Split a page into its YAML front matter and its Markdown body."""
    lines = text.split("\n")
    if lines[0].rstrip() != "---":
        raise PageProblem(1, "no front matter: start the file with a '---' line, then 'title: ...'")
    for number, line in enumerate(lines[1:], start=1):
        if line.rstrip() in ("---", "..."):
            return "\n".join(lines[1:number]), "\n".join(lines[number + 1 :])
    raise PageProblem(1, "front matter is never closed: add a '---' line after it")


def parse_meta(meta_text: str) -> dict:
    """Parse front matter YAML into a mapping, refusing anything else."""
    try:
        meta = yaml.safe_load(meta_text)
    except yaml.MarkedYAMLError as error:
        mark = error.problem_mark or error.context_mark
        line = mark.line + 2 if mark else 1
        raise PageProblem(line, f"front matter is not valid YAML: {error.problem}") from None
    if not isinstance(meta, dict):
        raise PageProblem(2, "front matter must be a mapping of keys to values, like 'title: ...'")
    title = meta.get("title")
    if not isinstance(title, str) or not title.strip():
        raise PageProblem(2, "title is missing: add 'title: Your page title' to the front matter")
    return meta


def url_path(page_path: str) -> str:
    """Turn a page path such as ``structure/index`` into its URL path ``structure``."""
    if page_path == "index":
        return ""
    return page_path.removesuffix("/index")


def sort_key(page: Page) -> tuple:
    return (page.meta.get("order", sys.maxsize), page.meta["title"].casefold(), page.path)


class GuidePages(FlatPages):
    """FlatPages that validates every file and names the file and line of each problem."""

    def relative_name(self, filename: str) -> str:
        return os.path.relpath(filename, os.path.dirname(self.root))

    def page_files(self) -> list[tuple[str, str]]:
        """List ``(page path, file name)`` for every page file, in a stable order."""
        extension = self.config("extension")
        found = []
        for folder, subfolders, filenames in os.walk(self.root):
            subfolders.sort()
            relative = os.path.relpath(folder, self.root)
            for name in sorted(filenames):
                if name.endswith(extension):
                    path = os.path.normpath(os.path.join(relative, name[: -len(extension)]))
                    found.append((path.replace(os.sep, "/"), os.path.join(folder, name)))
        return found

    def load_page(self, path: str, filename: str) -> Page:
        mtime = os.path.getmtime(filename)
        cached = self._file_cache.get(filename)
        if cached and cached[1] == mtime:
            return cached[0]
        with open(filename, encoding="utf-8") as handle:
            meta_text, body = split_front_matter(handle.read())
        page = Page(path, meta_text, body, self.render_markdown, os.path.dirname(path))
        page.__dict__["meta"] = parse_meta(meta_text)
        self._file_cache[filename] = (page, mtime)
        return page

    def render_markdown(self, page: Page) -> str:
        return self.markdown.reset().convert(page.body)

    @property
    def markdown(self) -> markdown.Markdown:
        if "markdown" not in self.__dict__:
            self.__dict__["markdown"] = markdown.Markdown(
                extensions=MARKDOWN_EXTENSIONS, extension_configs=MARKDOWN_CONFIG
            )
        return self.__dict__["markdown"]

    @property
    def _pages(self) -> dict[str, Page]:
        # A plain property cached by hand, so FlatPages.reload() still clears it.
        if "_pages" not in self.__dict__:
            self.__dict__["_pages"] = self.load_all()
        return self.__dict__["_pages"]

    def load_all(self) -> dict[str, Page]:
        pages, problems = {}, []
        for path, filename in self.page_files():
            try:
                pages[path] = self.load_page(path, filename)
            except PageProblem as problem:
                problems.append(f"{self.relative_name(filename)}:{problem.line}: {problem}")
        if problems:
            raise SiteError(problems)
        return pages

    def by_url(self, path: str) -> Page | None:
        return self.get(path) or self.get(f"{path}/index")

    def published(self) -> list[Page]:
        """Every page, home first, then in menu order."""
        return sorted(self, key=lambda page: (page.path != "index", sort_key(page)))

    def menu(self) -> list[Page]:
        """The top-level pages and the index page of each top-level folder, in order."""
        top = [page for page in self if url_path(page.path).count("/") == 0 and page.path != "index"]
        return sorted(top, key=sort_key)

    def children(self, section: Page) -> list[Page]:
        """The pages directly inside a folder whose index page is ``section``."""
        prefix = url_path(section.path) + "/"
        inside = [
            page
            for page in self
            if url_path(page.path).startswith(prefix) and "/" not in url_path(page.path)[len(prefix) :]
        ]
        return sorted(inside, key=sort_key)


# -- the app -----------------------------------------------------------------


def create_app(config: dict | None = None) -> Flask:
    """Create the site's Flask app: defaults first, then ``config`` on top."""
    app = Flask(__name__, root_path=str(ROOT))
    app.config.from_mapping(DEFAULT_CONFIG)
    if config:
        app.config.from_mapping(config)
    app.jinja_env.undefined = StrictUndefined
    app.add_template_global(page_url)
    pages = GuidePages(app)
    freezer = Freezer(app)
    app.extensions["freezer"] = freezer
    register_views(app, pages)
    freezer.register_generator(lambda: page_urls(pages))
    return app


def page_url(page: Page) -> str:
    """The URL a page is served at, for templates."""
    if page.path == "index":
        return url_for("home")
    return url_for("page", path=url_path(page.path))


def page_urls(pages: GuidePages):
    for page in pages:
        if page.path != "index":
            yield "page", {"path": url_path(page.path)}


def register_views(app: Flask, pages: GuidePages) -> None:
    @app.context_processor
    def site_context() -> dict:
        return {"menu": pages.menu()}

    @app.route("/")
    def home() -> str:
        page = pages.get_or_404("index")
        return render_template("index.html", page=page, pages=pages.published()[1:])

    @app.route("/<path:path>/")
    def page(path: str) -> str:
        found = pages.by_url(path)
        if found is None or found.path == "index":
            abort(404)
        if found.path.endswith("/index"):
            return render_template("section.html", page=found, children=pages.children(found))
        return render_template("page.html", page=found)

    @app.route("/404.html")
    def not_found_page() -> str:
        # Static hosts serve this file for unknown paths; the freezer needs a 200 to write it.
        return render_template("404.html")

    @app.errorhandler(404)
    def not_found(error: Exception) -> tuple[str, int]:
        return render_template("404.html"), 404

    @app.route("/highlight.css")
    def highlight_css() -> Response:
        css = code_style_css(app.config["SITE_CODE_STYLE_LIGHT"], app.config["SITE_CODE_STYLE_DARK"])
        return Response(css, mimetype="text/css")


def code_style_css(light: str, dark: str) -> str:
    """Pygments colours for code blocks, the dark set behind prefers-color-scheme."""
    light_css = HtmlFormatter(style=light).get_style_defs(".highlight")
    dark_css = HtmlFormatter(style=dark).get_style_defs(".highlight")
    return f"{light_css}\n@media (prefers-color-scheme: dark) {{\n{dark_css}\n}}\n"


# -- building ----------------------------------------------------------------


@dataclass
class BuildReport:
    pages: int
    files: int
    seconds: float
    out: Path

    def summary(self) -> str:
        return f"Built {self.pages} pages, {self.files} files written in {self.seconds:.2f} s into {self.out}"


def check_out_dir(out: Path, project: Path) -> None:
    if out == project or out in project.parents:
        raise click.ClickException(f"refusing to build into {out}: it contains the project itself")


def build_site(app: Flask, out: Path) -> BuildReport:
    """Freeze every URL into a fresh folder beside ``out``, then swap it in whole."""
    started = time.perf_counter()
    out = out.resolve()
    check_out_dir(out, Path(app.root_path))
    pages = app.extensions["flatpages"][None]
    with app.app_context():
        pages.reload()
        page_count = len(list(pages))  # validates every page before anything is written
    staging = out.with_name(f".{out.name}.new")
    shutil.rmtree(staging, ignore_errors=True)
    app.config["FREEZER_DESTINATION"] = str(staging)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", FrozenFlaskWarning)
            # A site of only a home page legitimately freezes nothing for the page view.
            warnings.simplefilter("ignore", MissingURLGeneratorWarning)
            app.extensions["freezer"].freeze()
        files = sum(1 for path in staging.rglob("*") if path.is_file())
        swap_in(staging, out)
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    return BuildReport(page_count, files, time.perf_counter() - started, out)


def swap_in(staging: Path, out: Path) -> None:
    """Replace ``out`` with ``staging`` so readers never see half a build."""
    old = out.with_name(f".{out.name}.old")
    shutil.rmtree(old, ignore_errors=True)
    if out.exists():
        out.rename(old)
    staging.rename(out)
    shutil.rmtree(old, ignore_errors=True)


# -- command line ------------------------------------------------------------


@click.group()
@click.pass_context
def cli(ctx: click.Context) -> None:
    """Build and preview the Flask guide."""
    # Tests pass config overrides as the context object; a user never needs to.
    ctx.ensure_object(dict)


@cli.command()
@click.option(
    "--out",
    type=click.Path(file_okay=False, path_type=Path),
    default=ROOT / "build",
    help="Folder to write the site into.",
    show_default="build",
)
@click.pass_obj
def build(config: dict, out: Path) -> None:
    """Freeze every page into static HTML."""
    report = build_site(create_app(config), out)
    click.echo(report.summary())


@cli.command()
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to listen on.")
@click.option("--port", default=5000, show_default=True, help="Port to listen on.")
@click.pass_obj
def serve(config: dict, host: str, port: int) -> None:
    """Run the live site; edited pages show on the next reload."""
    serve_app(config).run(host=host, port=port)


def serve_app(config: dict | None = None) -> Flask:
    """The app as ``serve`` runs it: pages and templates re-read when they change."""
    return create_app({**(config or {}), "FLATPAGES_AUTO_RELOAD": True, "TEMPLATES_AUTO_RELOAD": True})


if __name__ == "__main__":
    cli()
