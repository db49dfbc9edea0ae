"""Measure the project's build against the textbook recipe on a generated corpus.

``python bench/run.py --pages N [--seed S] [--jobs J] [--keep DIR]`` generates N pages outside the
repository, then times three builds per side, each in its own subprocess: a cold build (no output,
empty cache), a rebuild with nothing changed, and a rebuild after a one-page body edit. Peak RSS is
the ``ru_maxrss`` that ``os.wait4`` reports for the build's process: on Linux the largest single
process among it and the children it waited for, not a sum across worker processes.
"""

from __future__ import annotations

import argparse
import os
import platform
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import corpus

BENCH = Path(__file__).resolve().parent
PROJECT = BENCH.parent
SITE = PROJECT / "site.py"
TEXTBOOK = BENCH / "textbook.py"

SIDES = ("project", "textbook")
SCENARIOS = ("cold", "nochange", "edit")
LABELS = {"cold": "cold", "nochange": "no-change", "edit": "one-page edit"}
TARGETS = {"cold": 0.4, "nochange": 0.05}  # project / textbook, at most
EDIT_TARGET_SECONDS = 1.0
RSS_TARGET_MB, RSS_TARGET_PAGES = 400, 10_000

# Loads site.py by path (the standard library owns the name "site") and builds with its defaults.
FALLBACK = """
import importlib.util, sys
from pathlib import Path
sys.path.insert(0, {project!r})
spec = importlib.util.spec_from_file_location("flask_guide_site", {site!r})
module = importlib.util.module_from_spec(spec)
sys.modules[spec.name] = module
spec.loader.exec_module(module)
pages_dir, out_dir = sys.argv[1:3]
print(module.build_site(module.create_app({{"FLATPAGES_ROOT": pages_dir}}), Path(out_dir)).summary())
"""


@dataclass
class Measurement:
    seconds: float
    rss_mb: float


# -- the build commands ----------------------------------------------------------


def project_command(pages_dir: Path, out_dir: Path, cache_dir: Path, jobs: int) -> list[str]:
    """The project's build, with the options it is gaining (see ``project_has_options``)."""
    return [
        sys.executable, str(SITE), "--pages", str(pages_dir),
        "build", "--out", str(out_dir), "--cache", str(cache_dir), "--jobs", str(jobs),
    ]  # fmt: skip


def fallback_command(pages_dir: Path, out_dir: Path) -> list[str]:
    """The project's build through its Python API, for a site.py without ``--pages``."""
    snippet = FALLBACK.format(project=str(PROJECT), site=str(SITE))
    return [sys.executable, "-c", snippet, str(pages_dir), str(out_dir)]


def project_has_options() -> bool:
    """Whether ``site.py --help`` lists ``--pages`` yet."""
    command = [sys.executable, str(SITE), "--help"]
    return "--pages" in subprocess.run(command, capture_output=True, text=True, check=False).stdout


def textbook_command(pages_dir: Path, out_dir: Path) -> list[str]:
    return [sys.executable, str(TEXTBOOK), "--pages-dir", str(pages_dir), "--out", str(out_dir)]


def build_command(side: str, work: Path, jobs: int, native: bool) -> list[str]:
    pages, out, cache = work / side / "corpus" / "pages", work / side / "out", work / side / "cache"
    if side == "textbook":
        return textbook_command(pages, out)
    return project_command(pages, out, cache, jobs) if native else fallback_command(pages, out)


# -- running ---------------------------------------------------------------------


def run_build(command: list[str], log: Path) -> Measurement:
    """Run one build in a child process; its wall time and peak RSS. Exit on failure."""
    env = {**os.environ, "PYTHONDONTWRITEBYTECODE": "1"}
    with log.open("w") as handle:
        started = time.perf_counter()
        child = subprocess.Popen(command, stdout=handle, stderr=subprocess.STDOUT, cwd=log.parent, env=env)
        _, status, usage = os.wait4(child.pid, 0)
        seconds = time.perf_counter() - started
    child.returncode = os.waitstatus_to_exitcode(status)
    if child.returncode != 0:
        tail = "\n".join(log.read_text(errors="replace").splitlines()[-30:])
        sys.exit(f"build failed (exit {child.returncode}): {' '.join(command[:3])} ...\n{tail}")
    return Measurement(seconds, usage.ru_maxrss / 1024)  # Linux reports kilobytes


def measure_side(side: str, work: Path, args: argparse.Namespace, native: bool) -> dict[str, Measurement]:
    """Run the wanted scenarios in order; a scenario that needs a previous build gets one, untimed."""
    command = build_command(side, work, args.jobs, native)
    logs = work / "logs"
    for folder in ("out", "cache"):
        shutil.rmtree(work / side / folder, ignore_errors=True)
    results, built = {}, False
    for scenario in SCENARIOS:
        if scenario not in args.scenarios:
            continue
        if scenario != "cold" and not built:
            run_build(command, logs / f"{side}-prepare.log")
        if scenario == "edit":
            corpus.edit_one(work / side / "corpus", args.seed)
        print(f"  {side:8} {LABELS[scenario]:13} ...", end="", flush=True)
        results[scenario] = run_build(command, logs / f"{side}-{scenario}.log")
        print(f" {results[scenario].seconds:.2f} s")
        built = True
    return results


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


