"""What one page may ask of a build: its size, how deep it nests, and how much work it makes
Python-Markdown do, each checked from the page's text before it is rendered.

Python-Markdown does work quadratic in some inputs (each unclosed ``[`` makes it read to the end
of its paragraph, each inline match copies the paragraph, each code fence copies the page) and
recurses once per level of nested lists and quotes. Every limit here is worked out from the text
alone, in time linear in its length, so the same sources always pass or fail the same way, on any
machine under any load. :func:`time_limit` is a last resort for what these checks miss.
"""

from __future__ import annotations

import bisect
import functools
import re
import signal
import threading
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, fields
from itertools import chain

from markdown.extensions.attr_list import get_attrs_and_remainder

from .errors import PageProblem, SiteError

# Measured with Python-Markdown 3 on CPython 3.11 (figures per this machine's one core): the
# slowest Markdown that passes every other check (50-deep quotes, lists, headings) renders in about
# 5 s per MiB, so a 1 MiB page takes seconds; at 4 MiB it would come near the watchdog.
DEFAULT_MAX_BYTES = 1_048_576
# Nested lists overflow Python's stack at 200 to 300 levels; 50 is far beyond any real page.
DEFAULT_MAX_NESTING = 50
# Characters read one at a time in Python, looking for a closing ']', ')', '>' or fence: up to
# about 0.17 µs each, so a page at the limit spends at most about 0.35 s on them.
DEFAULT_MAX_SCAN = 2_000_000
# Characters copied (a paragraph per inline mark, the page per fenced block, the list of blocks
# per block): about 0.4 ns each, so at most about 0.85 s at the limit.
DEFAULT_MAX_COPY = 2_000_000_000
# Front matter values, each alias counted as a copy of its value: real front matter has dozens.
DEFAULT_MAX_YAML_NODES = 10_000
# Wall-clock seconds for one page's Markdown: a last resort, ten times what the slowest page that
# passes the checks takes, so that machine load never decides whether a build passes.
DEFAULT_RENDER_SECONDS = 60.0

SETTINGS = {
    "max_bytes": "SITE_PAGE_MAX_BYTES",
    "max_nesting": "SITE_PAGE_MAX_NESTING",
    "max_scan": "SITE_PAGE_MAX_SCAN",
    "max_copy": "SITE_PAGE_MAX_COPY",
    "max_yaml_nodes": "SITE_PAGE_MAX_YAML_NODES",
    "render_seconds": "SITE_PAGE_RENDER_SECONDS",
}


@dataclass(frozen=True)
class Limits:
    """The limits every page is checked against; ``render_seconds`` 0 turns the watchdog off."""

    max_bytes: int = DEFAULT_MAX_BYTES
    max_nesting: int = DEFAULT_MAX_NESTING
    max_scan: int = DEFAULT_MAX_SCAN
    max_copy: int = DEFAULT_MAX_COPY
    max_yaml_nodes: int = DEFAULT_MAX_YAML_NODES
    render_seconds: float = DEFAULT_RENDER_SECONDS

    def __post_init__(self) -> None:
        for field in fields(self):
            value = getattr(self, field.name)
            if field.name == "render_seconds":
                valid = isinstance(value, int | float) and not isinstance(value, bool) and value >= 0
                wanted = "a number of seconds (0 for no limit)"
            else:
                valid = isinstance(value, int) and not isinstance(value, bool) and value > 0
                wanted = "a whole number above 0"
            if not valid:
                raise SiteError(f"{SETTINGS[field.name]} must be {wanted}, not {value!r}")

    @classmethod
    def from_config(cls, config: Mapping) -> Limits:
        """The limits an app's config sets (``SITE_PAGE_...``), the defaults for the rest."""
        return cls(**{name: config[setting] for name, setting in SETTINGS.items() if setting in config})


DEFAULTS = Limits()


