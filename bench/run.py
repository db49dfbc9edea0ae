"""Measure the project's build against the textbook recipe on a generated corpus.

``python bench/run.py --pages N [--seed S] [--jobs J] [--variants full,nosearch] [--scenarios ...]``
generates N pages outside the repository and gives each build its own copy. Each build (the project
with its search index, "project"; the project with ``--no-search``; the textbook recipe) is timed in
four scenarios, each in its own subprocess: a cold build (no output, empty cache), a rebuild with
nothing changed, a rebuild after a one-page body edit (``corpus.edit_one``), and a rebuild for a new
public address (the project with ``--site-url``, as a deploy after a preview is: every page's links
change, no page's text does; the textbook recipe rebuilds as always).

Memory: the project renders in forked worker processes and runs Pagefind as a child, so a sampler
thread sums the RSS of the build process and all its descendants (``/proc/*/stat`` for the tree,
``/proc/<pid>/statm`` for the resident pages) every ``--sample-ms`` and keeps the largest sum. Pages
a forked worker still shares with its parent are counted once per process, so the sum overstates
the memory really in use. ``ru_maxrss`` (from ``os.wait4``) is printed beside it: the largest single
process among the build and the children it waited for. ``--pss`` also sums each process's PSS
(``/proc/<pid>/smaps_rollup``), which counts a shared page once across its sharers.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import platform
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from collections import defaultdict
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass
from pathlib import Path

import corpus

BENCH = Path(__file__).resolve().parent
PROJECT = BENCH.parent
SITE = PROJECT / "site.py"
TEXTBOOK = BENCH / "textbook.py"

SIDES = ("project", "textbook")
VARIANTS = {"full": [], "nosearch": ["--no-search"]}  # project variant -> extra build options
SCENARIOS = ("cold", "nochange", "edit", "address")
LABELS = {"cold": "cold", "nochange": "no-change", "edit": "one-page edit", "address": "new address"}
ADDRESS = "https://example.org/guide/"  # the public address of the "address" scenario
TARGETS = {"cold": 0.4, "nochange": 0.05}  # project / textbook, at most
EDIT_TARGET_SECONDS = 1.0
RSS_TARGET_MB, RSS_TARGET_PAGES = 400, 10_000
PAGE_SIZE = os.sysconf("SC_PAGE_SIZE")


@dataclass
class Measurement:
    seconds: float
    rss_sum_mb: float  # peak over the samples of the summed RSS of the process tree
    maxrss_mb: float  # ru_maxrss: the largest single process
    processes: int  # the most processes seen in one sample
    samples: int
    summary: str  # the build's own last line on stdout
    pss_sum_mb: float | None = None  # peak of the summed PSS (shared pages counted once), with --pss


@dataclass
class Build:
    key: str  # folder name under the workspace
    label: str  # name in the tables
    extra: list[str]  # options appended to the project's build command


# -- the build commands ----------------------------------------------------------


def project_command(
    pages_dir: Path, out_dir: Path, cache_dir: Path, jobs: int, extra: list[str]
) -> list[str]:
    """The project's build through its CLI: ``site.py --pages DIR build --out --cache --jobs``."""
    return [
        sys.executable, str(SITE), "--pages", str(pages_dir),
        "build", "--out", str(out_dir), "--cache", str(cache_dir), "--jobs", str(jobs), *extra,
    ]  # fmt: skip


def textbook_command(pages_dir: Path, out_dir: Path) -> list[str]:
    return [sys.executable, str(TEXTBOOK), "--pages-dir", str(pages_dir), "--out", str(out_dir)]


def check_project_cli(variants: list[str]) -> None:
    """Exit with a clear message if site.py lacks an option the wanted builds use."""
    top = subprocess.run([sys.executable, str(SITE), "--help"], capture_output=True, text=True, check=False)
    build = [sys.executable, str(SITE), "build", "--help"]
    build_help = subprocess.run(build, capture_output=True, text=True, check=False).stdout
    needed = ["--out", "--cache", "--jobs"] + [option for name in variants for option in VARIANTS[name]]
    missing = [o for o in needed if o not in build_help]
    if "--pages" not in top.stdout:
        missing.insert(0, "--pages")
    if missing:
        sys.exit(f"site.py does not offer {', '.join(missing)}: cannot measure the project")


def build_command(build: Build, work: Path, jobs: int) -> list[str]:
    pages, out, cache = (work / build.key / name for name in ("corpus/pages", "out", "cache"))
    if build.key == "textbook":
        return textbook_command(pages, out)
    return project_command(pages, out, cache, jobs, build.extra)


