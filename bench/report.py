"""What a benchmark prints: the figures of every build, their medians over the runs, and the targets.

A ratio is worked out within each run (the project and the build it is compared with ran one
after the other, on the same machine's mood) and the median of those ratios is the figure a
target is judged on, with the range beside it.
"""

from __future__ import annotations

import json
import statistics
from dataclasses import dataclass, replace
from pathlib import Path

from builds import LABELS, SCENARIOS, Build, Results
from searchbytes import SearchBytes
from serving import Timing
from sizes import HtmlSizes

DECIDING_RUNS = 3  # a target is decided on the median of at least this many runs


@dataclass(frozen=True)
class Targets:
    cold: dict[str, float]  # project variant -> cold build, project / textbook, at most
    cold_vs_hugo: float  # cold build with search, project / (Hugo + Pagefind), at most
    nochange: float  # no-change rebuild, project / textbook, at most
    edit_seconds: dict[str, float]  # project variant -> one-page body edit, under
    largest_html_kb: float
    median_html_kb: float
    peak_mb: float  # peak memory (summed over the build's processes), under ...
    peak_pages: int  # ... at this many pages
    scaling: float  # ms/page at the largest N over ms/page at the smallest, at most


def verdict(ok: bool) -> str:
    return "met" if ok else "MISSED"


def medians(runs: list[Results]) -> Results:
    """Each build's and scenario's median time over the runs, with the largest memory seen."""
    found: Results = {}
    for label in runs[0]:
        found[label] = {}
        for scenario in runs[0][label]:
            measured = [run[label][scenario] for run in runs if scenario in run.get(label, {})]
            found[label][scenario] = replace(
                measured[-1],
                seconds=statistics.median(m.seconds for m in measured),
                rss_sum_mb=max(m.rss_sum_mb for m in measured),
                maxrss_mb=max(m.maxrss_mb for m in measured),
                processes=max(m.processes for m in measured),
            )
    return found


def spread(values: list[float], unit: str = "", digits: int = 2) -> str:
    """`` (a-b)`` for more than one value, else nothing."""
    if len(values) < 2:
        return ""
    return f" ({min(values):.{digits}f}-{max(values):.{digits}f}{unit})"


def print_table(runs: list[Results], pages: int) -> None:
    middle = medians(runs)
    with_pss = any(m.pss_sum_mb is not None for measured in middle.values() for m in measured.values())
    pss_head = f" {'PSS sum MB':>11}" if with_pss else ""
    title = f"median of {len(runs)} runs" if len(runs) > 1 else "one run"
    print(f"\n{title}; memory: the largest seen")
    head = f"{'scenario':14} {'build':20} {'wall s':>8} {'ms/page':>8} {'range s':>13}"
    print(f"{head} {'peak RSS (sum) MB':>18} {'ru_maxrss MB':>13} {'procs':>6}{pss_head}")
    for scenario in SCENARIOS:
        for label, measured in middle.items():
            if scenario in measured:
                m = measured[scenario]
                times = [run[label][scenario].seconds for run in runs if scenario in run.get(label, {})]
                row = f"{LABELS[scenario]:14} {label:20} {m.seconds:8.2f} {m.seconds * 1000 / pages:8.2f}"
                pss = f" {m.pss_sum_mb or 0:11.0f}" if with_pss else ""
                memory = f"{m.rss_sum_mb:18.0f} {m.maxrss_mb:13.0f} {m.processes:6}{pss}"
                print(f"{row} {spread(times):>13} {memory}")


def ratios(runs: list[Results], label: str, other: str, scenario: str) -> list[float]:
    """``label``'s time over ``other``'s in each run that has both."""
    return [
        run[label][scenario].seconds / run[other][scenario].seconds
        for run in runs
        if scenario in run.get(label, {}) and scenario in run.get(other, {})
    ]


def ratio_line(name: str, found: list[float], target: float | None) -> str:
    middle = statistics.median(found)
    goal = f"<= {target:.2f}x  {verdict(middle <= target)}" if target is not None else "(no target)"
    return f"{name:38} {middle:7.3f}x{spread(found, 'x', 3):>18}   {goal}"


def print_ratios(runs: list[Results], builds: list[Build], targets: Targets, pages: int) -> None:
    if len(runs) < DECIDING_RUNS:
        print(f"\n(only {len(runs)} run{'s' if len(runs) > 1 else ''}: the targets are decided on the median "
              f"of {DECIDING_RUNS} or more, --runs {DECIDING_RUNS})")  # fmt: skip
    labels = {build.side: build.label for build in builds if build.side != "project"}
    for build in (b for b in builds if b.side == "project"):
        print(f"\n{build.label:38} {'median':>8} {'range':>17}   target")
        for scenario in SCENARIOS:
            if found := ratios(runs, build.label, labels.get("textbook", ""), scenario):
                target = {"cold": targets.cold.get(build.variant), "nochange": targets.nochange}.get(scenario)
                print(ratio_line(f"{LABELS[scenario]} / textbook", found, target))
        if found := ratios(runs, build.label, labels.get("hugo", ""), "cold"):
            target = targets.cold_vs_hugo if build.variant == "full" else None
            print(ratio_line("cold / (hugo + pagefind)", found, target))
        print_absolute(runs, build, targets, pages)


