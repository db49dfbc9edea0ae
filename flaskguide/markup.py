"""Markdown to HTML: one reused Markdown instance, headings with ids, raw HTML sanitised.

The dialect is Python-Markdown's with the extensions MkDocs authors know (:data:`EXTENSIONS`):
fences with line numbers and titles, callouts (``!!! note``, ``???``, GitHub's ``> [!NOTE]``),
attribute lists, definition lists, tables, footnotes; :mod:`flaskguide.readers` adds what a
reader needs of them (labelled callouts, framed tables, row headers, typographic punctuation).
"""

from __future__ import annotations

import html
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import ClassVar

import markdown
import nh3
import pygments.lexers
from markdown.extensions import Extension
from markdown.extensions.admonition import AdmonitionExtension
from markdown.extensions.attr_list import AttrListExtension
from markdown.extensions.def_list import DefListExtension
from markdown.extensions.footnotes import FootnoteExtension
from markdown.extensions.md_in_html import MarkdownInHtmlExtension
from markdown.extensions.sane_lists import SaneListExtension
from markdown.extensions.tables import TableExtension
from markdown.extensions.toc import TocExtension
from markdown_callouts.github_callouts import GitHubCalloutsExtension
from pymdownx import highlight
from pymdownx.details import DetailsExtension
from pymdownx.highlight import HighlightExtension
from pymdownx.superfences import SuperFencesCodeExtension

from .errors import PageProblem
from .limits import DEFAULTS, Limits, RenderTimeout, over_limit, time_limit
from .readers import ReadersExtension


class StylesheetOnce:
    """A Pygments HTML formatter that works out each style's token classes once, not per code
    block: the highlighter makes a formatter for every block, and each used to rebuild the same
    tables (a fifth of the Markdown time of a page of code)."""

    tables: ClassVar[dict] = {}

    def _create_stylesheet(self) -> None:
        key = (type(self).__name__, self.style, self.classprefix)
        if key not in self.tables:
            super()._create_stylesheet()
            self.tables[key] = (self.ttype2class, self.class2style)
        self.ttype2class, self.class2style = self.tables[key]


LEXERS: dict[tuple[str, str], pygments.lexer.Lexer] = {}


def cached_lexer(lang: str, **options: object) -> pygments.lexer.Lexer:
    """Pygments' lexer for ``lang`` with ``options``, made once: the highlighter asks Pygments for
    a new one for every code block, and finding a lexer by name costs more than highlighting most
    blocks. A lexer keeps no state between texts, so one serves every block of its language."""
    key = (lang, repr(sorted(options.items())))
    if key not in LEXERS:
        LEXERS[key] = pygments.lexers.get_lexer_by_name(lang, **options)  # raises for an unknown one
    return LEXERS[key]


# pymdownx.highlight offers no setting for either, and looks both names up in its module when it
# highlights a block: they are replaced there, by subclasses that only add the caching above.
highlight.get_lexer_by_name = cached_lexer
for _name in ("BlockHtmlFormatter", "InlineHtmlFormatter"):
    _formatter = getattr(highlight, _name)
    if not issubclass(_formatter, StylesheetOnce):  # once, if this module is reloaded
        setattr(highlight, _name, type(_name, (StylesheetOnce, _formatter), {}))


# Block processors that test every block of every page with a regular expression, and the text
# that any block they take holds: a callout's opening line, or (True) the indent of its body.
QUICK_TESTS = {"admonition": ("!!!", True), "details": ("???", True), "github-callouts": ("[!", False)}
QUICK_TESTS["deflist"] = (":", False)


class QuickTestsExtension(Extension):
    """Skip those tests for blocks without the text: a third of what the callouts cost a page."""

    def extendMarkdown(self, md: markdown.Markdown) -> None:
        indent = " " * md.tab_length
        for name, (marker, or_indented) in QUICK_TESTS.items():
            if name not in md.parser.blockprocessors:
                continue  # an extension left out (bench/extensions.py leaves each out in turn)
            processor = md.parser.blockprocessors[name]
            processor.test = quick_test(processor.test, marker, indent if or_indented else None)


def quick_test(test: Callable, marker: str, indent: str | None) -> Callable:
    def quick(parent: object, block: str) -> bool:
        return (marker in block or (indent is not None and block.startswith(indent))) and test(parent, block)

    return quick


