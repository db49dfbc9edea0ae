"""Where a cold build's time goes, page by page: a CPU profile of ``site.py build``, by kind of work.

``python bench/cpuprofile.py [--pages 500] [--shape S] [--seed S]`` (or ``bench/run.py --profile``)
builds a sample of the corpus cold, in one process (``--jobs 1 --no-cache --no-search``), in a
child process that profiles itself, then indexes that output with the Pagefind program on its own.

The profile is sampled, not traced: a timer (``SIGPROF``) fires as the process uses CPU time
(every millisecond asked; the kernel's clock tick decides, 4 ms on this machine) and the handler
charges the CPU time used since the previous sample to the stack it interrupts: to the innermost
frame there that belongs to a kind of work below (Pygments inside Markdown counts as Pygments,
Markdown inside a template as Markdown), or to "imports" whenever an import is on the stack. A
call into C that holds the interpreter (``nh3.clean``, a write) delays the handler until it
returns to the Python function that made it, which is then charged with the whole call: the
shares add up to the process's CPU time. cProfile would trace every call, slowing the
pure-Python parts (Markdown, Jinja) several times more than the C ones, and its cumulative
times overlap (a template's time holds the Markdown it renders), so they cannot be added up
into a table.

Pagefind is not profiled: its row is the wall time of ``pagefind --site`` on the built output
(it runs its own threads, on every core).
"""

from __future__ import annotations

import argparse
import json
import os
import runpy
import signal
import subprocess
import sys
import tempfile
import time
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

import corpus

BENCH = Path(__file__).resolve().parent
PROJECT = BENCH.parent
SITE = PROJECT / "site.py"
INTERVAL = 0.001  # seconds of CPU time between samples, asked for (the kernel rounds it up to a tick)

SANITISE = "HTML sanitising (nh3)"
PYGMENTS = "Pygments highlighting"
MARKDOWN = "Markdown rendering"
FRONT_MATTER = "front matter (YAML), reading pages"
TEMPLATES = "templates (Jinja)"
REQUEST = "the request (Flask, Werkzeug, Frozen-Flask, views)"
FILES = "files (pathlib, os, shutil: writes, stats)"
ENGINE = "the build engine and page model (flaskguide/)"
IMPORTS = "imports and start-up"
OTHER = "other"
ORDER = [MARKDOWN, PYGMENTS, SANITISE, TEMPLATES, REQUEST, FILES, FRONT_MATTER, ENGINE, IMPORTS, OTHER]


def kind_of(path: str, name: str) -> str | None:
    """The kind of work a function of file ``path`` named ``name`` does, if it is one we count."""
    if "/nh3/" in path or (path.endswith("flaskguide/markup.py") and name == "sanitise"):
        return SANITISE
    if "/pygments/" in path:
        return PYGMENTS
    if "/markdown/" in path or path.endswith("flaskguide/markup.py"):
        return MARKDOWN
    if "/yaml/" in path or path.endswith(("flaskguide/frontmatter.py", "flaskguide/limits.py")):
        return FRONT_MATTER
    if path.startswith(str(PROJECT / "templates")) or "/jinja2/" in path or "/markupsafe/" in path:
        return TEMPLATES
    if any(part in path for part in ("/flask/", "/werkzeug/", "/flask_frozen/", "/flask_flatpages/")):
        return REQUEST
    if path.endswith(("flaskguide/views.py", "flaskguide/relative.py", "flaskguide/assets.py")):
        return REQUEST
    if path.endswith(("/pathlib.py", "/shutil.py", "/os.py", "/genericpath.py", "/posixpath.py")):
        return FILES
    if "/flaskguide/" in path or path == str(SITE):
        return ENGINE
    return None


class Sampler:
    """Charge the CPU time between ``SIGPROF`` signals to the kind of work they interrupt."""

    def __init__(self) -> None:
        self.seconds: Counter[str] = Counter()
        self.other: Counter[str] = Counter()  # the innermost function of uncounted samples
        self.kinds: dict[object, str | None] = {}  # code object -> kind, worked out once each
        self.samples = 0
        self.last = time.process_time()

    def start(self) -> None:
        signal.signal(signal.SIGPROF, self.sample)
        signal.setitimer(signal.ITIMER_PROF, INTERVAL, INTERVAL)

    def stop(self) -> None:
        signal.setitimer(signal.ITIMER_PROF, 0)
        self.sample(signal.SIGPROF, sys._getframe(1))

    def sample(self, signum: int, frame) -> None:
        now = time.process_time()
        spent, self.last = now - self.last, now
        self.samples += 1
        innermost, found = frame, None
        while frame is not None:
            code = frame.f_code
            if code.co_filename.startswith("<frozen importlib"):
                found = IMPORTS
                break
            if found is None:
                if code not in self.kinds:
                    self.kinds[code] = kind_of(code.co_filename, code.co_name)
                found = self.kinds[code]
            frame = frame.f_back
        if found is None and innermost is not None:
            code = innermost.f_code
            self.other[f"{Path(code.co_filename).name}:{code.co_name}"] += spent
        self.seconds[found or OTHER] += spent