def code_state() -> str:
    """The commit, and a digest of the code a build runs (others may edit it during a benchmark)."""
    digest = hashlib.sha256()
    folders = ("flaskguide", "templates", "static")
    files = [SITE, *(path for name in folders for path in sorted((PROJECT / name).rglob("*")))]
    for path in files:
        if path.is_file() and "__pycache__" not in path.parts:
            digest.update(str(path.relative_to(PROJECT)).encode() + b"\0" + path.read_bytes())
    git = ["git", "-C", str(PROJECT), "describe", "--always", "--dirty"]
    commit = subprocess.run(git, capture_output=True, text=True, check=False).stdout.strip() or "?"
    return f"{commit}, code digest {digest.hexdigest()[:12]}"


# -- memory of a process tree ----------------------------------------------------


def children_by_parent() -> dict[int, list[int]]:
    """Every process's children, from the parent pid in ``/proc/<pid>/stat``."""
    children: dict[int, list[int]] = defaultdict(list)
    for entry in os.scandir("/proc"):
        if not entry.name.isdigit():
            continue
        try:
            with open(f"/proc/{entry.name}/stat", "rb") as handle:
                stat = handle.read()
        except OSError:  # the process ended meanwhile
            continue
        # "pid (comm) state ppid ...": comm may hold spaces and parentheses, so split after the last ")"
        children[int(stat.rsplit(b")", 1)[1].split()[1])].append(int(entry.name))
    return children


def pss_bytes(pid: int) -> int:
    """The proportional set size of one process: each shared page divided among its sharers."""
    with open(f"/proc/{pid}/smaps_rollup", "rb") as handle:
        for line in handle:
            if line.startswith(b"Pss:"):
                return int(line.split()[1]) * 1024
    return 0


def tree_rss(root: int, pss: bool = False) -> tuple[int, int, int]:
    """Summed resident bytes of ``root`` and all its descendants, their summed PSS (0 unless
    ``pss``), and how many processes there are."""
    children, stack, total, proportional, count = children_by_parent(), [root], 0, 0, 0
    while stack:
        pid = stack.pop()
        stack.extend(children.get(pid, ()))
        try:
            with open(f"/proc/{pid}/statm", "rb") as handle:
                total += int(handle.read().split()[1]) * PAGE_SIZE
            proportional += pss_bytes(pid) if pss else 0
            count += 1
        except (OSError, IndexError, ValueError):
            continue
    return total, proportional, count


class TreeSampler(threading.Thread):
    """Sample ``tree_rss(root)`` every ``interval`` seconds until stopped; keep the peaks."""

    def __init__(self, root: int, interval: float, pss: bool = False) -> None:
        super().__init__(daemon=True)
        self.root, self.interval, self.pss = root, interval, pss
        self.peak_bytes = self.peak_pss = self.peak_processes = self.samples = 0
        self.done = threading.Event()

    def run(self) -> None:
        while True:
            total, proportional, count = tree_rss(self.root, self.pss)
            self.peak_bytes = max(self.peak_bytes, total)
            self.peak_pss = max(self.peak_pss, proportional)
            self.peak_processes = max(self.peak_processes, count)
            self.samples += 1
            if self.done.wait(self.interval):
                return

    def stop(self) -> None:
        self.done.set()
        self.join()


# -- running ---------------------------------------------------------------------


def run_build(command: list[str], log: Path, interval: float, pss: bool) -> Measurement:
    """Run one build in a child process: wall time, peak RSS (summed and single), its summary line."""
    env = {**os.environ, "PYTHONDONTWRITEBYTECODE": "1"}
    out_log, err_log = log.with_suffix(".out"), log.with_suffix(".err")
    with out_log.open("w") as out, err_log.open("w") as err:
        started = time.perf_counter()
        child = subprocess.Popen(command, stdout=out, stderr=err, cwd=log.parent, env=env)
        sampler = TreeSampler(child.pid, interval, pss)
        sampler.start()
        # The sampler reads /proc/<pid> until the child is reaped: it stays a zombie until then.
        _, status, usage = os.wait4(child.pid, 0)
        seconds = time.perf_counter() - started
        sampler.stop()
    child.returncode = os.waitstatus_to_exitcode(status)
    if child.returncode != 0:
        text = out_log.read_text(errors="replace") + err_log.read_text(errors="replace")
        tail = "\n".join(text.splitlines()[-30:])
        sys.exit(f"build failed (exit {child.returncode}): {' '.join(command)}\n{tail}")
    lines = [line.strip() for line in out_log.read_text(errors="replace").splitlines() if line.strip()]
    return Measurement(
        seconds=seconds,
        rss_sum_mb=sampler.peak_bytes / 2**20,
        pss_sum_mb=sampler.peak_pss / 2**20 if pss else None,
        maxrss_mb=usage.ru_maxrss / 1024,  # Linux reports kilobytes
        processes=sampler.peak_processes,
        samples=sampler.samples,
        summary=lines[-1] if lines else "(no output on stdout)",
    )


