"""The textbook recipe: Flask + Flask-FlatPages + Frozen-Flask, as their documentation shows it.

``python bench/textbook.py --pages-dir DIR --out DIR`` freezes every page serially with
``freezer.freeze()``. It is the baseline the project's build is measured against, so it does
nothing clever: no caches of its own, one Markdown conversion per page, every URL rendered on
every run. It imports nothing from the project.
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

from flask import Flask, render_template
from flask_flatpages import FlatPages, Page
from flask_frozen import Freezer

HERE = Path(__file__).resolve().parent


def url_path(page: Page) -> str:
    """``section/index`` is published at ``/section/``, ``section/slug`` at ``/section/slug/``."""
    return page.path.removesuffix("/index")


def top_sections(pages: FlatPages) -> list[Page]:
    """The index page of each top-level folder, in ``order``."""
    found = [page for page in pages if page.path.count("/") == 1 and page.path.endswith("/index")]
    return sorted(found, key=lambda page: (page.meta.get("order", 0), page.path))


def create_app(pages_dir: Path, out_dir: Path) -> tuple[Flask, Freezer]:
    """The app, its pages and its freezer, configured as in the extensions' docs."""
    app = Flask(__name__, root_path=str(HERE), template_folder="textbook_templates")
    app.config.update(
        FLATPAGES_ROOT=str(pages_dir.resolve()),
        FLATPAGES_EXTENSION=".md",
        FLATPAGES_AUTO_RELOAD=False,
        FLATPAGES_MARKDOWN_EXTENSIONS=["codehilite", "fenced_code", "tables", "toc"],
        FREEZER_DESTINATION=str(out_dir.resolve()),
    )
    pages = FlatPages(app)
    freezer = Freezer(app)
    sections: list[Page] = []

    @app.context_processor
    def navigation() -> dict:
        if not sections:  # computed once: the nav is the same on every page
            sections.extend(top_sections(pages))
        return {"sections": sections, "url_path": url_path}

    @app.route("/")
    def index() -> str:
        listed = sorted((page for page in pages if page.path != "index"), key=lambda page: page.path)
        return render_template("index.html", home=pages.get("index"), pages=listed)

    @app.route("/<path:path>/")
    def page(path: str) -> str:
        found = pages.get(path) or pages.get_or_404(f"{path}/index")
        return render_template("page.html", page=found)

    @freezer.register_generator
    def page_urls():
        for found in pages:
            if found.path != "index":
                yield "page", {"path": url_path(found)}

    return app, freezer


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pages-dir", type=Path, required=True, help="folder of Markdown pages")
    parser.add_argument("--out", type=Path, required=True, help="folder to freeze the site into")
    args = parser.parse_args()
    started = time.perf_counter()
    _, freezer = create_app(args.pages_dir, args.out)
    urls = freezer.freeze()
    print(f"froze {len(urls)} URLs in {time.perf_counter() - started:.2f} s into {args.out}")


if __name__ == "__main__":
    main()