def run_child(result: Path, arguments: list[str]) -> None:
    """Run site.py's command line with ``arguments`` under the sampler; write the profile."""
    sampler = Sampler()
    sampler.start()
    sys.path[0] = str(PROJECT)  # as ``python site.py`` would have it
    sys.argv = [str(SITE), *arguments]
    started = time.perf_counter()
    try:
        runpy.run_path(str(SITE), run_name="__main__")
    except SystemExit as stopped:
        if stopped.code:
            raise
    finally:
        sampler.stop()
    profile = {
        "wall": time.perf_counter() - started,
        "cpu": time.process_time(),
        "samples": sampler.samples,
        "seconds": dict(sampler.seconds),
        "other": dict(sampler.other.most_common(5)),
    }
    result.write_text(json.dumps(profile, indent=1), "utf-8")


# -- the parent: build, index, tabulate -------------------------------------------


@dataclass
class Profile:
    pages: int
    wall: float  # the profiled build's wall time (sampling included)
    cpu: float
    samples: int
    seconds: dict[str, float]
    other: dict[str, float]
    pagefind: float | None  # wall seconds of indexing the output, None without Pagefind


def profile_build(pages_dir: Path, work: Path, pages: int) -> Profile:
    """Build ``pages_dir`` cold under the sampler in a child process, then index it with Pagefind."""
    out, result = work / "profile-out", work / "profile.json"
    arguments = ["--pages", str(pages_dir), "build", "--out", str(out), "--no-cache", "--jobs", "1"]
    command = [sys.executable, __file__, "--child", str(result), "--", *arguments, "--no-search"]
    env = {**os.environ, "PYTHONDONTWRITEBYTECODE": "1"}
    done = subprocess.run(command, capture_output=True, text=True, cwd=work, env=env, check=False)
    if done.returncode != 0:
        sys.exit(f"the profiled build failed (exit {done.returncode}):\n{done.stderr[-3000:]}")
    found = json.loads(result.read_text("utf-8"))
    return Profile(pages, **found, pagefind=index_time(out, work))


def index_time(out: Path, work: Path) -> float | None:
    """Wall seconds of Pagefind indexing ``out`` in one run, as the project's search would."""
    try:
        from pagefind.service import get_executable
    except ImportError:
        return None
    executable = get_executable()
    if executable is None:
        return None
    command = [str(executable), "--site", str(out), "--output-path", str(work / "profile-pagefind")]
    command += ["--exclude-selectors", ".heading-link", "--silent"]
    env = {k: v for k, v in os.environ.items() if not k.startswith("PAGEFIND_")}
    started = time.perf_counter()
    subprocess.run(command, check=True, cwd=work, env=env, capture_output=True)
    return time.perf_counter() - started


def print_profile(profile: Profile) -> None:
    per_page = 1000 / profile.pages
    total = sum(profile.seconds.values())
    start_up = profile.seconds.get(IMPORTS, 0.0)
    building = total - start_up
    tick = profile.cpu / max(1, profile.samples) * 1000
    print(f"\nper-page CPU profile: cold build of {profile.pages} pages, --jobs 1 --no-cache --no-search")
    print(f"  ({profile.samples} samples, one per {tick:.1f} ms of CPU on average; build wall "
          f"{profile.wall:.2f} s, CPU {profile.cpu:.2f} s)")  # fmt: skip
    print(f"  {'where the time goes':52} {'ms/page':>8} {'share':>6}")
    for kind in ORDER:
        if kind != IMPORTS:
            seconds = profile.seconds.get(kind, 0.0)
            print(f"  {kind:52} {seconds * per_page:8.2f} {seconds / building:6.1%}")
    print(f"  {'CPU of the build, start-up aside':52} {building * per_page:8.2f}")
    if profile.pagefind is not None:
        print(f"  {'Pagefind indexing the output (wall, one run)':52} {profile.pagefind * per_page:8.2f}")
    else:
        print("  Pagefind: the program is missing, not timed")
    print(f"  {IMPORTS + ', once a build (not per page)':52} {start_up:8.2f} s")
    if profile.seconds.get(OTHER, 0.0) > 0.01 * building:  # worth naming
        top = ", ".join(f"{name} {seconds * per_page:.2f}" for name, seconds in profile.other.items())
        print(f"  largest in 'other' (ms/page): {top}")


def main() -> None:
    if sys.argv[1:2] == ["--child"]:
        run_child(Path(sys.argv[2]), sys.argv[4:])
        return
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pages", type=int, default=500, help="pages to build (default 500)")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--shape", choices=corpus.SHAPES, default="sections")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="flaskguide-profile-") as folder:
        work = Path(folder)
        corpus.generate(work / "corpus", args.pages, args.seed, args.shape)
        print_profile(profile_build(work / "corpus" / "pages", work, args.pages))


if __name__ == "__main__":
    main()
