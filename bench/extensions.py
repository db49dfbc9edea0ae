"""What each Markdown extension costs: Markdown time per page on the benchmark corpus.

``python bench/extensions.py [--pages 400] [--seed 0] [--rounds 7]`` generates the corpus
(``bench/corpus.py``) outside the repository and converts every page's body with one reused
Markdown instance (as the site's renderer does), for each set of extensions:

- ``before``: the set the site had before callouts and superfences (fenced_code and codehilite,
  tables, footnotes, toc, sane_lists), with the same caching of Pygments lexers and styles;
- ``now``: the site's set (:data:`flaskguide.markup.EXTENSIONS`);
- ``now without X``: the site's set less one extension, so each one's own cost is the
  difference (superfences and highlight go together, fenced_code and codehilite standing in).

The sets take turns, ``--rounds`` times, and each one's fastest round counts: what is left is the
work, not the machine's noise. The ratio to ``before`` is what the Markdown issue's budget (within
15 %) is checked against. Sanitising (nh3) is not Markdown time and is left out.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

import corpus
import pygments.formatters
from markdown import Markdown
from markdown.extensions import codehilite
from markdown.extensions.codehilite import CodeHiliteExtension
from markdown.extensions.fenced_code import FencedCodeExtension
from markdown.extensions.footnotes import FootnoteExtension
from markdown.extensions.sane_lists import SaneListExtension
from markdown.extensions.tables import TableExtension
from markdown.extensions.toc import TocExtension
from pymdownx.highlight import HighlightExtension
from pymdownx.superfences import SuperFencesCodeExtension

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from flaskguide import frontmatter, markup


class CachedFormatter(markup.StylesheetOnce, pygments.formatters.HtmlFormatter):
    """CodeHilite's formatter as the site used it: token tables worked out once per style."""


codehilite.get_lexer_by_name = markup.cached_lexer  # as the site did, for CodeHilite
CODEHILITE = {"css_class": "highlight", "guess_lang": False, "pygments_formatter": CachedFormatter}
TOC = markup.EXTENSIONS[TocExtension]
FENCES = (HighlightExtension, SuperFencesCodeExtension)


def before() -> list:
    return [
        FencedCodeExtension(),
        CodeHiliteExtension(**CODEHILITE),
        TableExtension(),
        FootnoteExtension(),
        TocExtension(**TOC),
        SaneListExtension(),
    ]


def now(without: type | None = None) -> list:
    """The site's extensions, less ``without`` (the fences: fenced_code and codehilite instead)."""
    chosen = []
    for extension, settings in markup.EXTENSIONS.items():
        if extension is without or (without in FENCES and extension in FENCES):
            if extension is SuperFencesCodeExtension:
                chosen += [FencedCodeExtension(), CodeHiliteExtension(**CODEHILITE)]
            continue
        chosen.append(extension(**settings))
    return chosen


def sets() -> dict[str, list]:
    found = {"before": before(), "now": now()}
    for extension in markup.EXTENSIONS:
        if extension is HighlightExtension or extension is TocExtension:
            continue  # highlight goes with superfences; toc was there before
        name = "superfences + highlight" if extension is SuperFencesCodeExtension else extension.__name__
        found[f"now without {name}"] = now(extension)
    return found


def convert_all(md: Markdown, texts: list[str]) -> float:
    start = time.perf_counter()
    for text in texts:
        md.reset().convert(text)
    return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--pages", type=int, default=400)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--rounds", type=int, default=7)
    options = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="bench-markdown-") as folder:
        files = corpus.generate(folder, options.pages, options.seed)
        texts = [frontmatter.read_body(path.read_bytes()) for path in sorted(files)]
    instances = {name: Markdown(extensions=chosen) for name, chosen in sets().items()}
    for md in instances.values():
        convert_all(md, texts[:20])  # warm: lexers, styles, regular expressions
    best = dict.fromkeys(instances, float("inf"))
    for _ in range(options.rounds):
        for name, md in instances.items():
            best[name] = min(best[name], convert_all(md, texts))
    per_page = {name: seconds / len(texts) * 1000 for name, seconds in best.items()}
    print(f"Markdown time per page, {len(texts)} corpus pages, fastest of {options.rounds} rounds")
    print(f"| {'set':40} | ms/page | vs before | vs now |")
    print(f"|{'-' * 42}|--------:|----------:|-------:|")
    for name, ms in per_page.items():
        print(f"| {name:40} | {ms:7.3f} | {ms / per_page['before']:8.3f}x | {ms / per_page['now']:5.3f}x |")


if __name__ == "__main__":
    main()