def prepare_corpus(work: Path, sides: list[str], pages: int, seed: int) -> None:
    """Generate the corpus once and give each side its own copy (edits must not leak across)."""
    started = time.perf_counter()
    first = work / sides[0] / "corpus"
    corpus.generate(first, pages, seed)
    for side in sides[1:]:
        shutil.copytree(first, work / side / "corpus")
    size = sum(path.stat().st_size for path in (first / "pages").rglob("*.md"))
    print(f"corpus: {pages} pages, {size / 2**20:.1f} MB, in {time.perf_counter() - started:.1f} s")
    (work / "logs").mkdir()


# -- reporting -------------------------------------------------------------------


def print_header(args: argparse.Namespace, native: bool | None) -> None:
    python = f"Python {platform.python_version()} ({sys.executable})"
    print(f"{python}, {os.cpu_count()} CPUs, N = {args.pages} pages, seed {args.seed}")
    if native is not None:
        how = f"site.py --pages ... --jobs {args.jobs}" if native else "fallback via build_site()"
        print(f"project build: {how}" + ("" if native else " (no --pages yet: --cache/--jobs not used)"))


def print_table(results: dict[str, dict[str, Measurement]], pages: int) -> None:
    print(f"\n{'scenario':15} {'side':9} {'wall s':>8} {'ms/page':>8} {'peak RSS MB':>12}")
    for scenario in SCENARIOS:
        for side, measured in results.items():
            if scenario in measured:
                m = measured[scenario]
                row = f"{LABELS[scenario]:15} {side:9} {m.seconds:8.2f} {m.seconds * 1000 / pages:8.2f}"
                print(f"{row} {m.rss_mb:12.0f}")


def verdict(ok: bool) -> str:
    return "met" if ok else "MISSED"


def print_ratios(results: dict[str, dict[str, Measurement]], pages: int) -> None:
    project, textbook = results.get("project", {}), results.get("textbook", {})
    if not project:
        return
    print(f"\n{'project vs textbook':20} {'ratio':>8}   target")
    for scenario in SCENARIOS:
        if scenario in project and scenario in textbook:
            ratio = project[scenario].seconds / textbook[scenario].seconds
            target = TARGETS.get(scenario)
            goal = f"<= {target:.2f}x  {verdict(ratio <= target)}" if target else "(no ratio target)"
            print(f"{LABELS[scenario]:20} {ratio:7.3f}x   {goal}")
    if "edit" in project:
        seconds = project["edit"].seconds
        ok = verdict(seconds < EDIT_TARGET_SECONDS)
        print(f"{'one-page edit':20} {seconds:7.2f} s   < {EDIT_TARGET_SECONDS:.0f} s  {ok}")
    peak = max(m.rss_mb for m in project.values())
    note = "" if pages == RSS_TARGET_PAGES else f" (the target applies at N = {RSS_TARGET_PAGES:,})"
    print(f"{'peak RSS':20} {peak:6.0f} MB   < {RSS_TARGET_MB} MB  {verdict(peak < RSS_TARGET_MB)}{note}")


# -- command line ----------------------------------------------------------------


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pages", type=int, required=True, help="number of pages to generate")
    parser.add_argument("--seed", type=int, default=0, help="corpus seed (default 0)")
    parser.add_argument("--jobs", type=int, default=os.cpu_count() or 1, help="project build --jobs")
    parser.add_argument("--keep", type=Path, help="work in this new folder and leave it there")
    parser.add_argument("--only", choices=SIDES, help="measure one side only")
    parser.add_argument("--scenarios", type=scenario_list, default=list(SCENARIOS), help="cold,nochange,edit")
    return parser.parse_args()


def scenario_list(text: str) -> list[str]:
    wanted = [name.strip() for name in text.split(",") if name.strip()]
    unknown = sorted(set(wanted) - set(SCENARIOS))
    if unknown or not wanted:
        raise argparse.ArgumentTypeError(f"choose from {','.join(SCENARIOS)}; got {text!r}")
    return wanted


def main() -> None:
    args = parse_args()
    sides = [args.only] if args.only else list(SIDES)
    native = project_has_options() if "project" in sides else None
    print_header(args, native)
    with workspace(args.keep) as work:
        prepare_corpus(work, sides, args.pages, args.seed)
        results = {side: measure_side(side, work, args, bool(native)) for side in sides}
        if args.keep:
            print(f"kept corpus, output and logs in {work}")
    print_table(results, args.pages)
    print_ratios(results, args.pages)


if __name__ == "__main__":
    main()
