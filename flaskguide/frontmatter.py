"""Front matter: split it from the body, parse it safely, validate every key with its line."""

from __future__ import annotations

import datetime
import re

import yaml

from .errors import PageProblem, ProblemGroup
from .limits import DEFAULTS, Limits, check_page, exceeded, size_problem

TIMESTAMP_TAG = "tag:yaml.org,2002:timestamp"
DATE_PATTERN = re.compile(r"\d{4}-\d{2}-\d{2}")


class FrontMatterLoader(getattr(yaml, "CSafeLoader", yaml.SafeLoader)):
    """Safe YAML (never constructs objects) that refuses duplicate keys and keeps dates as text.

    Line numbers are of the front matter, which starts on line 2 of the file.
    """

    def construct_mapping(self, node: yaml.MappingNode, deep: bool = False) -> dict:
        seen = set()
        for key_node, _ in node.value:
            key = self.construct_object(key_node, deep=True)
            if key in seen:
                line = node_line(key_node)
                raise PageProblem(line, f"duplicate key {key!r}: each key may appear once")
            seen.add(key)
        return super().construct_mapping(node, deep=deep)


# Dates stay strings so that "2024-13-45" reaches our own check instead of crashing PyYAML.
FrontMatterLoader.yaml_implicit_resolvers = {
    first: [(tag, regexp) for tag, regexp in resolvers if tag != TIMESTAMP_TAG]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}


def decode(data: bytes) -> str:
    """Decode a page file's bytes: UTF-8 only (a BOM is fine), CRLF read as LF."""
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        raise PageProblem(1, "the file is UTF-16 (byte offset 0 is a UTF-16 BOM): save it as UTF-8")
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        line = data.count(b"\n", 0, error.start) + 1
        byte = data[error.start : error.start + 1].hex()
        raise PageProblem(
            line, f"the file is not UTF-8 (byte 0x{byte} at offset {error.start}): save it as UTF-8"
        ) from None
    return text.replace("\r\n", "\n")


def split(text: str) -> tuple[str, str]:
    """Split a page into its front matter and its body. Front matter is optional (as in MkDocs,
    Hugo and on GitHub): a page that does not start with a ``---`` line is all body."""
    lines = text.split("\n")
    if lines[0].rstrip() != "---":
        return "", text
    for number, line in enumerate(lines[1:], start=1):
        if line.rstrip() == "---":
            return "\n".join(lines[1:number]), "\n".join(lines[number + 1 :])
    raise PageProblem(1, "front matter is never closed: add a '---' line after it")


def parse(meta_text: str, limits: Limits | None = None) -> tuple[dict, dict[str, int]]:
    """Parse front matter YAML into a mapping and the file line of each top-level key."""
    limits = limits or DEFAULTS
    if problem := character_problem(meta_text):
        raise problem
    loader = FrontMatterLoader(meta_text)
    try:
        node = loader.get_single_node()
        if node is None:
            return {}, {}
        if not isinstance(node, yaml.MappingNode):
            raise PageProblem(2, "front matter must be a mapping of keys to values, like 'title: ...'")
        check_nodes(loader, node, limits)
        meta = loader.construct_document(node)
    except yaml.MarkedYAMLError as error:
        message = f"front matter is not valid YAML: {error.problem}"
        raise PageProblem(error_line(error, meta_text), message) from None
    except yaml.YAMLError as error:  # a reader's error: it has a position, not a mark
        line = meta_text.count("\n", 0, getattr(error, "position", 0)) + 2
        raise PageProblem(line, f"front matter is not valid YAML: {error}") from None
    except RecursionError:  # PyYAML without libyaml composes nested values recursively
        raise PageProblem(2, "front matter nests lists and mappings too deep to read") from None
    finally:
        loader.dispose()
    return meta, {key.value: node_line(key) for key, _ in node.value}


# What YAML cannot read (it says so without a line), and the line breaks it reads but this file's
# line numbers do not count (CR alone, NEL, LS, PS): every problem after one would be misplaced.
UNREADABLE = re.compile("[^\t\n\x20-\x7e\xa0-\u2027\u202a-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")


def character_problem(meta_text: str) -> PageProblem | None:
    found = UNREADABLE.search(meta_text)
    if not found:
        return None
    line = meta_text.count("\n", 0, found.start()) + 2
    code = f"U+{ord(found.group()):04X}"
    return PageProblem(line, f"front matter holds the control character {code}: remove it")


# -- the composed front matter, checked before anything is constructed from it ---------------------

YAML = "tag:yaml.org,2002:"
ALLOWED_TAGS = {YAML + name for name in ("str", "int", "float", "bool", "null", "seq", "map")}
# The other values safe YAML can build (!!binary, !!set, !!timestamp...), refused by name rather
# than by whatever their constructors happen to raise; a tag it has no constructor for at all
# (!!python/object, the merge key '<<') YAML refuses itself, when the document is constructed.
REFUSED_TAGS = set(FrontMatterLoader.yaml_constructors) - ALLOWED_TAGS - {None}
SCALAR_KINDS = {YAML + "int": "a whole number", YAML + "float": "a number", YAML + "bool": "true or false"}