def exceeded(line: int, what: str, limit: float, name: str) -> PageProblem:
    """A problem in the one form every limit uses, naming the setting that changes it."""
    return PageProblem(line, over_limit(what, limit, name))


def over_limit(what: str, limit: float, name: str) -> str:
    shown = f"{limit:,}" if isinstance(limit, int) else f"{limit:g}"
    return f"{what} (limit {shown}, set {SETTINGS[name]} to change it)"


def size_problem(size: int, limits: Limits, data: bytes | None = None) -> PageProblem | None:
    """Whether a file of ``size`` bytes is too big; at the line where the limit falls in ``data``."""
    if size <= limits.max_bytes:
        return None
    line = data.count(b"\n", 0, limits.max_bytes) + 1 if data is not None else 1
    return exceeded(line, f"the file is {size:,} bytes", limits.max_bytes, "max_bytes")


def check_page(data: bytes, body: str, limits: Limits) -> list[PageProblem]:
    """Every limit a page file exceeds; ``body`` is its Markdown, as frontmatter.split gives it."""
    if problem := size_problem(len(data), limits, data):
        return [problem]  # the rest would only be slow to check
    # The lines above the body are counted only to report a problem: most pages have none.
    return check_text(Page(body, lambda: data.count(b"\n") - body.count("\n")), limits)


def check_body(body: str, limits: Limits, first_line: int = 1) -> list[PageProblem]:
    """Every limit a page's Markdown exceeds, with file lines counted from ``first_line``."""
    return check_text(Page(body, lambda: first_line - 1), limits)


def check_text(page: Page, limits: Limits) -> list[PageProblem]:
    found = [nesting_problem(page, limits), scan_problem(page, limits), copy_problem(page, limits)]
    return [problem for problem in found if problem]


class Page:
    """A page's Markdown as these checks read it, and the file lines of its characters."""

    def __init__(self, body: str, lines_before: Callable[[], int]) -> None:
        # Markdown reads a lone carriage return as a line break; so do these checks.
        self.text = body.replace("\r", "\n") if "\r" in body else body
        self.lines_before = lines_before

    def line(self, at: int) -> int:
        """The file line of the character at ``at`` in ``text``."""
        return self.lines_before() + 1 + self.text.count("\n", 0, at)


# -- nesting: each level of list or quote is a level of recursion in Markdown ----------------------

# One level of nesting at the start of a line: an indent, a '>' or a list marker. Nothing in a
# form is optional but its leading spaces, so a line splits into forms one way only: with a
# choice at each level, the search would take time exponential in the depth.
CONTAINER = r"(?:\t| {4}| {0,3}(?:>|[-*+][ \t]|\d{1,9}[.)][ \t]))"

# Every form is made of these characters, one at least: a quick search rules most pages out.
CONTAINER_CHARACTERS = r"[ \t>*+\-\d.)]"


@functools.cache
def too_deep(limit: int) -> tuple[re.Pattern, re.Pattern]:
    """A line that may be nested more than ``limit`` deep, and one that is."""
    # A line of spaces alone is blank to Markdown, however long.
    start, count = r"\n(?=[ \t]*[^ \t\n])", f"{{{limit + 1}}}"
    return re.compile(rf"{start}{CONTAINER_CHARACTERS}{count}"), re.compile(rf"{start}{CONTAINER}{count}")


def nesting_problem(page: Page, limits: Limits) -> PageProblem | None:
    view = "\n" + page.text  # every line starts after a "\n", so the search skips ahead by it
    maybe, deep = too_deep(limits.max_nesting)
    found = maybe.search(view)
    found = found and deep.search(view, found.start())
    if not found:
        return None
    prefix = re.compile(f"{CONTAINER}*").match(view, found.start() + 1).group()
    depth = len(re.findall(CONTAINER, prefix))
    what = f"lists and block quotes are nested {depth:,} deep here"
    return exceeded(page.line(found.start()), what, limits.max_nesting, "max_nesting")


