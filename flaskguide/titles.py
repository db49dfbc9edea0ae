"""A page's title when its front matter has none: its first ``# Heading``, else its file's name.

MkDocs, Hugo and GitHub all show a Markdown file without front matter, titled by its first
heading; so does this site. A file without one takes a title from its name
(``getting-started.md`` is "Getting started"; a folder's own page, from the folder's).
"""

from __future__ import annotations

import posixpath
import re

FENCE = re.compile(r"^ {0,3}(`{3,}|~{3,})")
ATX = re.compile(r"^ {0,3}#(?:[ \t]+(?P<text>.*?))?(?:[ \t]+#+)?[ \t]*$")
SETEXT = re.compile(r"^ {0,3}=+[ \t]*$")
ATTRIBUTES = re.compile(r"\s*\{:?[^{}]*\}\s*$")  # {#id .class} at its end (attr_list)
LINK = re.compile(r"!?\[([^\]]*)\]\([^)]*\)")  # [text](url) and ![alt](src): their text
MARKS = re.compile(r"(?<!\\)[*_`]+")
ESCAPE = re.compile(r"\\(.)")


def heading_title(body: str) -> str | None:
    """The text of the first level-1 heading of a Markdown body (``# Title`` or ``Title`` over
    a line of ``=``), outside code fences; None when there is none."""
    fence = None
    previous = ""
    for line in body.split("\n"):
        opened = FENCE.match(line)
        if fence:
            if opened and opened.group(1)[0] == fence[0] and len(opened.group(1)) >= len(fence):
                fence = None
            continue
        if opened:
            fence = opened.group(1)
            continue
        if (found := ATX.match(line)) and found["text"]:
            return plain(found["text"])
        if SETEXT.match(line) and previous.strip():
            return plain(previous)
        previous = line
    return None


def plain(text: str) -> str | None:
    """A heading's text without its Markdown: links and images by their text, no emphasis."""
    text = ESCAPE.sub(r"\1", MARKS.sub("", LINK.sub(r"\1", ATTRIBUTES.sub("", text))))
    return " ".join(text.split()) or None


def name_title(path: str) -> str:
    """A title from a page's path: ``guide/getting-started`` is "Getting started"; a folder's own
    page (``guide/index``) takes the folder's name, the home page is "Home"."""
    folder, name = posixpath.split(path)
    if name == "index":
        if not folder:
            return "Home"
        name = posixpath.basename(folder)
    words = " ".join(re.split(r"[-_\s]+", name)).strip() or name
    return words[:1].upper() + words[1:]


def derived(body: str, path: str) -> str:
    return heading_title(body) or name_title(path)
