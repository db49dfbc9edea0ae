"""The build's child processes (render workers, Pagefind) end with it, however it ends."""

from __future__ import annotations

import ctypes
import signal
import sys

PR_SET_PDEATHSIG = 1  # from <sys/prctl.h>


def die_with_parent() -> None:
    """Have the kernel kill this process when its parent dies, even by SIGKILL (Linux only:
    elsewhere a killed build can leave its children running until they finish)."""
    if not sys.platform.startswith("linux"):
        return
    libc = ctypes.CDLL(None, use_errno=True)
    libc.prctl(PR_SET_PDEATHSIG, signal.SIGKILL)
