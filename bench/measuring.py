"""Time one build in a child process, and the peak memory of the whole process tree it makes.

The project renders in forked worker processes and runs Pagefind as a child, so a sampler thread
sums the RSS of the build process and all its descendants (``/proc/*/stat`` for the tree,
``/proc/<pid>/statm`` for the resident pages) every ``interval`` and keeps the largest sum. Pages
a forked worker still shares with its parent are counted once per process, so the sum overstates
the memory really in use. ``ru_maxrss`` (from ``os.wait4``) is kept beside it: the largest single
process among the build and the children it waited for. With ``pss``, each process's PSS
(``/proc/<pid>/smaps_rollup``), which counts a shared page once across its sharers, is summed too.
"""

from __future__ import annotations

import os
import subprocess
import sys
import threading
import time
from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path

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


def combined(first: Measurement, second: Measurement) -> Measurement:
    """Two steps run one after the other (Hugo, then Pagefind): times add, peaks do not."""
    return Measurement(
        seconds=first.seconds + second.seconds,
        rss_sum_mb=max(first.rss_sum_mb, second.rss_sum_mb),
        maxrss_mb=max(first.maxrss_mb, second.maxrss_mb),
        processes=max(first.processes, second.processes),
        samples=first.samples + second.samples,
        summary=f"{first.summary} / {second.summary}",
        pss_sum_mb=None if first.pss_sum_mb is None else max(first.pss_sum_mb, second.pss_sum_mb or 0),
    )


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


def run_build(
    command: list[str], log: Path, interval: float, pss: bool, env: dict[str, str] | None = None
) -> Measurement:
    """Run one build in a child process: wall time, peak RSS (summed and single), its summary line."""
    env = {**(os.environ if env is None else env), "PYTHONDONTWRITEBYTECODE": "1"}
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