def measure(build: Build, work: Path, args: argparse.Namespace) -> dict[str, Measurement]:
    """Run the wanted scenarios in order; a scenario that needs a previous build gets one, untimed."""
    command = build_command(build, work, args.jobs)
    logs, interval = work / "logs", args.sample_ms / 1000
    for folder in ("out", "cache"):
        shutil.rmtree(work / build.key / folder, ignore_errors=True)
    results, built = {}, False
    for scenario in SCENARIOS:
        if scenario not in args.scenarios:
            continue
        if scenario != "cold" and not built:
            run_build(command, logs / f"{build.key}-prepare.log", interval, args.pss)
        if scenario == "edit":
            corpus.edit_one(work / build.key / "corpus", args.seed)
        print(f"  {build.label:20} {LABELS[scenario]:13} ...", end="", flush=True)
        timed = command
        if scenario == "address" and build.key != "textbook":
            timed = [*command, "--site-url", ADDRESS]
        m = results[scenario] = run_build(timed, logs / f"{build.key}-{scenario}.log", interval, args.pss)
        pss = "" if m.pss_sum_mb is None else f", PSS {m.pss_sum_mb:4.0f} MB summed"
        rss = f"peak RSS {m.rss_sum_mb:4.0f} MB summed, {m.maxrss_mb:4.0f} MB largest"
        print(f" {m.seconds:7.2f} s, {rss}{pss}")
        print(f"    {m.summary}")
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


def prepare_corpus(work: Path, builds: list[Build], pages: int, seed: int) -> None:
    """Generate the corpus once and give each build its own copy (edits must not leak across)."""
    started = time.perf_counter()
    first = work / builds[0].key / "corpus"
    corpus.generate(first, pages, seed)
    for build in builds[1:]:
        shutil.copytree(first, work / build.key / "corpus")
    size = sum(path.stat().st_size for path in (first / "pages").rglob("*.md"))
    print(f"corpus: {pages} pages, {size / 2**20:.1f} MB, in {time.perf_counter() - started:.1f} s")
    (work / "logs").mkdir()


# -- reporting -------------------------------------------------------------------

Results = dict[str, dict[str, Measurement]]  # build label -> scenario -> measurement


def print_header(args: argparse.Namespace, builds: list[Build]) -> None:
    python = f"Python {platform.python_version()} ({sys.executable})"
    print(f"{python}, {os.cpu_count()} CPUs, N = {args.pages} pages, seed {args.seed}")
    if any(build.key != "textbook" for build in builds):
        print(f"project build: site.py --pages ... build --out ... --cache ... --jobs {args.jobs}")
    print(f"RSS sampled every {args.sample_ms:g} ms (sum over the build's process tree)")
    print(f"project code: {args.code_state}")


def print_table(results: Results, pages: int) -> None:
    head = f"{'scenario':14} {'build':20} {'wall s':>8} {'ms/page':>8}"
    with_pss = any(m.pss_sum_mb is not None for measured in results.values() for m in measured.values())
    pss_head = f" {'PSS sum MB':>11}" if with_pss else ""
    print(f"\n{head} {'peak RSS (sum of processes) MB':>31} {'ru_maxrss MB':>13} {'procs':>6}{pss_head}")
    for scenario in SCENARIOS:
        for label, measured in results.items():
            if scenario in measured:
                m = measured[scenario]
                row = f"{LABELS[scenario]:14} {label:20} {m.seconds:8.2f} {m.seconds * 1000 / pages:8.2f}"
                pss = f" {m.pss_sum_mb or 0:11.0f}" if with_pss else ""
                print(f"{row} {m.rss_sum_mb:31.0f} {m.maxrss_mb:13.0f} {m.processes:6}{pss}")


def verdict(ok: bool) -> str:
    return "met" if ok else "MISSED"


def print_ratios(results: Results, pages: int) -> None:
    textbook = results.get("textbook", {})
    for label, project in results.items():
        if label == "textbook" or not project:
            continue
        print(f"\n{label + ' vs textbook':34} {'value':>8}   target")
        for scenario in SCENARIOS:
            if scenario in project and scenario in textbook:
                ratio = project[scenario].seconds / textbook[scenario].seconds
                target = TARGETS.get(scenario)
                goal = f"<= {target:.2f}x  {verdict(ratio <= target)}" if target else "(no ratio target)"
                print(f"{LABELS[scenario]:34} {ratio:7.3f}x   {goal}")
        if "edit" in project:
            seconds = project["edit"].seconds
            ok = verdict(seconds < EDIT_TARGET_SECONDS)
            print(f"{'one-page edit, wall':34} {seconds:7.2f} s   < {EDIT_TARGET_SECONDS:.0f} s  {ok}")
        peak = max(m.rss_sum_mb for m in project.values())
        single = max(m.maxrss_mb for m in project.values())
        note = "" if pages == RSS_TARGET_PAGES else f" (the target applies at N = {RSS_TARGET_PAGES:,})"
        ok = verdict(peak < RSS_TARGET_MB)
        print(f"{'peak RSS (sum of processes)':34} {peak:6.0f} MB   < {RSS_TARGET_MB} MB  {ok}{note}")
        print(f"{'ru_maxrss (largest process)':34} {single:6.0f} MB")
        if any(m.pss_sum_mb is not None for m in project.values()):
            proportional = max(m.pss_sum_mb or 0 for m in project.values())
            print(f"{'peak PSS (sum of processes)':34} {proportional:6.0f} MB   (shared pages counted once)")


