"""The bytes one search query fetches from a built site's Pagefind index, measured and estimated.

Layout: the project writes ``pagefind/bundles.json`` listing its bundles (``pagefind/site/``,
``pagefind/s-guide/``, ...; ``flaskguide/search.py``); the search page imports the first
bundle's ``pagefind.js`` and merges the others. A site without ``bundles.json`` (Hugo's) is one
bundle, ``pagefind/`` itself.

``measure`` is the real figure: Chromium (``/usr/bin/chromium``, driven by Playwright) opens the
built search page ``/search/?q=WORD`` served by a local ``http.server`` on 127.0.0.1, waits for
the results and the network to go quiet, and adds up the bodies of every response under
``/pagefind/`` (the files are stored compressed, and served as they are).

``estimate`` works from the files alone, following what Pagefind's browser code fetches:
``bundles.json``; the first bundle's ``pagefind.js`` and its ``wasm.<language>.pagefind`` (once:
merged bundles use the first one's); for every bundle its ``pagefind-entry.json``, its
``.pf_meta`` and the index chunks (``index/*.pf_index``) the word falls into, read from the
chunk boundaries in the meta file (the word between a chunk's first and last word; failing
that, as Pagefind does, comparing only their first letters); and ``shown`` page fragments (the
first batch of results) at the median size of all fragments, as which pages rank first is
not known without searching. The word is looked up as given, not stemmed: pick one that
Snowball's English stemmer leaves alone, as "request".
"""

from __future__ import annotations

import functools
import gzip
import http.server
import json
import re
import statistics
import threading
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import quote

PAGEFIND = "pagefind"
SIGNATURE = b"pagefind_dcd"  # what every decompressed Pagefind file starts with
CHROMIUM = "/usr/bin/chromium"
SEARCH_JS = Path(__file__).resolve().parent.parent / "static" / "js" / "search.js"


@dataclass
class SearchBytes:
    total: int  # bytes under pagefind/
    requests: int
    parts: dict[str, int] = field(default_factory=dict)  # what the bytes are, by kind of file
    note: str = ""


def bundles(out: Path) -> list[Path]:
    """The Pagefind bundles of a built site, the one the search page imports first."""
    root = out / PAGEFIND
    listed = root / "bundles.json"
    if listed.is_file():
        return [root / name for name in json.loads(listed.read_text("utf-8"))]
    return [root]


def results_shown() -> int:
    """How many results the project's search page shows at first (``BATCH`` in search.js)."""
    found = re.search(r"\bBATCH\s*=\s*(\d+)", SEARCH_JS.read_text("utf-8")) if SEARCH_JS.is_file() else None
    return int(found.group(1)) if found else 10


# -- estimated from the files ------------------------------------------------------


def cbor(data: bytes, at: int = 0) -> tuple[object, int]:
    """One CBOR item at ``at`` and where the next begins: the subset Pagefind's meta files use."""
    major, info = data[at] >> 5, data[at] & 31
    at += 1
    if info < 24:
        number = info
    else:
        width = {24: 1, 25: 2, 26: 4, 27: 8}[info]
        number, at = int.from_bytes(data[at : at + width], "big"), at + width
    if major == 0:
        return number, at
    if major in (2, 3):
        chunk = data[at : at + number]
        return (chunk.decode() if major == 3 else chunk), at + number
    if major == 4:
        items = []
        for _ in range(number):
            item, at = cbor(data, at)
            items.append(item)
        return items, at
    if major == 7:
        return {20: False, 21: True, 22: None}.get(info, number), at
    raise ValueError(f"CBOR major type {major} is not expected in a Pagefind meta file")


def index_chunks(meta: Path) -> list[tuple[str, str, str]]:
    """The index chunks of a bundle (first word, last word, file hash), from its ``.pf_meta``:
    ``[version, pages, chunks, filters, sorts, ...]`` in CBOR, gzipped, after a signature."""
    data = gzip.decompress(meta.read_bytes())
    if not data.startswith(SIGNATURE):
        raise ValueError(f"{meta}: not a Pagefind meta file")
    fields, _ = cbor(data, len(SIGNATURE))
    return [(first, last, name) for first, last, name in fields[2]]


def chunks_for(word: str, chunks: list[tuple[str, str, str]]) -> list[str]:
    """The chunks Pagefind loads for ``word`` (its ``request_indexes``)."""
    strict = [name for first, last, name in chunks if first <= word <= last]
    if strict:
        return strict
    return [
        name
        for first, last, name in chunks
        if word[: len(first)] >= first[: len(word)] and word[: len(last)] <= last[: len(word)]
    ]


