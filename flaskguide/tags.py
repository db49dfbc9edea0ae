"""Tags: grouped ignoring case and spacing, each with a URL slug that is safe for any text."""

from __future__ import annotations

import hashlib
from collections import Counter, defaultdict
from dataclasses import dataclass, field

from flask_flatpages import Page
from slugify import slugify


@dataclass
class Tag:
    name: str
    slug: str
    pages: list[Page] = field(default_factory=list)


def tag_key(text: str) -> str:
    """Tags that differ only in case or spacing are one tag: ``Flask`` is ``flask``."""
    return " ".join(text.split()).casefold()


def short_hash(text: str, size: int = 6) -> str:
    return hashlib.sha256(text.encode()).hexdigest()[:size]


MAX_SLUG = 80  # characters of a tag's own text in its folder name, well inside 255 bytes


def slugs(keys: set[str]) -> dict[str, str]:
    """A folder name per tag: readable where it can be, unique always.

    ``C#`` and ``C`` both slugify to ``c``; every tag in such a clash gets a hash of its own
    text appended (so neither takes the plain name by accident of order), and so does a tag
    with no letters or digits to spell a name from, or one too long for a folder name. A tag
    whose plain name is another's hashed one (``c-1a2b3c``) is hashed too, until none clash.
    """
    base = {key: slugify(key, max_length=MAX_SLUG) or "tag" for key in keys}
    taken = Counter(base.values())
    hashed = {
        key: 6 if taken[slug] > 1 or slug == "tag" or len(slugify(key)) > MAX_SLUG else 0
        for key, slug in base.items()
    }
    while True:
        final = {
            key: f"{base[key]}-{short_hash(key, size)}" if size else base[key] for key, size in hashed.items()
        }
        counts = Counter(final.values())
        clashing = [key for key, slug in final.items() if counts[slug] > 1]
        if not clashing:
            return final
        for key in clashing:  # a plain name gets a hash; two hashed ones, longer hashes
            hashed[key] = 6 if hashed[key] == 0 else min(64, hashed[key] * 2)


def collect(pages: list[Page]) -> list[Tag]:
    """Every tag with its pages (newest first), ordered by name."""
    spellings: dict[str, Counter] = defaultdict(Counter)
    members: dict[str, list[Page]] = defaultdict(list)
    for page in pages:
        for text in dict.fromkeys(tag_key(tag) for tag in page.meta.get("tags", [])):
            members[text].append(page)
        for tag in page.meta.get("tags", []):
            spellings[tag_key(tag)][" ".join(tag.split())] += 1
    names = {key: min(counts, key=lambda name: (-counts[name], name)) for key, counts in spellings.items()}
    slug_of = slugs(set(members))
    tags = [Tag(names[key], slug_of[key], sorted(members[key], key=newest_first)) for key in members]
    return sorted(tags, key=lambda tag: (tag.name.casefold(), tag.slug))


def newest_first(page: Page) -> tuple:
    date = page.meta.get("date")
    return (date is None, -(date.toordinal() if date else 0), page.meta["title"].casefold(), page.path)
