"""The builds a benchmark compares, the scenarios each is timed in, and the runs that interleave them.

Each build has a folder of its own in the workspace (``corpus/``, ``out/``, ``cache/``), and
each run starts it from a fresh copy of the same generated corpus, so an edit never leaks from
one build or run into another. A run times every build in turn (the project with its search
index, the project with ``--no-search``, the textbook recipe, Hugo + Pagefind): builds measured
in the same run share the machine's mood of the moment.
"""

from __future__ import annotations

import argparse
import shutil
import subprocess
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import corpus
import hugo
from measuring import Measurement, combined, run_build

BENCH = Path(__file__).resolve().parent
PROJECT = BENCH.parent
SITE = PROJECT / "site.py"
TEXTBOOK = BENCH / "textbook.py"

SIDES = ("project", "textbook", "hugo")
VARIANTS = {"full": [], "nosearch": ["--no-search"]}  # project variant -> extra build options
SCENARIOS = ("cold", "nochange", "edit", "address")
LABELS = {"cold": "cold", "nochange": "no-change", "edit": "one-page edit", "address": "new address"}
ADDRESS = "https://example.org/guide/"  # the public address of the "address" scenario
PRISTINE = "pristine"  # the workspace folder of the generated corpus, never built nor edited

Results = dict[str, dict[str, Measurement]]  # build label -> scenario -> measurement
AfterCold = Callable[["Build", Path], None]  # called with a build and its output after a cold build


@dataclass
class Build:
    key: str  # folder name in the workspace
    label: str  # name in the tables
    side: str  # one of SIDES
    variant: str = ""  # the project's: a key of VARIANTS
    extra: tuple[str, ...] = ()  # options appended to the project's build command

    def folder(self, work: Path) -> Path:
        return work / self.key

    def scenarios(self, wanted: list[str]) -> list[str]:
        """Hugo is compared cold only: each run of it rebuilds everything anyway."""
        return ["cold"] if self.side == "hugo" else [s for s in SCENARIOS if s in wanted]


def wanted_builds(sides: list[str], variants: list[str]) -> list[Build]:
    builds = []
    if "project" in sides:
        for name in variants:
            extra = tuple(VARIANTS[name])
            key, label = ("project", "project") if not extra else (f"project-{name}", f"project {extra[0]}")
            builds.append(Build(key, label, "project", name, extra))
    if "textbook" in sides:
        builds.append(Build("textbook", "textbook", "textbook"))
    if "hugo" in sides:
        builds.append(Build("hugo", "hugo + pagefind", "hugo"))
    return builds


# -- commands ----------------------------------------------------------------------


def project_command(pages: Path, out: Path, cache: Path, jobs: int, extra: tuple[str, ...]) -> list[str]:
    """The project's build through its CLI: ``site.py --pages DIR build --out --cache --jobs``."""
    return [
        sys.executable, str(SITE), "--pages", str(pages),
        "build", "--out", str(out), "--cache", str(cache), "--jobs", str(jobs), *extra,
    ]  # fmt: skip


def build_command(build: Build, work: Path, jobs: int) -> list[str]:
    folder = build.folder(work)
    pages, out, cache = folder / "corpus" / "pages", folder / "out", folder / "cache"
    if build.side == "textbook":
        return [sys.executable, str(TEXTBOOK), "--pages-dir", str(pages), "--out", str(out)]
    return project_command(pages, out, cache, jobs, build.extra)


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


# -- running -----------------------------------------------------------------------


def prepare(work: Path, pages: int, seed: int, shape: str) -> Path:
    """Generate the corpus once, into the workspace; return its folder."""
    pristine = work / PRISTINE
    corpus.generate(pristine, pages, seed, shape)
    (work / "logs").mkdir(exist_ok=True)
    return pristine


def fresh_start(build: Build, work: Path) -> None:
    """A copy of the generated corpus (a Hugo site of it, for Hugo), no output and no cache."""
    folder = build.folder(work)
    for name in ("corpus", "out", "cache", "site"):
        shutil.rmtree(folder / name, ignore_errors=True)
    shutil.copytree(work / PRISTINE, folder / "corpus")
    if build.side == "hugo":
        hugo.write_site(folder / "corpus" / "pages", folder / "site")