def check_nodes(loader: yaml.BaseLoader, root: yaml.Node, limits: Limits) -> None:
    """Refuse front matter that, with every alias expanded, holds more than the limit of values
    or nests deeper than the limit, or that holds itself; and report every key that is a list or
    mapping, every tag that is not plain data and every value its tag cannot read.

    One walk of the node graph, each node once: sizes and depths are remembered per node, so a
    billion laughs costs as much as its few lines, and nothing expanded is ever built.
    """
    sizes: dict[int, tuple[int, int]] = {}  # id of a node -> (values in it, depth), aliases expanded
    inside: set[int] = set()  # the nodes being walked: the path from the root
    problems: list[PageProblem] = []
    stack = [(root, False)]
    while stack:
        node, walked = stack.pop()
        if walked:
            inside.discard(id(node))
            sizes[id(node)] = size = measure(node, sizes)
            check_expansion(node, size, limits)
        elif id(node) in inside:
            raise PageProblem(node_line(node), "the value anchored here holds an alias to itself")
        elif id(node) not in sizes:
            problems.extend(node_problems(loader, node))
            inside.add(id(node))
            stack.append((node, True))
            stack.extend((child, False) for child in children(node))
    if problems:
        raise problems[0] if len(problems) == 1 else ProblemGroup(problems)


def children(node: yaml.Node) -> list[yaml.Node]:
    if isinstance(node, yaml.MappingNode):
        return [item for pair in node.value for item in pair]
    return node.value if isinstance(node, yaml.SequenceNode) else []


def measure(node: yaml.Node, sizes: dict[int, tuple[int, int]]) -> tuple[int, int]:
    """The values in ``node`` and its depth, from those of its children (all walked before it)."""
    measured = [sizes[id(child)] for child in children(node)]
    return 1 + sum(size for size, _ in measured), 1 + max((depth for _, depth in measured), default=0)


def check_expansion(node: yaml.Node, size: tuple[int, int], limits: Limits) -> None:
    values, depth = size
    if values > limits.max_yaml_nodes:
        what = f"front matter holds {values:,} values here, each alias (*name) counted as a copy of its value"
        raise exceeded(node_line(node), what, limits.max_yaml_nodes, "max_yaml_nodes")
    if depth > limits.max_nesting:
        what = f"front matter nests lists and mappings {depth:,} deep here"
        raise exceeded(node_line(node), what, limits.max_nesting, "max_nesting")


def node_problems(loader: yaml.BaseLoader, node: yaml.Node) -> list[PageProblem]:
    if node.tag in REFUSED_TAGS:
        tag = node.tag.replace(YAML, "!!")
        message = f"front matter holds only text, numbers, true/false, lists and mappings, not {tag}"
        return [PageProblem(node_line(node), message)]
    if isinstance(node, yaml.MappingNode):
        return [
            PageProblem(node_line(key), f"a key must be text or a number, not a {kind_of(key)}")
            for key, _ in node.value
            if not isinstance(key, yaml.ScalarNode)
        ]
    if isinstance(node, yaml.ScalarNode) and node.tag in SCALAR_KINDS:
        try:
            loader.construct_object(node)  # kept: the document's construction reuses it
        except (ArithmeticError, LookupError, TypeError, ValueError, AttributeError):
            return [PageProblem(node_line(node), f"{clipped(node.value)!r} is not {SCALAR_KINDS[node.tag]}")]
    return []


def clipped(text: str, limit: int = 40) -> str:
    return text if len(text) <= limit else text[:limit] + "…"


def kind_of(node: yaml.Node) -> str:
    return "list" if isinstance(node, yaml.SequenceNode) else "mapping"


def node_line(node: yaml.Node) -> int:
    """The file line of a node: front matter starts on line 2."""
    return node.start_mark.line + 2


def error_line(error: yaml.MarkedYAMLError, meta_text: str) -> int:
    """The file line of a YAML error: where it was found, or where the unclosed thing began."""
    last = meta_text.count("\n")
    marks = [mark.line for mark in (error.problem_mark, error.context_mark) if mark is not None]
    inside = [line for line in marks if line <= last and meta_text.split("\n")[line].strip()]
    return (inside[0] if inside else last) + 2


def check_title(value: object) -> str | None:
    if not isinstance(value, str) or not value.strip():
        return "must be a non-empty string"
    return None


def day_of(value: object) -> datetime.date | None:
    """The day a front matter date names: ``2024-05-01``, or a date and time as YAML and
    ISO 8601 write it (``2024-05-01 10:30``, ``2024-05-01T10:30:00+02:00``), its own day."""
    if not isinstance(value, str) or not DATE_PATTERN.match(value):
        return None
    try:
        return datetime.datetime.fromisoformat(value.replace(" ", "T", 1)).date()
    except ValueError:
        return None


def check_date(value: object) -> str | None:
    if day_of(value) is None:
        return "is not a valid date (use YYYY-MM-DD, or a date and time such as 2024-05-01 10:30)"
    return None


