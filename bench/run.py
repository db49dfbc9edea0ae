"""Measure the project's build against the textbook recipe and Hugo + Pagefind on a generated corpus.

``python bench/run.py --pages N [--shape sections|flat|folder] [--runs 3] [--jobs J]`` generates N
pages (``bench/corpus.py``; the shape decides only where the files go) outside the repository
and gives each build its own copy. Each run times, one build after the other, the project with
its search index ("project"), the project with ``--no-search``, the textbook recipe
(``bench/textbook.py``) and Hugo + Pagefind (``bench/hugo.py``), each build in its own
subprocess, in four scenarios: a cold build (no output, empty cache), a rebuild with nothing
changed, a rebuild after a one-page body edit (``corpus.edit_one``), and a rebuild for a new
public address (the project with ``--site-url``, as a deploy after a preview is: every page's
links change, no page's text does; the textbook recipe rebuilds as always). Hugo is timed cold.
The tables give the median of the runs; a ratio is worked out within each run, and its median
over ``--runs`` (three at least) decides a target.

Then, for the project's build with search (its first cold output, at the default address):
the median and the largest built HTML page (``bench/sizes.py``), the bytes a search for
``--query`` fetches (``bench/searchbytes.py``: measured in Chromium, and estimated from the
files), and the response times of ``site.py serve`` on the same pages (``bench/serving.py``).
``--profile`` adds a per-page CPU profile of a cold build of ``--profile-pages`` of the same pages
(``bench/cpuprofile.py``). ``--scaling 1000,10000`` times cold builds of the project at each N
instead, and compares ms/page at the largest N with the smallest.

Memory: a sampler thread sums the RSS of each build's whole process tree (``bench/measuring.py``);
``ru_maxrss`` is the largest single process; ``--pss`` also sums PSS.

Setup, once (Debian, as root): ``apt-get install -y hugo`` for the Hugo comparison (skipped, and
said so, without it); Chromium at ``/usr/bin/chromium`` and the project's test extra
(Playwright) for the measured search bytes (estimated only, without them).
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import platform
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import builds
import corpus
import cpuprofile
import hugo
import report
import searchbytes
import serving
from builds import PRISTINE, SCENARIOS, SIDES, VARIANTS, Build
from report import Targets
from sizes import html_sizes

PROJECT = builds.PROJECT

# The targets ("Scale by shape").
TARGETS = Targets(
    cold={"full": 1.0, "nosearch": 0.65},  # cold build, project / textbook, at most
    cold_vs_hugo=1.25,  # cold build with search, project / (Hugo + Pagefind), at most
    nochange=0.05,  # no-change rebuild, project / textbook, at most
    edit_seconds={"full": 1.5, "nosearch": 1.0},  # one-page body edit, wall, under
    largest_html_kb=60,  # the largest built HTML page, at most
    median_html_kb=30,  # the median built HTML page, at most
    peak_mb=400,  # peak memory summed over the build's processes, under ...
    peak_pages=10_000,  # ... at this many pages
    scaling=1.3,  # ms/page at 10,000 pages over ms/page at 1,000, at most
)
QUERY = "request"  # a common word of the corpus, which Pagefind's stemmer leaves as it is


def code_state() -> str:
    """The commit, and a digest of the code a build runs (others may edit it during a benchmark)."""
    digest = hashlib.sha256()
    folders = ("flaskguide", "templates", "static")
    files = [builds.SITE, *(path for name in folders for path in sorted((PROJECT / name).rglob("*")))]
    for path in files:
        if path.is_file() and "__pycache__" not in path.parts:
            digest.update(str(path.relative_to(PROJECT)).encode() + b"\0" + path.read_bytes())
    git = ["git", "-C", str(PROJECT), "describe", "--always", "--dirty"]
    commit = subprocess.run(git, capture_output=True, text=True, check=False).stdout.strip() or "?"
    return f"{commit}, code digest {digest.hexdigest()[:12]}"


@contextmanager
def workspace(keep: Path | None) -> Iterator[Path]:
    """A folder outside the repository: ``keep`` (left in place) or a temporary one (removed)."""
    if keep is None:
        with tempfile.TemporaryDirectory(prefix="flaskguide-bench-") as folder:
            yield Path(folder)
        return
    keep = keep.resolve()
    if keep.is_relative_to(PROJECT):
        sys.exit(f"--keep {keep}: choose a folder outside {PROJECT}")
    if keep.exists() and any(keep.iterdir()):
        sys.exit(f"--keep {keep}: the folder is not empty")
    keep.mkdir(parents=True, exist_ok=True)
    yield keep


class Inspection:
    """What is looked at in a build's first cold output: HTML sizes, and what a search fetches.

    Looked at as soon as the cold build is done (the later scenarios rewrite the output, one of
    them for another address), printed after the tables."""

    def __init__(self, args: argparse.Namespace) -> None:
        self.args = args
        self.found: dict[str, tuple] = {}  # build label -> (sizes, measured search, estimated search)

    def __call__(self, build: Build, out: Path) -> None:
        if build.label in self.found or not (build.variant == "full" or build.side == "hugo"):
            return
        measured = estimated = None
        if (out / searchbytes.PAGEFIND).is_dir():
            estimated = searchbytes.estimate(out, self.args.query, searchbytes.results_shown())
            # Hugo's search page is Pagefind's own UI, not driven here: estimated only.
            if build.side == "project" and not self.args.no_browser:
                measured = searchbytes.measure(out, self.args.query)
        self.found[build.label] = (html_sizes(out), measured, estimated)

    def print(self) -> None:
        for label, (sizes, measured, estimated) in self.found.items():
            report.print_html_sizes(label, sizes, TARGETS if label.startswith("project") else None)
            if estimated:
                report.print_search_bytes(label, self.args.query, measured, estimated)

    def figures(self) -> dict:
        return {
            label: {"html": vars(sizes), "search": {"measured": plain(found), "estimated": plain(estimated)}}
            for label, (sizes, found, estimated) in self.found.items()
        }


def plain(found: object) -> object:
    return vars(found) if isinstance(found, searchbytes.SearchBytes) else found


def print_header(args: argparse.Namespace, chosen: list[Build]) -> None:
    python = f"Python {platform.python_version()} ({sys.executable})"
    pages = f"N = {args.pages} pages" if not args.scaling else f"N = {', '.join(map(str, args.scaling))}"
    print(f"{python}, {os.cpu_count()} CPUs, {pages}, shape {args.shape}, seed {args.seed}")
    if any(build.side == "project" for build in chosen):
        print(f"project build: site.py --pages ... build --out ... --cache ... --jobs {args.jobs}")
    if any(build.side == "hugo" for build in chosen):
        print(f"hugo: {hugo.version()}; pagefind: {hugo.pagefind_program()}")
    print(f"RSS sampled every {args.sample_ms:g} ms (sum over the build's process tree)")
    print(f"project code: {args.code_state}")


def check_hugo(args: argparse.Namespace) -> None:
    """Drop Hugo from the sides, saying so, if it is not installed; stop if only Hugo was asked for."""
    if "hugo" not in args.sides or hugo.program():
        return
    message = "hugo is not installed (apt-get install -y hugo): no Hugo + Pagefind comparison"
    if args.sides == ["hugo"]:
        sys.exit(message)
    print(f"NOTE: {message}")
    args.sides.remove("hugo")


def compare(args: argparse.Namespace, chosen: list[Build], work: Path) -> dict:
    """The runs of every chosen build, their report, and serve and the profile if asked for."""
    inspect = Inspection(args)
    runs = builds.run_all(chosen, work, args, inspect) if args.runs else []
    saved: dict = {"pages": args.pages, "shape": args.shape, "jobs": args.jobs}
    if runs:
        report.print_table(runs, args.pages)
        report.print_ratios(runs, chosen, TARGETS, args.pages)
        inspect.print()
        saved |= {"results": report.as_json(report.medians(runs)), "runs": [report.as_json(r) for r in runs]}
        saved["inspection"] = inspect.figures()
        if args.compare:
            report.print_comparison(runs, args.pages, args.compare)
    project = next((build for build in chosen if build.side == "project"), None)
    if project and args.runs and not args.no_serve:
        folder, log = project.folder(work), work / "logs" / "serve.log"
        timings = serving.time_serve(folder / "corpus" / "pages", folder / "cache", log, args.seed)
        report.print_serve(timings)
        saved["serve"] = [vars(t) for t in timings]
    if args.profile:
        saved["profile"] = vars(profile(args, work))
    return saved


def profile(args: argparse.Namespace, work: Path) -> cpuprofile.Profile:
    """The per-page CPU profile of a cold build of ``--profile-pages`` pages of the same corpus."""
    pages = min(args.profile_pages, args.pages)
    sample = work / "profile"
    corpus.generate(sample / "corpus", pages, args.seed, args.shape)
    found = cpuprofile.profile_build(sample / "corpus" / "pages", sample, pages)
    cpuprofile.print_profile(found)
    return found


def name_list(choices: tuple[str, ...] | list[str]):
    def parse(text: str) -> list[str]:
        wanted = [name.strip() for name in text.split(",") if name.strip()]
        unknown = sorted(set(wanted) - set(choices))
        if unknown or not wanted:
            raise argparse.ArgumentTypeError(f"choose from {','.join(choices)}; got {text!r}")
        return wanted

    return parse


def sizes_list(text: str) -> list[int]:
    try:
        sizes = sorted({int(part) for part in text.split(",") if part.strip()})
    except ValueError:
        raise argparse.ArgumentTypeError(f"page counts and commas, as 1000,10000; got {text!r}") from None
    if len(sizes) < 2 or sizes[0] < 1:
        raise argparse.ArgumentTypeError(f"two page counts or more, as 1000,10000; got {text!r}")
    return sizes


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pages", type=int, help="number of pages to generate (required but with --scaling)")
    parser.add_argument("--shape", choices=corpus.SHAPES, default="sections", help="sections, flat or folder")
    parser.add_argument("--seed", type=int, default=0, help="corpus seed (default 0)")
    parser.add_argument("--jobs", type=int, default=os.cpu_count() or 1, help="project build --jobs")
    parser.add_argument("--runs", type=int, default=3, help="runs, each timing every build (default 3)")
    parser.add_argument("--keep", type=Path, help="work in this new folder and leave it there")
    parser.add_argument(
        "--sides", type=name_list(SIDES), help="project,textbook,hugo (default all; project with --scaling)"
    )
    parser.add_argument("--only", choices=SIDES, help="measure one side only (--sides X)")
    parser.add_argument(
        "--variants", type=name_list(list(VARIANTS)), default=list(VARIANTS), help="project: full,nosearch"
    )
    parser.add_argument(
        "--scenarios", type=name_list(SCENARIOS), default=list(SCENARIOS), help="cold,nochange,edit,address"
    )
    parser.add_argument("--query", default=QUERY, help=f"the word searched for (default {QUERY!r})")
    parser.add_argument("--no-browser", action="store_true", help="estimate the search bytes only")
    parser.add_argument("--no-serve", action="store_true", help="do not time site.py serve")
    parser.add_argument("--profile", action="store_true", help="add a per-page CPU profile of a cold build")
    parser.add_argument("--profile-pages", type=int, default=500, help="pages to profile (default 500)")
    parser.add_argument("--scaling", type=sizes_list, help="cold ms/page at each N, as 1000,10000")
    parser.add_argument("--sample-ms", type=float, default=25, help="RSS sampling interval (default 25)")
    parser.add_argument("--pss", action="store_true", help="also sum PSS (/proc/<pid>/smaps_rollup)")
    parser.add_argument("--json", type=Path, help="also write the figures to this file")
    parser.add_argument("--compare", type=Path, help="a --json file: compare cold ms/page with it")
    args = parser.parse_args()
    if args.only:
        args.sides = [args.only]
    elif args.sides is None:
        args.sides = ["project"] if args.scaling else list(SIDES)
    if args.scaling:
        args.pages = args.scaling[-1]
        args.runs = max(args.runs, 1)
    elif args.pages is None:
        parser.error("--pages is required (or --scaling)")
    return args


def main() -> None:
    args = parse_args()
    check_hugo(args)
    chosen = builds.wanted_builds(args.sides, args.variants)
    if "project" in args.sides:
        builds.check_project_cli(args.variants)
    args.code_state = code_state()
    print_header(args, chosen)
    with workspace(args.keep) as work:
        started = time.perf_counter()
        if args.scaling:
            report.print_scaling(builds.run_scaling(chosen, work, args), TARGETS)
            saved = {"shape": args.shape, "scaling": args.scaling}
        else:
            builds.prepare(work, args.pages, args.seed, args.shape)
            files = sorted((work / PRISTINE / "pages").rglob("*.md"))
            size = sum(path.stat().st_size for path in files) / 2**20
            print(f"corpus: {len(files)} files, {size:.1f} MB, in {time.perf_counter() - started:.1f} s")
            saved = compare(args, chosen, work)
        if args.keep:
            print(f"kept corpus, output and logs in {work}")
    if (now := code_state()).split("digest ")[1] != args.code_state.split("digest ")[1]:
        print(f"WARNING: the project's code changed during the run ({args.code_state} -> {now}):")
        print("  the figures mix versions, and a cache made by other code is not reused")
    if args.json:
        args.json.write_text(json.dumps(saved, indent=1, default=str))


if __name__ == "__main__":
    main()