def measure(build: Build, work: Path, args: argparse.Namespace, tag: str, after_cold: AfterCold) -> dict:
    """Time the wanted scenarios in order; a scenario that needs a previous build gets one, untimed."""
    fresh_start(build, work)
    results, built = {}, False
    for scenario in build.scenarios(args.scenarios):
        if scenario != "cold" and not built:
            time_build(build, work, args, f"{tag}-prepare")
        if scenario == "edit":
            corpus.edit_one(build.folder(work) / "corpus", args.seed)
        announce(build, scenario)
        results[scenario] = time_build(build, work, args, f"{tag}-{scenario}", scenario == "address")
        report(results[scenario])
        if scenario == "cold":
            after_cold(build, build.folder(work) / "out")
        built = True
    return results


def time_build(build: Build, work: Path, args: argparse.Namespace, tag: str, address=False) -> Measurement:
    """One build as it stands (for ``address``, at the new public address), timed."""
    if build.side == "hugo":
        return time_hugo(build, work, args, tag)
    command = build_command(build, work, args.jobs)
    if address and build.side == "project":
        command += ["--site-url", ADDRESS]
    return run_build(command, work / "logs" / f"{build.key}-{tag}.log", args.sample_ms / 1000, args.pss)


def announce(build: Build, scenario: str) -> None:
    print(f"  {build.label:20} {LABELS[scenario]:13} ...", end="", flush=True)


def report(m: Measurement) -> None:
    pss = "" if m.pss_sum_mb is None else f", PSS {m.pss_sum_mb:4.0f} MB summed"
    rss = f"peak RSS {m.rss_sum_mb:4.0f} MB summed, {m.maxrss_mb:4.0f} MB largest"
    print(f" {m.seconds:7.2f} s, {rss}{pss}")
    print(f"    {m.summary}")


def time_hugo(build: Build, work: Path, args: argparse.Namespace, tag: str) -> Measurement:
    """A cold Hugo build, then Pagefind on its output: their times added, the larger peak."""
    folder, interval, logs = build.folder(work), args.sample_ms / 1000, work / "logs"
    site, out, cache = folder / "site", folder / "out", folder / "cache"
    hugo.clean(site, out, cache)
    hugo_command, pagefind_command = hugo.commands(site, out, cache)
    env = hugo.environment()
    built = run_build(hugo_command, logs / f"hugo-{tag}-build.log", interval, args.pss, env)
    indexed = run_build(pagefind_command, logs / f"hugo-{tag}-pagefind.log", interval, args.pss, env)
    both = combined(built, indexed)
    both.summary = f"hugo {built.seconds:.2f} s + pagefind {indexed.seconds:.2f} s ({indexed.summary})"
    return both


def run_all(builds: list[Build], work: Path, args: argparse.Namespace, after: AfterCold) -> list[Results]:
    """``args.runs`` runs, each timing every build in turn."""
    runs = []
    for number in range(1, args.runs + 1):
        print(f"run {number} of {args.runs}")
        tag = f"run{number}"
        runs.append({build.label: measure(build, work, args, tag, after) for build in builds})
    return runs


def run_scaling(builds: list[Build], work: Path, args: argparse.Namespace) -> dict[int, list[Results]]:
    """Cold builds of each size in ``args.scaling``, ``args.runs`` times each."""
    found: dict[int, list[Results]] = {}
    for pages in args.scaling:
        shutil.rmtree(work / PRISTINE, ignore_errors=True)
        prepare(work, pages, args.seed, args.shape)
        print(f"N = {pages:,} pages ({args.shape})")
        found[pages] = []
        for number in range(1, args.runs + 1):
            measured = {}
            for build in builds:
                fresh_start(build, work)
                announce(build, "cold")
                measured[build.label] = {"cold": time_build(build, work, args, f"n{pages}-run{number}")}
                report(measured[build.label]["cold"])
            found[pages].append(measured)
    return found
