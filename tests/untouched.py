"""A pytest plugin: the run fails if its tests changed the project's own output, cache or sources.

The project is the run's root folder; the folders watched are :data:`UNTOUCHED`.
"""

from pathlib import Path

import pytest

# What a test run must leave exactly as it found them.
UNTOUCHED = (".cache", "build", "templates", "static")


def tree_state(folder: Path) -> dict[str, tuple] | None:
    """Every file and folder under ``folder`` with its size and times; None if it does not exist."""
    if not folder.exists():
        return None
    state = {}
    for path in sorted(folder.rglob("*")):
        info = path.lstat()
        state[path.relative_to(folder).as_posix()] = (info.st_size, info.st_mtime_ns, info.st_ctime_ns)
    return state


def pytest_sessionstart(session: pytest.Session) -> None:
    root = session.config.rootpath
    session.config.stash[STATE] = {name: tree_state(root / name) for name in UNTOUCHED}


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    before = session.config.stash.get(STATE, None)
    if before is None or session.config.option.collectonly:
        return
    root = session.config.rootpath
    changed = [name for name in UNTOUCHED if tree_state(root / name) != before[name]]
    if changed:
        folders = ", ".join(f"{name}/" for name in changed)
        session.config.get_terminal_writer().line(
            f"\nThe suite changed the project's own {folders}", red=True
        )
        session.exitstatus = pytest.ExitCode.TESTS_FAILED


STATE = pytest.StashKey[dict]()
