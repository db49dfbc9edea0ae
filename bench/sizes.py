"""The sizes of the HTML pages a build wrote: what a reader downloads for each page."""

from __future__ import annotations

import statistics
from dataclasses import dataclass
from pathlib import Path


@dataclass
class HtmlSizes:
    files: int
    median: float  # bytes
    largest: int  # bytes
    largest_name: str  # relative to the output folder


def html_sizes(out: Path) -> HtmlSizes:
    """The median and the largest of every ``*.html`` file under ``out``."""
    sizes = {path.relative_to(out).as_posix(): path.stat().st_size for path in out.rglob("*.html")}
    if not sizes:
        return HtmlSizes(0, 0, 0, "(no HTML)")
    name = max(sorted(sizes), key=sizes.__getitem__)
    return HtmlSizes(len(sizes), statistics.median(sizes.values()), sizes[name], name)