# -- scanning: what Markdown reads one item at a time, in Python, looking for a closing mark ---------

BLANK_LINE = re.compile(r"\n[ \t]*\n")
BRACKET = re.compile(r"\\.|[\[\]]", re.S)  # an escaped bracket is no bracket
PAREN = re.compile(r"\\.|[()]", re.S)
# A start tag as html.parser reads it: to its '>' or a backtick, quoted values included; each '<'
# inside one that never ends reads to the same end again.
TAG = re.compile(r"""<[A-Za-z](?:[^>`'"]|'[^']*'?|"[^"]*"?)*""")
FENCE = re.compile(r"\n(`{3,}|~{3,})([^\n]*)")

# What each kind of scan is, and what the author can do about it.
KINDS = {
    "bracket": ("'[' is closed by no ']' nearby", "close the brackets, or write \\[ for a bracket alone"),
    "link": ("a link's '(' is closed by no ')' nearby", "close the parentheses"),
    "tag": ("'<' starts an HTML tag that no '>' ends nearby", "end the tags, or write &lt; for a '<' alone"),
    "fence": ("this code fence is never closed", "close each fence with a line of the same fence"),
    "footnote": ("the page has many footnotes and references to them", "use fewer footnotes"),
}


def scan_problem(page: Page, limits: Limits) -> PageProblem | None:
    text = page.text
    if scan_bound(text) <= limits.max_scan:
        return None  # the common case, decided without looking at a single bracket
    total, worst = 0, (0, 0, "")
    for scan in chain(bracket_scans(text), tag_scans(text), fence_scans(text), footnote_scans(text)):
        total += scan[1]
        if scan[1] > worst[1]:
            worst = scan
    if total <= limits.max_scan:
        return None
    start, _, kind = worst
    what, advice = KINDS[kind]
    what += (
        f": Markdown would read {total:,} characters one at a time looking for the ends of the page's "
        f"brackets, tags and fences, and through its footnotes; {advice}"
    )
    return exceeded(page.line(start), what, limits.max_scan, "max_scan")


def scan_bound(text: str) -> int:
    """At least what :func:`scan_problem` counts: every opening mark read to the end of the page,
    and every footnote reference through every footnote."""
    fences = (text.count("`") + text.count("~")) // 3  # a fence has three at least
    if fences and "hl_lines=" in text:
        fences *= 1 + text.count('"') + text.count("'")
    return (3 * text.count("[") + text.count("<") + fences) * (len(text) + 1)


def paragraphs(text: str) -> Iterator[tuple[int, int]]:
    """The start and end of each run of lines without a blank one: Markdown never matches a
    bracket across a blank line."""
    start = 0
    for blank in BLANK_LINE.finditer(text):
        yield start, blank.start()
        start = blank.end()
    yield start, len(text)


def bracket_scans(text: str) -> Iterator[tuple[int, int, str]]:
    """``(start, characters read, kind)`` for every '[' and for the '(' of every link."""
    for start, end in paragraphs(text):
        if text.find("[", start, end) < 0:
            continue
        opened, links = [], Links(text, end)
        for match in BRACKET.finditer(text, start, end):
            if match.group() == "[":
                opened.append(match.start())
            elif match.group() == "]" and opened:
                at = opened.pop()
                yield at, match.start() - at, "bracket"
                if text.startswith("(", match.end()):
                    yield match.end(), links.read_from(match.end()), "link"
        yield from ((at, end - at, "bracket") for at in opened)


