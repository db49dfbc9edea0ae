"""Front matter: split it from the body, parse it safely, validate every key with its line."""

from __future__ import annotations

import datetime
import re

import yaml

from .errors import PageProblem, ProblemGroup

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
                line = key_node.start_mark.line + 2
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
    """Split a page into its front matter and its body."""
    lines = text.split("\n")
    if lines[0].rstrip() != "---":
        raise PageProblem(1, "no front matter: start the file with a '---' line, then 'title: ...'")
    for number, line in enumerate(lines[1:], start=1):
        if line.rstrip() == "---":
            return "\n".join(lines[1:number]), "\n".join(lines[number + 1 :])
    raise PageProblem(1, "front matter is never closed: add a '---' line after it")


def parse(meta_text: str) -> tuple[dict, dict[str, int]]:
    """Parse front matter YAML into a mapping and the file line of each top-level key."""
    loader = FrontMatterLoader(meta_text)
    try:
        node = loader.get_single_node()
        if node is not None and not isinstance(node, yaml.MappingNode):
            raise PageProblem(2, "front matter must be a mapping of keys to values, like 'title: ...'")
        meta = loader.construct_document(node) if node is not None else {}
    except yaml.MarkedYAMLError as error:
        message = f"front matter is not valid YAML: {error.problem}"
        raise PageProblem(error_line(error, meta_text), message) from None
    finally:
        loader.dispose()
    lines = {key.value: key.start_mark.line + 2 for key, _ in node.value} if node is not None else {}
    return meta, lines


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


def check_date(value: object) -> str | None:
    if isinstance(value, str) and DATE_PATTERN.fullmatch(value):
        try:
            datetime.date.fromisoformat(value)
        except ValueError:
            pass
        else:
            return None
    return "is not a valid date (use YYYY-MM-DD)"


def check_tags(value: object) -> str | None:
    if not isinstance(value, list) or not all(isinstance(tag, str) and tag.strip() for tag in value):
        return "must be a list of strings, like [flask, basics]"
    return None


def check_type(kind: type, wanted: str):
    def check(value: object) -> str | None:
        # bool is an int in Python, but 'order: true' is a mistake.
        if not isinstance(value, kind) or (kind is int and isinstance(value, bool)):
            return f"must be {wanted}"
        return None

    return check


CHECKS = {
    "title": check_title,
    "date": check_date,
    "tags": check_tags,
    "order": check_type(int, "a whole number, like 3"),
    "draft": check_type(bool, "true or false"),
    "description": check_type(str, "a string"),
    "menu": check_type(str, "a string"),
}


def validate(meta: dict, lines: dict[str, int]) -> list[PageProblem]:
    """Every problem in a page's front matter; unknown keys are allowed."""
    problems = []
    if "title" not in meta:
        problems.append(PageProblem(2, "title is missing: add 'title: Your page title' to the front matter"))
    for key, check in CHECKS.items():
        if key in meta and (message := check(meta[key])):
            problems.append(PageProblem(lines.get(key, 2), f"{key}: {shown(meta[key])} {message}"))
    return problems


def shown(value: object) -> str:
    if value is None:
        return "(empty)"
    return f'"{value}"' if isinstance(value, str) else str(value)


def read(data: bytes) -> tuple[dict, str]:
    """Decode, split, parse and validate a page file: its front matter and its Markdown body."""
    meta_text, body = split(decode(data))
    meta, lines = parse(meta_text)
    if problems := validate(meta, lines):
        raise ProblemGroup(problems)
    if "date" in meta:
        meta["date"] = datetime.date.fromisoformat(meta["date"])
    return meta, body