# Each extension with its settings. Given by name, Markdown would look the names up among every
# installed package's entry points: 19 ms, most of the cost of building a Markdown instance.
EXTENSIONS: dict[type[Extension], dict] = {
    # Fences as MkDocs authors write them: ```python linenums="1" hl_lines="2" title="main.py",
    # and the brace form ```{.python linenums="1"}; nested in lists and callouts too.
    HighlightExtension: {
        "css_class": "highlight",
        "guess_lang": False,
        "pygments_lang_class": False,
        # Line numbers as CSS content (data-linenos): never part of the text a reader selects or copies.
        "linenums_style": "pymdownx-inline",
    },
    SuperFencesCodeExtension: {},
    TableExtension: {},
    FootnoteExtension: {},
    AttrListExtension: {},  # {#id} on headings, {.class} on blocks; before toc, which keeps the id
    DefListExtension: {},
    AdmonitionExtension: {},  # !!! note "Title"
    DetailsExtension: {},  # ??? note "Title": a callout that opens and closes
    GitHubCalloutsExtension: {},  # > [!NOTE], [!TIP], [!IMPORTANT], [!WARNING], [!CAUTION]
    TocExtension: {
        "permalink": "#",
        "permalink_class": "heading-link",
        "permalink_title": "Link to this section",
    },
    SaneListExtension: {},
    MarkdownInHtmlExtension: {},  # <div markdown>, <figure markdown>: Markdown inside, sanitised
    ReadersExtension: {},
    QuickTestsExtension: {},  # last: it changes processors the others registered
}


def extensions() -> list[Extension]:
    """New extension objects for one Markdown instance."""
    return [extension(**settings) for extension, settings in EXTENSIONS.items()]


def new_markdown() -> markdown.Markdown:
    return markdown.Markdown(extensions=extensions())


# Harmless markup an author may write in a page; anything else (script, style, iframe, forms) goes.
ALLOWED_TAGS = nh3.ALLOWED_TAGS | {"details", "summary", "kbd", "abbr", "sup", "sub", "mark", "figure"}
ALLOWED_ATTRIBUTES = {
    "*": {"id", "class", "title", "lang", "dir"},
    # A callout is a note region; a wide table's frame is a labelled region that scrolls by keyboard.
    "div": {"role", "aria-label", "tabindex"},
    "span": {"data-linenos"},  # a code line's number, shown by CSS and so never copied with the code
    "a": {"href", "hreflang", "aria-label"},  # aria-label: the heading links' name (readers.py)
    "img": {"src", "alt", "width", "height", "loading"},
    "abbr": {"title"},
    "details": {"open"},
    "ol": {"start", "type"},
    "td": {"colspan", "rowspan", "align", "style"},
    "th": {"colspan", "rowspan", "align", "scope", "style"},
    "code": {"class"},
}
# Markdown writes table alignment as an inline style; nothing else may set one.
ALLOWED_STYLES = {"text-align"}

FIRST_PARAGRAPH = re.compile(r"<p>(.*?)</p>", re.S)
TAG = re.compile(r"<[^>]+>")


@dataclass
class Rendered:
    html: str
    toc: list[dict] = field(default_factory=list)


class RenderProblem(PageProblem):
    """A page that passed every check before rendering, and still could not be rendered: it
    nested too deep for Python's stack, needed more memory than there is, or took longer than
    the watchdog allows. No line applies (0)."""


class Renderer:
    """Turn page bodies into safe HTML, reusing one Markdown instance (it is costly to build)."""

    def __init__(self, trust_html: bool = False, limits: Limits | None = None) -> None:
        self.trust_html = trust_html
        self.limits = limits or DEFAULTS
        self.markdown = new_markdown()

    def render(self, text: str, title: str | None = None) -> Rendered:
        """The page's HTML and table of contents; :class:`RenderProblem` if it cannot be made.
        A first heading that repeats ``title`` (which the template shows) is left out."""
        try:
            with time_limit(self.limits.render_seconds):
                self.markdown.reset().page_title = title
                converted = self.markdown.convert(text)
        except (RecursionError, MemoryError, RenderTimeout) as error:
            # Stopped midway, the instance may keep a parser state or a stash from this page.
            self.markdown = new_markdown()
            raise self.problem(error) from None
        toc = self.markdown.toc_tokens
        return Rendered(converted if self.trust_html else sanitise(converted), toc)

    def problem(self, error: Exception) -> RenderProblem:
        if isinstance(error, RenderTimeout):
            seconds = self.limits.render_seconds
            return RenderProblem(0, over_limit("the page took too long to render", seconds, "render_seconds"))
        if isinstance(error, RecursionError):
            return RenderProblem(0, "the page nests too deep to render: nest fewer lists, quotes or emphasis")
        return RenderProblem(0, "the page needs more memory to render than there is: make it smaller")


def sanitise(fragment: str) -> str:
    """Remove scripts, event handlers, javascript: URLs and comments; keep harmless markup."""
    return nh3.clean(
        fragment,
        tags=ALLOWED_TAGS,
        attributes=ALLOWED_ATTRIBUTES,
        filter_style_properties=ALLOWED_STYLES,
        url_schemes={"http", "https", "mailto"},
        link_rel=None,
        strip_comments=True,
    )


def summary(fragment: str, limit: int = 160) -> str:
    """Plain text of the first paragraph, cut at a word near ``limit`` characters."""
    match = FIRST_PARAGRAPH.search(fragment)
    if not match:
        return ""
    text = " ".join(html.unescape(TAG.sub("", match.group(1))).split())
    if len(text) <= limit:
        return text
    return text[:limit].rsplit(" ", 1)[0].rstrip(",;:") + "…"
