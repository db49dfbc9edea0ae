"""Which browser the browser tests drive: $CHROMIUM, else a real Chromium on PATH, never a snap's launcher."""

import os

import pytest

from .conftest import find_chromium


def executable(folder, name, target=None):
    path = folder / name
    if target is None:
        path.write_text("#!/bin/sh\n")
        path.chmod(0o755)
    else:
        os.symlink(target, path)
    return str(path)


# fmt: off
@pytest.mark.parametrize(
    ("on_path", "chromium_variable", "found"),
    [
        (["chromium", "google-chrome"],             None,            "chromium"),
        (["google-chrome", "google-chrome-stable"], None,            "google-chrome-stable"),
        (["google-chrome"],                         None,            "google-chrome"),
        (["chromium-browser"],                      None,            None),  # Ubuntu's wrapper of a snap
        (["snap-chromium", "google-chrome"],        None,            "google-chrome"),
        (["chromium", "my-chrome"],                 "my-chrome",     "my-chrome"),
        (["chromium"],                              "missing-chrome", None),
    ],
)
def test_the_browser_is_the_variable_else_the_first_real_chromium(
    tmp_path, monkeypatch, on_path, chromium_variable, found
):
    snap = executable(tmp_path, "snap")
    folder = tmp_path / "bin"
    folder.mkdir()
    for name in on_path:
        if name == "snap-chromium":  # /snap/bin/chromium is a link to /usr/bin/snap
            executable(folder, "chromium", target=snap)
        else:
            executable(folder, name)
    monkeypatch.setenv("PATH", str(folder))
    if chromium_variable:
        monkeypatch.setenv("CHROMIUM", chromium_variable)
    else:
        monkeypatch.delenv("CHROMIUM", raising=False)
    chosen, reason = find_chromium()
    assert chosen == (str(folder / found) if found else None)
    assert bool(reason) == (found is None)
# fmt: on