def print_comparison(results: Results, pages: int, previous_path: Path) -> None:
    """Cold ms/page of this run against a run saved with ``--json`` (target: within 1.3x)."""
    previous = json.loads(previous_path.read_text())
    print(f"\ncold ms/page: N = {pages} vs N = {previous['pages']} ({previous_path})")
    for label, measured in results.items():
        before = previous["results"].get(label, {}).get("cold")
        if "cold" not in measured or before is None:
            continue
        now, then = measured["cold"].seconds * 1000 / pages, before["seconds"] * 1000 / previous["pages"]
        ratio = now / then
        goal = f"  (target <= 1.30x: {verdict(ratio <= 1.3)})" if label != "textbook" else ""
        print(f"  {label:20} {now:7.2f} vs {then:7.2f} ms/page = {ratio:.2f}x{goal}")


# -- command line ----------------------------------------------------------------


def name_list(choices: tuple[str, ...] | list[str]):
    def parse(text: str) -> list[str]:
        wanted = [name.strip() for name in text.split(",") if name.strip()]
        unknown = sorted(set(wanted) - set(choices))
        if unknown or not wanted:
            raise argparse.ArgumentTypeError(f"choose from {','.join(choices)}; got {text!r}")
        return wanted

    return parse


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pages", type=int, required=True, help="number of pages to generate")
    parser.add_argument("--seed", type=int, default=0, help="corpus seed (default 0)")
    parser.add_argument("--jobs", type=int, default=os.cpu_count() or 1, help="project build --jobs")
    parser.add_argument("--keep", type=Path, help="work in this new folder and leave it there")
    parser.add_argument("--only", choices=SIDES, help="measure one side only")
    parser.add_argument(
        "--variants", type=name_list(list(VARIANTS)), default=list(VARIANTS), help="project: full,nosearch"
    )
    parser.add_argument(
        "--scenarios", type=name_list(SCENARIOS), default=list(SCENARIOS), help="cold,nochange,edit,address"
    )
    parser.add_argument("--sample-ms", type=float, default=25, help="RSS sampling interval (default 25)")
    parser.add_argument("--pss", action="store_true", help="also sum PSS (/proc/<pid>/smaps_rollup)")
    parser.add_argument("--json", type=Path, help="also write the figures to this file")
    parser.add_argument("--compare", type=Path, help="a --json file: compare cold ms/page with it")
    return parser.parse_args()


def wanted_builds(args: argparse.Namespace) -> list[Build]:
    builds = []
    if args.only != "textbook":
        for name in args.variants:
            extra = VARIANTS[name]
            key, label = ("project", "project") if not extra else (f"project-{name}", f"project {extra[0]}")
            builds.append(Build(key, label, extra))
    if args.only != "project":
        builds.append(Build("textbook", "textbook", []))
    return builds


def main() -> None:
    args = parse_args()
    builds = wanted_builds(args)
    if args.only != "textbook":
        check_project_cli(args.variants)
    args.code_state = code_state()
    print_header(args, builds)
    with workspace(args.keep) as work:
        prepare_corpus(work, builds, args.pages, args.seed)
        results = {build.label: measure(build, work, args) for build in builds}
        if args.keep:
            print(f"kept corpus, output and logs in {work}")
    if (now := code_state()).split("digest ")[1] != args.code_state.split("digest ")[1]:
        print(f"WARNING: the project's code changed during the run ({args.code_state} -> {now}):")
        print("  the figures mix versions, and a cache made by other code is not reused")
    print_table(results, args.pages)
    print_ratios(results, args.pages)
    if args.json:
        figures = {label: {s: asdict(m) for s, m in measured.items()} for label, measured in results.items()}
        saved = {"pages": args.pages, "jobs": args.jobs, "results": figures}
        args.json.write_text(json.dumps(saved, indent=1))
    if args.compare:
        print_comparison(results, args.pages, args.compare)


if __name__ == "__main__":
    main()
