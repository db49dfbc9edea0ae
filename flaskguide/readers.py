"""What readers need of the Markdown extensions' output, done in one walk of the parsed page.

- **Callouts** (``!!! note``, ``???``, GitHub's ``> [!NOTE]``) are note regions labelled by their
  visible title; an untitled one (``!!! note ""``) is labelled by its kind, so a screen reader
  still announces what it is, and colour never carries it alone.
- **Tables** sit in a frame that scrolls sideways on a narrow screen, by keyboard too; a table
  whose top-left header cell is empty has row headers: its first column is ``<th scope="row">``.
- **Typography**: straight quotes become curly, ``---`` an em dash, ``--`` an en dash (not before
  a letter: ``--debug`` is an option), ``...`` an ellipsis; never inside code. Python-Markdown's
  ``smarty`` does this with inline patterns at 77 % more Markdown time on the benchmark pages;
  one pass over the text nodes here costs a few per cent (``bench/extensions.py``).
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as etree

from markdown.extensions import Extension
from markdown.treeprocessors import Treeprocessor
from markdown.util import AtomicString

# Never touched by typography: code as written, and the stash of raw HTML.
VERBATIM = {"code", "pre", "kbd", "samp", "script", "style"}
PUNCTUATION = re.compile(r"\.\.\.|---|--(?![A-Za-z])|[\"']")
# After one of these (or at the start) a quote opens; after anything else it closes.
OPENS_AFTER = set(" \t\n\u00a0([{<\u2014\u2013-/\u201c\u2018")
DASHES = {"...": "\u2026", "---": "\u2014", "--": "\u2013"}


def smarten(text: str, before: str = " ") -> str:
    """``text`` with typographic punctuation; ``before`` is the character that precedes it on the
    page (a quote right after a tag such as ``<em>`` opens or closes by what came before the tag)."""

    def replace(match: re.Match) -> str:
        found, at = match.group(), match.start()
        if found in DASHES:
            return DASHES[found]
        previous = text[at - 1] if at else before
        opening = previous in OPENS_AFTER
        if found == '"':
            return "\u201c" if opening else "\u201d"
        following = text[at + 1 : at + 2]
        # '90s and 'tis are apostrophes, which only look like opening quotes.
        return "\u2018" if opening and not following.isdigit() else "\u2019"

    return PUNCTUATION.sub(replace, text)


class Typography(Treeprocessor):
    def run(self, root: etree.Element) -> None:
        self.last = " "
        self.walk(root)

    def walk(self, element: etree.Element) -> None:
        if element.tag in VERBATIM:
            self.last = "x"  # a quote right after code closes, as after a word
        else:
            element.text = self.smart(element.text)
            for child in element:
                self.walk(child)
                child.tail = self.smart(child.tail)

    def smart(self, text: str | None) -> str | None:
        if not text or isinstance(text, AtomicString):
            return text
        result = smarten(text, self.last) if PUNCTUATION.search(text) else text
        self.last = text[-1]
        return result


class ReaderBlocks(Treeprocessor):
    def run(self, root: etree.Element) -> None:
        # Found by ElementTree's own search, in C: most pages have none of these.
        for table in list(root.iter("table")):
            frame(table)
        for callout in root.iter("div"):
            if "admonition" in classes(callout):
                label_callout(callout)
        for details in root.iter("details"):
            details.set("class", " ".join(["admonition", *classes(details)]))
            summary = details.find("summary")
            if summary is not None:
                summary.set("class", "admonition-title")


def classes(element: etree.Element) -> list[str]:
    return element.get("class", "").split()


def label_callout(callout: etree.Element) -> None:
    callout.set("role", "note")
    first = callout[0] if len(callout) else None
    if first is None or "admonition-title" not in classes(first):
        kinds = [name for name in classes(callout) if name != "admonition"]
        callout.set("aria-label", (kinds[0] if kinds else "note").capitalize())


def frame(element: etree.Element) -> None:
    """Turn a ``table`` element into a frame holding it, which scrolls it sideways and can be
    focused, so that a keyboard can scroll it too. (In place: ElementTree knows no parents.)"""
    table = etree.Element("table", element.attrib)
    table.extend(list(element))
    tail = element.tail
    element.clear()  # its children, attributes, text and tail
    element.tag, element.tail = "div", tail
    element.attrib.update({"class": "table-frame", "role": "region", "aria-label": "Table", "tabindex": "0"})
    element.append(table)
    add_row_headers(table)


def add_row_headers(table: etree.Element) -> None:
    """Header cells scoped to their columns; and where the top-left header cell is empty, the
    first cell of every body row a header of its row (the empty corner a plain cell)."""
    header = table.find("thead/tr")
    if header is None or not len(header):
        return
    for cell in header:
        cell.set("scope", "col")
    corner = header[0]
    if (corner.text or "").strip() or len(corner):
        return
    corner.tag = "td"
    del corner.attrib["scope"]
    for row in table.iterfind("tbody/tr"):
        if len(row) and row[0].tag == "td":
            row[0].tag = "th"
            row[0].set("scope", "row")


class OneTitle(Treeprocessor):
    """The page's title is its one ``<h1>`` (the template's): a first heading that repeats it
    is left out, as MkDocs' and GitHub's pages start with one, and any other level-1 heading
    of the body becomes a level-2 one."""

    def run(self, root: etree.Element) -> None:
        title = getattr(self.md, "page_title", None)
        if len(root) and root[0].tag == "h1" and title and same_text(root[0], title):
            root.remove(root[0])
        for heading in root.iter("h1"):
            heading.tag = "h2"


def same_text(element: etree.Element, title: str) -> bool:
    return " ".join("".join(element.itertext()).split()) == " ".join(title.split())


class HeadingLinks(Treeprocessor):
    """The ``#`` link toc puts beside each heading, named for a screen reader by its purpose,
    not by its one character."""

    def run(self, root: etree.Element) -> None:
        for link in root.iter("a"):
            if "heading-link" in classes(link):
                link.set("aria-label", link.get("title", "Link to this section"))


class ReadersExtension(Extension):
    def extendMarkdown(self, md) -> None:
        md.treeprocessors.register(HeadingLinks(md), "heading_links", 4)  # after toc (5) adds them
        md.treeprocessors.register(OneTitle(md), "one_title", 7.5)
        # After the inline patterns (20) and attr_list (8), whose {title="..."} must keep its
        # straight quotes; before toc (5), so the contents list shows the same text as the heading.
        md.treeprocessors.register(ReaderBlocks(md), "reader_blocks", 7)
        md.treeprocessors.register(Typography(md), "typography", 6)