def estimate(out: Path, word: str, shown: int) -> SearchBytes:
    """The bytes a query for ``word`` fetches, from the files (see the module's docstring)."""
    found = bundles(out)
    listed = out / PAGEFIND / "bundles.json"
    parts = {"bundles.json": size(listed)} if listed.is_file() else {}
    parts["pagefind JS"] = size(found[0] / "pagefind.js")
    parts["wasm"] = size(found[0] / f"wasm.{languages(found[0])[0]['wasm'] or 'unknown'}.pagefind")
    requests = len(parts)
    parts["entry + meta"] = parts["index chunks"] = 0
    fragments: list[int] = []
    for bundle in found:
        meta, chunks, fetches = bundle_fetches(bundle, word.lower())
        parts["entry + meta"] += meta
        parts["index chunks"] += chunks
        requests += fetches
        fragments += [path.stat().st_size for path in (bundle / "fragment").glob("*.pf_fragment")]
    first = min(shown, len(fragments))
    parts["fragments"] = round(first * statistics.median(fragments)) if fragments else 0
    note = f"{len(found)} bundle{'s' if len(found) > 1 else ''}, {first} fragments at the median size"
    return SearchBytes(sum(parts.values()), requests + first, parts, note)


def languages(bundle: Path) -> list[dict]:
    entry = json.loads((bundle / "pagefind-entry.json").read_text("utf-8"))
    return list(entry["languages"].values())


def bundle_fetches(bundle: Path, word: str) -> tuple[int, int, int]:
    """What one bundle adds to a search for ``word``: the bytes of its entry file and meta files,
    of its index chunks the word falls into, and how many files those are."""
    meta, chunks, fetches = size(bundle / "pagefind-entry.json"), 0, 1
    for language in languages(bundle):
        meta_file = bundle / f"pagefind.{language['hash']}.pf_meta"
        names = chunks_for(word, index_chunks(meta_file))
        meta += size(meta_file)
        chunks += sum(size(bundle / "index" / f"{name}.pf_index") for name in names)
        fetches += 1 + len(names)
    return meta, chunks, fetches


def size(path: Path) -> int:
    return path.stat().st_size if path.is_file() else 0


# -- measured in a browser ---------------------------------------------------------


class QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args: object) -> None:  # one line a request would drown the report
        pass


FILE_KINDS = [
    (".pf_index", "index chunks"),
    (".pf_fragment", "fragments"),
    (".pf_meta", "entry + meta"),
    ("pagefind-entry.json", "entry + meta"),
    (".pagefind", "wasm"),
    (".js", "pagefind JS"),
]

# The project's search page has answered: results listed, none found, or an error shown.
ANSWERED = """() => {
  const region = document.getElementById("search-results");
  if (!region) return true;
  return region.querySelector("li a") !== null || /No page|not available/.test(region.textContent);
}"""


def measure(out: Path, word: str, timeout_seconds: float = 120) -> SearchBytes | str:
    """The bytes the built search page fetched for ``word`` in Chromium, or why it could not tell."""
    try:
        from playwright.sync_api import Error, sync_playwright
    except ImportError:
        return "Playwright is not installed"
    if not Path(CHROMIUM).is_file():
        return f"{CHROMIUM} is missing"
    handler = functools.partial(QuietHandler, directory=str(out))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path=CHROMIUM)
            try:
                return fetched(browser, f"http://127.0.0.1:{server.server_port}", word, timeout_seconds)
            except Error as error:
                return f"the search page did not answer: {str(error).splitlines()[0]}"
            finally:
                browser.close()
    finally:
        server.shutdown()
        server.server_close()


def fetched(browser, base: str, word: str, timeout_seconds: float) -> SearchBytes:
    page = browser.new_page()  # a new context: nothing cached
    finished = []
    page.on("requestfinished", lambda request: finished.append(request))
    page.goto(f"{base}/search/?q={quote(word)}")
    page.wait_for_function(ANSWERED, timeout=timeout_seconds * 1000)
    page.wait_for_load_state("networkidle", timeout=timeout_seconds * 1000)
    status = page.inner_text("#search-results").strip().splitlines()
    parts: dict[str, int] = {}
    search = 0
    for request in finished:
        body = request.sizes()["responseBodySize"]
        path = request.url.removeprefix(base).split("?")[0]
        kind = file_kind(path)
        parts[kind] = parts.get(kind, 0) + body
        search += body if path.startswith(f"/{PAGEFIND}/") else 0
    count = sum(request.url.removeprefix(base).startswith(f"/{PAGEFIND}/") for request in finished)
    page.close()
    return SearchBytes(search, count, parts, status[0] if status else "")


def file_kind(path: str) -> str:
    """What a fetched file is, to group the bytes by."""
    if not path.startswith(f"/{PAGEFIND}/"):
        return "the search page itself (HTML, CSS, JS)"
    name = path.rsplit("/", 1)[-1]
    for suffix, kind in FILE_KINDS:
        if name.endswith(suffix):
            return kind
    return name