def print_absolute(runs: list[Results], build: Build, targets: Targets, pages: int) -> None:
    """The targets in seconds and megabytes rather than ratios."""
    edits = [run[build.label]["edit"].seconds for run in runs if "edit" in run[build.label]]
    if edits and build.variant in targets.edit_seconds:
        limit, middle = targets.edit_seconds[build.variant], statistics.median(edits)
        print(f"{'one-page edit, wall':38} {middle:7.2f} s{spread(edits, ' s'):>18}   < {limit:.1f} s  "
              f"{verdict(middle < limit)}")  # fmt: skip
    measured = [m for run in runs for m in run[build.label].values()]
    peak, single = max(m.rss_sum_mb for m in measured), max(m.maxrss_mb for m in measured)
    note = "" if pages == targets.peak_pages else f" (the target applies at N = {targets.peak_pages:,})"
    ok = verdict(peak < targets.peak_mb)
    goal = f"< {targets.peak_mb:.0f} MB  {ok}{note}"
    print(f"{'peak RSS (sum of processes)':38} {peak:6.0f} MB {'':17}   {goal}")
    print(f"{'ru_maxrss (largest process)':38} {single:6.0f} MB")
    if any(m.pss_sum_mb is not None for m in measured):
        proportional = max(m.pss_sum_mb or 0 for m in measured)
        print(f"{'peak PSS (sum of processes)':38} {proportional:6.0f} MB   (shared pages counted once)")


def print_html_sizes(label: str, sizes: HtmlSizes, targets: Targets | None) -> None:
    print(f"\nbuilt HTML of {label}: {sizes.files} files")
    rows = [
        ("median page", sizes.median, targets and targets.median_html_kb, ""),
        ("largest page", sizes.largest, targets and targets.largest_html_kb, f"  {sizes.largest_name}"),
    ]
    for name, size, limit, where in rows:
        goal = f"<= {limit:.0f} KB  {verdict(size <= limit * 1024)}" if limit else ""
        print(f"  {name:14} {size:9,.0f} bytes ({size / 1024:5.1f} KB)  {goal}{where}")


def print_search_bytes(label: str, word: str, measured: SearchBytes | str | None, estimated: SearchBytes):
    print(f"\nsearch for {word!r} on {label}: bytes fetched from pagefind/")
    if isinstance(measured, SearchBytes):
        print_fetched("measured in Chromium", measured)
    elif measured:
        print(f"  not measured in a browser: {measured}")
    print_fetched("estimated from the files", estimated)


def print_fetched(how: str, found: SearchBytes) -> None:
    print(f"  {how}: {found.total:,} bytes in {found.requests} requests ({found.note})")
    for kind, size in found.parts.items():
        print(f"    {kind:40} {size:9,}")


def print_serve(timings: list[Timing]) -> None:
    print("\nsite.py serve, response times (median of the runs; every run in brackets)")
    for t in timings:
        runs = ", ".join(f"{ms:.0f}" for ms in t.runs)
        print(f"  {t.label:34} {t.ms:8.1f} ms  [{runs}]  {t.size:8,} bytes  {t.url}")


def print_scaling(found: dict[int, list[Results]], targets: Targets) -> None:
    sizes = sorted(found)
    labels = list(found[sizes[0]][0])
    middle = {pages: medians(runs) for pages, runs in found.items()}
    runs = len(found[sizes[0]])
    print(f"\ncold build, ms/page by N ({f'median of {runs} runs' if runs > 1 else 'one run'})")
    heads = "".join(f" {f'N = {pages:,}':>22}" for pages in sizes)
    print(f"  {'build':20}{heads}   ratio, largest / smallest N")
    for label in labels:
        cold = [middle[pages][label]["cold"] for pages in sizes]
        rates = [m.seconds * 1000 / pages for m, pages in zip(cold, sizes, strict=True)]
        cells = "".join(f" {ms:8.2f} ms, {m.rss_sum_mb:5.0f} MB" for ms, m in zip(rates, cold, strict=True))
        ratio = rates[-1] / rates[0]
        ok = verdict(ratio <= targets.scaling)
        goal = f"<= {targets.scaling:.2f}x  {ok}" if label.startswith("project") else ""
        print(f"  {label:20}{cells}   {ratio:.2f}x  {goal}")
    if targets.peak_pages in middle:
        for label in (label for label in labels if label.startswith("project")):
            peak = middle[targets.peak_pages][label]["cold"].rss_sum_mb
            goal = f"< {targets.peak_mb:.0f} MB  {verdict(peak < targets.peak_mb)}"
            print(f"  {label}: peak RSS {peak:.0f} MB at N = {targets.peak_pages:,}, {goal}")


def print_comparison(runs: list[Results], pages: int, previous_path: Path) -> None:
    """Cold ms/page of this run against a run saved with ``--json`` (target: within 1.3x)."""
    previous = json.loads(previous_path.read_text())
    print(f"\ncold ms/page: N = {pages} vs N = {previous['pages']} ({previous_path})")
    for label, measured in medians(runs).items():
        before = previous["results"].get(label, {}).get("cold")
        if "cold" not in measured or before is None:
            continue
        now, then = measured["cold"].seconds * 1000 / pages, before["seconds"] * 1000 / previous["pages"]
        ratio = now / then
        goal = f"  (target <= 1.30x: {verdict(ratio <= 1.3)})" if label.startswith("project") else ""
        print(f"  {label:20} {now:7.2f} vs {then:7.2f} ms/page = {ratio:.2f}x{goal}")


def as_json(results: Results) -> dict:
    return {label: {s: vars(m) for s, m in measured.items()} for label, measured in results.items()}
