"""The build's child processes (render workers, Pagefind) end with it, however it ends."""

from __future__ import annotations

import ctypes
import os
import signal
import sys
import threading
import time

PR_SET_PDEATHSIG = 1  # from <sys/prctl.h>


def die_with_parent() -> None:
    """For a program the build starts (Pagefind): have the kernel kill it when the thread that
    started it ends, as it does when the build dies, even by SIGKILL. Linux only: elsewhere a
    killed build's Pagefind runs until it finishes its bundle."""
    if not sys.platform.startswith("linux"):
        return
    libc = ctypes.CDLL(None, use_errno=True)
    libc.prctl(PR_SET_PDEATHSIG, signal.SIGKILL)


def exit_with_parent(interval: float = 0.2) -> None:
    """For a forked render worker: exit as soon as the build is gone.

    Not the kernel's parent-death signal: the pool forks new workers from a thread of its own,
    which ends when the pool is shut down, and a worker killed then can die holding the lock of
    the task queue, which the shutdown waits for (a hang, seen at 2,000 pages). A worker whose
    parent is gone is adopted by another process, and notices.
    """
    parent = os.getppid()

    def watch() -> None:
        while os.getppid() == parent:
            time.sleep(interval)
        os._exit(1)

    threading.Thread(target=watch, name="exit-with-parent", daemon=True).start()
