"""Micro-benchmark two per-page costs of a build on generated corpus pages.

``python bench/fastpaths.py [--pages 300] [--seed 0] [--repeat 3]`` generates pages into a temporary
folder and times, over every page, best of ``--repeat`` rounds:

(a) parsing the front matter with ``yaml.SafeLoader`` (pure Python) and ``yaml.CSafeLoader`` (libyaml);
(b) rendering the body with ``markdown.markdown(text, ...)``, a new Markdown instance per page as
    Flask-FlatPages does, and with one instance reused through ``md.reset().convert(text)``, both
    with the project's extensions and their configuration.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import corpus
import markdown
import yaml

PROJECT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(PROJECT))
from flaskguide.markup import EXTENSIONS, extensions  # noqa: E402


def split(text: str) -> tuple[str, str]:
    """Front matter (between the first two ``---`` lines) and body of a page."""
    _, meta, body = text.split("---\n", 2)
    return meta, body


def best_of(repeat: int, run: Callable[[], object]) -> tuple[float, object]:
    """The shortest of ``repeat`` timed calls, in seconds, and the last call's result."""
    best, result = float("inf"), None
    for _ in range(repeat):
        started = time.perf_counter()
        result = run()
        best = min(best, time.perf_counter() - started)
    return best, result


def row(name: str, seconds: float, pages: int) -> str:
    return f"  {name:44} {seconds * 1000 / pages:8.3f} ms/page  {seconds:7.3f} s total"


def saving(slow: float, fast: float, pages: int) -> str:
    per_page = (slow - fast) * 1000 / pages
    return (
        f"  saving: {per_page:.3f} ms/page ({1 - fast / slow:.0%}), {slow / fast:.1f}x faster;"
        f" {per_page * 10:.1f} s of CPU at 10,000 pages"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pages", type=int, default=300, help="corpus pages to generate (default 300)")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--repeat", type=int, default=3, help="rounds per measurement; the best counts")
    args = parser.parse_args()

    with tempfile.TemporaryDirectory(prefix="flaskguide-fastpaths-") as folder:
        paths = corpus.generate(folder, args.pages, args.seed)
        pages = [split(path.read_text(encoding="utf-8")) for path in paths]
    metas, bodies = [meta for meta, _ in pages], [body for _, body in pages]
    n = len(pages)
    size = sum(len(body) for body in bodies) / n
    print(f"{n} corpus pages (seed {args.seed}), body {size / 1024:.1f} KB on average; best of {args.repeat}")
    print(f"PyYAML {yaml.__version__} (libyaml: {yaml.__with_libyaml__}), Markdown {markdown.__version__}")

    print("\n(a) front matter: yaml.load(meta, Loader=...)")
    if not getattr(yaml, "__with_libyaml__", False):
        print("  CSafeLoader unavailable: PyYAML was built without libyaml")
    else:
        py_s, py_out = best_of(args.repeat, lambda: [yaml.load(m, Loader=yaml.SafeLoader) for m in metas])
        c_s, c_out = best_of(args.repeat, lambda: [yaml.load(m, Loader=yaml.CSafeLoader) for m in metas])
        print(row("SafeLoader (pure Python)", py_s, n))
        print(row("CSafeLoader (libyaml)", c_s, n))
        print(saving(py_s, c_s, n))
        print(f"  same data from both: {py_out == c_out}")

    print(f"\n(b) body: Markdown with {', '.join(extension.__name__ for extension in EXTENSIONS)}")

    def new_each() -> list[str]:
        return [markdown.markdown(body, extensions=extensions()) for body in bodies]

    def reused() -> list[str]:
        md = markdown.Markdown(extensions=extensions())
        return [md.reset().convert(body) for body in bodies]

    build_s, _ = best_of(max(args.repeat, 20), lambda: markdown.Markdown(extensions=extensions()))
    new_s, new_out = best_of(args.repeat, new_each)
    reuse_s, reuse_out = best_of(args.repeat, reused)
    print(row("markdown.markdown(): new instance per page", new_s, n))
    print(row("one instance, md.reset().convert()", reuse_s, n))
    print(saving(new_s, reuse_s, n))
    print(f"  building one Markdown instance: {build_s * 1000:.3f} ms")
    print(f"  same HTML from both: {sum(a == b for a, b in zip(new_out, reuse_out, strict=True))}/{n} pages")


if __name__ == "__main__":
    main()