def check_publication(value: object) -> str | None:
    """``date``: a date, or the mapping MkDocs' blog writes (``created``, and ``updated``)."""
    if isinstance(value, dict):
        if "created" in value and set(value) <= {"created", "updated"} and all(map(day_of, value.values())):
            return None
        return "must be a date, or created: and updated: dates (as MkDocs' blog writes them)"
    return check_date(value)


def dates_of(meta: dict) -> tuple[datetime.date | None, datetime.date | None]:
    """A page's publication and updated days, however its front matter writes them (checked)."""
    published, updated = meta.get("date"), meta.get("updated")
    if isinstance(published, dict):
        published, updated = published["created"], updated or published.get("updated")
    return day_of(published) if published else None, day_of(updated) if updated else None


def check_tags(value: object) -> str | None:
    if not isinstance(value, list) or not all(isinstance(tag, str) and tag.strip() for tag in value):
        return "must be a list of strings, like [flask, basics]"
    return None


def check_aliases(value: object) -> str | None:
    """Old URLs of the page, each published as a redirect to it: paths of this site, as
    ``/old/name/`` (or a file's, ``/2019/post.html``), without the site's base path."""
    if isinstance(value, list) and value and all(is_alias(alias) for alias in value):
        return None
    return (
        "must be a list of this site's old URL paths, each starting with '/' and ending with '/' "
        "or a file name, like [/old/name/, /2019/post.html]"
    )


def is_alias(text: object) -> bool:
    if not isinstance(text, str):
        return False
    segments = text.split("/")
    return (
        text.startswith("/")
        and not text.startswith("//")
        and not set(text) & set("?#\\ \t\n")
        and not {".", ".."} & set(segments)
        and (text.endswith("/") or "." in segments[-1])
    )


def check_type(kind: type, wanted: str):
    def check(value: object) -> str | None:
        # bool is an int in Python, but 'order: true' is a mistake.
        if not isinstance(value, kind) or (kind is int and isinstance(value, bool)):
            return f"must be {wanted}"
        return None

    return check


def check_image(value: object) -> str | None:
    """The picture a link to the page shows (og:image): a file beside the page or a path in
    static/, resolved to an absolute URL by :mod:`flaskguide.views` (``page_image``)."""
    if not isinstance(value, str) or not value.strip():
        return "must be a non-empty string: a file beside the page or a path in static/, like img/cover.png"
    return None


CHECKS = {
    "title": check_title,
    "date": check_publication,
    "updated": check_date,  # when it last changed, if not its last commit's day (freshness.py)
    "tags": check_tags,
    "order": check_type(int, "a whole number, like 3"),
    "draft": check_type(bool, "true or false"),
    "description": check_type(str, "a string"),
    "menu": check_type(str, "a string"),
    "aliases": check_aliases,
    "image": check_image,
}


def validate(meta: dict, lines: dict[str, int]) -> list[PageProblem]:
    """Every problem in a page's front matter; unknown keys are allowed, and so is a page without
    a title (it takes its first heading's, or its file name's: see pages.py)."""
    problems = []
    for key, check in CHECKS.items():
        if key in meta and (message := check(meta[key])):
            problems.append(PageProblem(lines.get(key, 2), f"{key}: {shown(meta[key])} {message}"))
    if problem := order_problem(meta, lines):
        problems.append(problem)
    return problems


def order_problem(meta: dict, lines: dict[str, int]) -> PageProblem | None:
    """An ``updated`` before the ``date``: a page cannot change before it is published."""
    if check_publication(meta.get("date", "")) or check_date(meta.get("updated", "2000-01-01")):
        return None  # missing, or already reported as not a date
    published, updated = dates_of(meta)
    if published is None or updated is None or updated >= published:
        return None
    return PageProblem(
        lines.get("updated", lines.get("date", 2)),
        f'updated: "{updated}" is before date "{published}", the day the page was published: '
        "set updated to that day or later, or remove it",
    )


def shown(value: object) -> str:
    if value is None:
        return "(empty)"
    return f'"{value}"' if isinstance(value, str) else str(value)


def read(data: bytes, limits: Limits | None = None) -> tuple[dict, str]:
    """Decode, split, parse and validate a page file: its front matter and its Markdown body.

    Every problem in the file is raised at once, the limits its body exceeds among them; a file
    over the size limit is refused before it is decoded.
    """
    limits = limits or DEFAULTS
    if problem := size_problem(len(data), limits, data):
        raise problem
    meta_text, body = split(decode(data))
    meta, lines = parse(meta_text, limits)
    if problems := validate(meta, lines) + check_page(data, body, limits):
        raise ProblemGroup(problems)
    published, updated = dates_of(meta)
    meta.update({key: day for key, day in (("date", published), ("updated", updated)) if day})
    return meta, body


def read_body(data: bytes) -> str:
    """The Markdown body of a page file that :func:`read` accepted, without reading it again."""
    return split(decode(data))[1]