class Links:
    """How far Markdown reads each link's ``(...)`` in a paragraph ending at ``end``: to its
    matching ')', but once inside a quote (a title) to the next quote followed by ')'."""

    def __init__(self, text: str, end: int) -> None:
        self.text, self.end = text, end
        self.closing: dict[int, int] | None = None
        self.next_found: dict[str, int] = {}

    def read_from(self, at: int) -> int:
        close = self.matching_paren(at)
        quote = min(self.next_of('"', at), self.next_of("'", at))
        if quote < close:
            close = self.next_of(self.text[quote] + ")", quote + 1)
        return close - at

    def matching_paren(self, at: int) -> int:
        if self.closing is None:  # links come in order: the first one's '(' starts the count
            self.closing, opened = {}, []
            for match in PAREN.finditer(self.text, at, self.end):
                if match.group() == "(":
                    opened.append(match.start())
                elif match.group() == ")" and opened:
                    self.closing[opened.pop()] = match.start()
        return self.closing.get(at, self.end)

    def next_of(self, needle: str, at: int) -> int:
        """Where ``needle`` next is from ``at`` (the paragraph's end if nowhere): links come in
        order, so each search goes on from the last one and the paragraph is read once."""
        found = self.next_found.get(needle, -1)
        if found < at:
            found = self.text.find(needle, at, self.end)
            found = self.end if found < 0 else found
            self.next_found[needle] = found
        return found


def tag_scans(text: str) -> Iterator[tuple[int, int, str]]:
    """html.parser reads the whole page (but fenced code), and every '<' inside a tag that does
    not end reads again to the same place."""
    for match in TAG.finditer(text):
        length = match.end() - match.start()
        yield match.start(), text.count("<", match.start(), match.end()) * length, "tag"


def fence_scans(text: str) -> Iterator[tuple[int, int, str]]:
    """A fence line that can open a block but that no later line closes makes Markdown read to
    the end of the page (with ``hl_lines="`` on it, once more for every quote after it). Lines
    are taken as Markdown takes them: from the top, and a block's lines are not tried again."""
    view = "\n" + text
    fences = [(match.start(), match.group(1), match.group(2)) for match in FENCE.finditer(view)]
    closers: dict[str, list[int]] = {}  # each fence's closing lines, by their place in ``fences``
    for number, (_, fence, rest) in enumerate(fences):
        if not rest.strip(" "):
            closers.setdefault(fence, []).append(number)
    quotes = Quotes(view)
    number = 0
    while number < len(fences):
        at, fence, rest = fences[number]
        opens = opens_a_block(rest)
        if opens:
            later = closers.get(fence, [])
            closing = bisect.bisect_right(later, number)
            if closing < len(later):
                number = later[closing] + 1
                continue
        if opens or "hl_lines=" in rest:
            tries = 1 + quotes.after(at) if "hl_lines=" in rest else 1
            yield at, (len(view) - at) * tries, "fence"
        number += 1


# What may follow a fence on the line that opens a block (fenced_code's FENCED_BLOCK_RE).
OPENING = re.compile(r"""[ ]*(?:\{(?P<attrs>.*)\}|(?:\.?[\w#.+-]*[ ]*)?(?:hl_lines=(["']).*?\2[ ]*)?)""")


def opens_a_block(rest: str) -> bool:
    found = OPENING.fullmatch(rest)
    # Attributes Markdown cannot read leave the line as text.
    return bool(found) and (found["attrs"] is None or not get_attrs_and_remainder(found["attrs"])[1])


class Quotes:
    """How many quote marks follow a place in ``text``, for places asked in order."""

    def __init__(self, text: str) -> None:
        self.text, self.counted_to = text, 0
        self.left = text.count('"') + text.count("'")

    def after(self, at: int) -> int:
        self.left -= self.text.count('"', self.counted_to, at) + self.text.count("'", self.counted_to, at)
        self.counted_to = at
        return self.left


