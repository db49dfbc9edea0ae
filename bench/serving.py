"""How fast ``python site.py serve`` answers, page by page, and after an edit.

``time_serve`` starts ``site.py --pages DIR serve --port P`` on 127.0.0.1 in a child process
(through this file, which runs site.py's command line with the build's cache folder instead of
the project's own ``.cache/build``: benchmarks must not fill a folder of the working tree),
waits until it accepts connections, times the first request (which reads every page), then
GETs the home page, a listing, a leaf page and the tags page, each ``repeat`` times, and the
same leaf page right after each of ``repeat`` edits of it (``corpus.edit_page``, a paragraph
appended, as ``corpus.edit_one`` does). Each time is the full response read over a new
connection; the median counts.
"""

from __future__ import annotations

import functools
import importlib.util
import socket
import statistics
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import corpus

SITE = Path(__file__).resolve().parent.parent / "site.py"
START_SECONDS = 300  # a 10,000-page site reads every page on its first request


@dataclass
class Timing:
    label: str
    url: str
    ms: float  # the median
    runs: list[float]
    size: int  # bytes of the last response


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def fetch(url: str) -> tuple[float, int, int]:
    """GET ``url`` over a new connection: milliseconds until the whole body is read, its size, status."""
    started = time.perf_counter()
    try:
        with urllib.request.urlopen(url, timeout=START_SECONDS) as response:
            body, status = response.read(), response.status
    except urllib.error.HTTPError as error:
        body, status = error.read(), error.code
    return (time.perf_counter() - started) * 1000, len(body), status


def wait_for_port(port: int, server: subprocess.Popen) -> None:
    deadline = time.monotonic() + START_SECONDS
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise RuntimeError(f"site.py serve exited with status {server.returncode}")
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            return
        except OSError:
            time.sleep(0.05)
    raise RuntimeError(f"site.py serve did not listen on port {port} within {START_SECONDS} s")


def url_of(pages: Path, path: Path) -> str:
    """The URL path a page file is served at: ``guide/intro.md`` -> ``/guide/intro/``."""
    parts = path.relative_to(pages).with_suffix("").parts
    return "/" + "".join(f"{part}/" for part in parts if part != "index")


def listing_candidates(pages: Path) -> list[str]:
    """URLs of a page that lists others, best first: a section's page, else the home page's second."""
    folders = sorted(path.parent for path in pages.glob("*/index.md"))
    return [url_of(pages, folder / "index.md") for folder in folders[:1]] + ["/page/2/", "/"]


def timed(base: str, label: str, url: str, repeat: int, before: Callable | None = None) -> Timing:
    runs, size = [], 0
    for _ in range(repeat):
        if before:
            before()
        ms, size, status = fetch(base + url)
        if status != 200:
            raise RuntimeError(f"GET {url} answered {status}")
        runs.append(ms)
    return Timing(label, url, statistics.median(runs), runs, size)


def time_serve(pages: Path, cache: Path, log: Path, seed: int, repeat: int = 3) -> list[Timing]:
    """Start serve on ``pages`` and time its answers (see the module's docstring)."""
    port = free_port()
    command = [sys.executable, __file__, "--cache", str(cache), "--", "--pages", str(pages), "serve"]
    command += ["--host", "127.0.0.1", "--port", str(port)]
    with log.open("w") as output:
        server = subprocess.Popen(command, stdout=output, stderr=subprocess.STDOUT, cwd=log.parent)
    try:
        wait_for_port(port, server)
        base = f"http://127.0.0.1:{port}"
        first_ms, first_size, status = fetch(base + "/")
        if status != 200:
            raise RuntimeError(f"GET / answered {status}: see {log}")
        listing = next(url for url in listing_candidates(pages) if fetch(base + url)[2] == 200)
        leaf = corpus.page_to_edit(pages.parent, seed)
        leaf_url = url_of(pages, leaf)
        found = [Timing("first request (reads every page)", "/", first_ms, [first_ms], first_size)]
        for label, url in [("home", "/"), ("listing", listing), ("leaf", leaf_url), ("tags", "/tags/")]:
            found.append(timed(base, label, url, repeat))
        edit = functools.partial(corpus.edit_page, leaf, seed)
        found.append(timed(base, "leaf after an edit", leaf_url, repeat, edit))
        return found
    finally:
        server.terminate()
        try:
            server.wait(10)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait()


def load_site():
    """site.py as a module of another name (``site`` is the standard library's)."""
    spec = importlib.util.spec_from_file_location("flaskguide_site", SITE)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def main() -> None:
    """``serving.py --cache DIR -- <site.py arguments>``: site.py's command line, cache in DIR."""
    cache, arguments = sys.argv[2], sys.argv[4:]
    sys.path[0] = str(SITE.parent)  # where ``python site.py`` would look for flaskguide/
    load_site().cli.main(arguments, prog_name="site.py", obj={"SITE_CACHE_DIR": cache})


if __name__ == "__main__":
    main()