def footnote_scans(text: str) -> Iterator[tuple[int, int, str]]:
    """Markdown finds each footnote reference's number by its place in a list of the footnotes.
    Every '[^' is a reference or a footnote: at worst, half of them are each."""
    marks = text.count("[^")
    if marks > 1:
        yield text.find("[^"), (marks // 2) * (marks - marks // 2), "footnote"


# -- copying: what Markdown copies, at C speed, once per match or per block --------------------------

# What starts an inline match: each match copies its paragraph to put a placeholder in.
INLINE_MARKS = ("[", "`", "*", "_", "\\", "<", "&", "  \n")
BLANK_SPACES = re.compile(r"(?<=\n)[ \t]+(?=\n)")
HTML_BLOCK = re.compile(r"\n {0,3}<")


def copy_problem(page: Page, limits: Limits) -> PageProblem | None:
    text = page.text
    if len(text) * len(text) <= limits.max_copy:
        return None  # no page this short can copy more, whatever it holds
    fenced = len(FENCE.findall("\n" + text)) // 2  # at most: each takes an opening and a closing fence
    total, worst = 0, (0, 0, "", ())
    for copy in chain(paragraph_copies(text), fence_copies(text, fenced), block_copies(text, fenced)):
        total += copy[1]
        if copy[1] > worst[1]:
            worst = copy
    if total <= limits.max_copy:
        return None
    start, _, kind, counts = worst
    what = f"{copy_cause(kind, counts)}; {total:,} characters copied in all"
    return exceeded(page.line(start), what, limits.max_copy, "max_copy")


def copy_cause(kind: str, counts: tuple[int, int]) -> str:
    if kind == "paragraph":
        return (
            f"this paragraph of {counts[0]:,} characters has {counts[1]:,} links, emphasis and other "
            "inline marks: Markdown copies the paragraph for each, so split it with blank lines"
        )
    if kind == "fences":
        return (
            f"{counts[0]:,} fenced code blocks in {counts[1]:,} characters: Markdown copies the page for each"
        )
    return (
        f"the page has {counts[0]:,} blocks (paragraphs, headings, HTML and code blocks): Markdown "
        "moves its list of them once for each"
    )


def paragraph_copies(text: str) -> Iterator[tuple[int, int, str, tuple]]:
    for start, end in paragraphs(text):
        marks = sum(text.count(mark, start, end) for mark in INLINE_MARKS)
        yield start, marks * (end - start), "paragraph", (end - start, marks)


def fence_copies(text: str, fenced: int) -> Iterator[tuple[int, int, str, tuple]]:
    if fenced:
        yield FENCE.search("\n" + text).start(), fenced * len(text), "fences", (fenced, len(text))


def block_copies(text: str, fenced: int) -> Iterator[tuple[int, int, str, tuple]]:
    """Markdown takes each block off the front of a list of them, moving all the rest; moving a
    list entry takes about a quarter of the time of copying a character. Each raw HTML block and
    fenced code block becomes a block between two blank lines."""
    blocks = BLANK_SPACES.sub("", text).count("\n\n") + 1
    blocks += 2 * (len(HTML_BLOCK.findall("\n" + text)) + fenced)
    yield 0, blocks * blocks // 4, "blocks", (blocks,)


# -- the watchdog: a last resort, in wall-clock time --------------------------------------------------


class RenderTimeout(Exception):
    """Raised inside the code a :func:`time_limit` watches, when its time is up."""


@contextmanager
def time_limit(seconds: float) -> Iterator[None]:
    """Raise :class:`RenderTimeout` in the block if it runs for more than ``seconds``.

    A signal timer works in the main thread only, so elsewhere (serve's request threads) and
    where a timer is already running this does nothing; ``seconds`` 0 turns it off.
    """
    if not seconds or not usable_timer():
        yield
        return

    def expire(signum, frame) -> None:
        raise RenderTimeout(seconds)

    previous = signal.signal(signal.SIGALRM, expire)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    finally:
        try:
            signal.setitimer(signal.ITIMER_REAL, 0)
        finally:  # even if the timer fired on the way out
            signal.signal(signal.SIGALRM, previous)


def usable_timer() -> bool:
    return (
        hasattr(signal, "setitimer")
        and threading.current_thread() is threading.main_thread()
        and signal.getitimer(signal.ITIMER_REAL)[0] == 0
    )
