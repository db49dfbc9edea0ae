"""Nothing lost, nothing that lies, no traceback: every fault and bad input named in one line.

Each test feeds one case a user (or their machine) can cause and checks the message, the exit
code and that nothing was lost: the previous output, the user's own folders, the cache.
"""

import contextlib
import ctypes
import errno
import os
import resource
import shutil
import signal
import subprocess
import sys
import textwrap
import threading
import time
import xml.etree.ElementTree as ET
from dataclasses import dataclass
from pathlib import Path

import pytest
from conftest import PROJECT, make_app, snapshot

from flaskguide import build as building
from flaskguide import search
from flaskguide.errors import DISK_PROBLEMS, SearchError, SourceProblems


@pytest.fixture
def small_site(write_page):
    write_page("index.md", "title: Home\ndescription: The home page.", "Welcome.\n")
    write_page("guide/index.md", "title: Guide\ndescription: The guide.")
    for number in range(3):
        write_page(
            f"guide/page-{number}.md",
            f"title: Page {number}\ndescription: Page {number}.\ndate: 2024-01-0{number + 1}\ntags: [t{number}]",
            f"## Part\n\nText {number}.\n",
        )


def one_line_error(result) -> str:
    """The message of a failed command, checked to be what a user should see: exit 1, no traceback."""
    assert result.exit_code == 1, result.output
    assert "Traceback" not in result.output
    assert isinstance(result.exception, SystemExit), repr(result.exception)
    return result.output


# -- the cache and the folders beside the output are validated like sources --------------------


@pytest.mark.parametrize(
    "cache",
    [
        "{root}",  # build --cache . (the project): pruning would delete templates/_partials/*
        "{root}/templates",
        "{root}/pages-parent",  # a folder holding the pages (FLATPAGES_ROOT points inside it)
        "{out}/cache",  # inside the output: the cache's files would be published
        "{out}",
        "{beside}/.out.old",  # the build's own scratch folder
    ],
)
def test_refuses_a_cache_folder_that_shares_files(site, runner, project_copy, tmp_path, cache):
    pages = project_copy / "pages-parent" / "pages"
    pages.mkdir(parents=True)
    (pages / "index.md").write_text("---\ntitle: Home\n---\nHi.\n")
    before = snapshot(project_copy)
    folder = cache.format(root=project_copy, out=tmp_path / "out", beside=tmp_path)
    out = tmp_path / "out"
    obj = {"FLATPAGES_ROOT": str(pages)}
    result = runner.invoke(site.cli, ["build", "--out", str(out), "--cache", folder], obj=obj)
    output = one_line_error(result)
    assert "refusing to use it as the build cache" in output
    assert snapshot(project_copy) == before


def test_refuses_a_cache_folder_holding_files_it_did_not_write(run_cli, small_site, tmp_path):
    documents = tmp_path / "documents"
    (documents / "responses" / "ab").mkdir(parents=True)
    (documents / "thesis.txt").write_text("years of work")
    result = run_cli("build", "--out", str(tmp_path / "out"), "--cache", str(documents))
    assert "holds files the cache did not write" in one_line_error(result)
    assert (documents / "thesis.txt").read_text() == "years of work"


def test_pruning_deletes_only_what_the_cache_wrote(run_cli, small_site, write_page, tmp_path):
    out, cache = tmp_path / "out", tmp_path / "cache"
    assert run_cli("build", "--out", str(out)).exit_code == 0
    assert (cache / "CACHEDIR.TAG").read_text().startswith("Signature: 8a477f597d28d172789f06886806bc55")
    mine = [cache / "responses" / "ab" / "notes.txt", cache / "responses" / "my-folder" / "keep.md"]
    for path in mine:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text("mine")
    write_page("guide/page-0.md", "title: Renamed")  # a listing changes: every entry is looked at
    assert run_cli("build", "--out", str(out)).exit_code == 0
    assert all(path.read_text() == "mine" for path in mine)


@pytest.mark.parametrize("role", ["old", "new"])
def test_refuses_folders_beside_the_output_that_no_build_made(run_cli, small_site, tmp_path, role):
    www = tmp_path / "www"
    theirs = www / f".site.{role}"
    theirs.mkdir(parents=True)
    (theirs / "draft.txt").write_text("their work")
    result = run_cli("build", "--out", str(www / "site"))
    assert "no build of this site made it" in one_line_error(result)
    assert (theirs / "draft.txt").read_text() == "their work"
    # After a build of its own, the folder a user puts there is still refused, and kept. (Ours
    # is moved, not deleted: a new folder could reuse a deleted one's inode, the identity a
    # build records.)
    shutil.rmtree(theirs)
    assert run_cli("build", "--out", str(www / "site")).exit_code == 0
    if theirs.exists():
        theirs.rename(tmp_path / "moved")
    theirs.mkdir()
    (theirs / "draft.txt").write_text("their work")
    assert "no build of this site made it" in one_line_error(run_cli("build", "--out", str(www / "site")))
    assert (theirs / "draft.txt").read_text() == "their work"


def test_every_file_a_build_leaves_beside_build_is_git_ignored(run_cli, small_site, tmp_path):
    if shutil.which("git") is None or not (PROJECT / ".git").exists():
        pytest.skip("needs the project's git checkout")
    out = tmp_path / "build"
    assert run_cli("build", "--out", str(out)).exit_code == 0
    assert run_cli("build", "--out", str(out)).exit_code == 0
    left = sorted(path.name for path in tmp_path.iterdir() if path.name.startswith(".build."))
    assert {".build.built", ".build.lock", ".build.old"} <= set(left)
    names = [*left, ".build.new", ".build.built.tmp"]
    done = subprocess.run(
        ["git", "check-ignore", "--no-index", *names], cwd=PROJECT, capture_output=True, text=True
    )
    assert sorted(done.stdout.split()) == sorted(names)


# -- the output never shares writable state with the cache ------------------------------------


def test_an_edit_of_the_output_in_place_never_reaches_the_cache_and_is_repaired(
    site, small_site, pages_dir, write_page, tmp_path
):
    out = tmp_path / "out"
    site.build_site(make_app(site, pages_dir, tmp_path), out)
    clean = snapshot(out)
    page = out / "guide/page-1/index.html"
    with open(page, "r+b") as handle:  # in place, as a post-processing step run as root would
        handle.write(b"<!-- tampered -->")
    # Another output folder built from the same cache is not affected...
    other = tmp_path / "other"
    site.build_site(make_app(site, pages_dir, tmp_path), other)
    assert snapshot(other) == clean
    # ...and the next builds repair the edited folder, while the kept one is never trusted.
    write_page("guide/page-2.md", "title: Page 2\ndescription: Page 2.", "New text.\n")
    for _ in range(3):
        site.build_site(make_app(site, pages_dir, tmp_path), out)
        assert b"tampered" not in page.read_bytes()
    assert snapshot(out)["guide/page-1/index.html"] == clean["guide/page-1/index.html"]


def test_no_output_file_shares_an_inode_with_the_cache(site, small_site, pages_dir, tmp_path):
    out = tmp_path / "out"
    for _ in range(2):
        shutil.rmtree(out, ignore_errors=True)
        site.build_site(make_app(site, pages_dir, tmp_path), out)
    cached = {(path.stat().st_dev, path.stat().st_ino) for path in (tmp_path / "cache").rglob("*")}
    built = {(path.stat().st_dev, path.stat().st_ino) for path in out.rglob("*") if path.is_file()}
    assert not cached & built
    assert all(path.stat().st_nlink == 1 for path in out.rglob("*") if path.is_file())


@pytest.mark.parametrize("damage", ["flip a byte", "truncate", "empty"])
def test_a_damaged_stored_response_is_rendered_again(site, small_site, pages_dir, tmp_path, damage):
    site.build_site(make_app(site, pages_dir, tmp_path), tmp_path / "first")
    clean = snapshot(tmp_path / "first")
    for stored in (tmp_path / "cache" / "responses").rglob("*"):
        if stored.is_file():
            data = stored.read_bytes()
            os.chmod(stored, 0o644)
            damaged = {
                "flip a byte": data[:-2] + bytes([data[-2] ^ 1]) + data[-1:],
                "truncate": data[: len(data) // 2],
                "empty": b"",
            }[damage]
            stored.write_bytes(damaged)
    report = site.build_site(make_app(site, pages_dir, tmp_path), tmp_path / "second")
    assert snapshot(tmp_path / "second") == clean
    assert report.rendered > 0


@pytest.mark.search
def test_a_damaged_stored_search_bundle_is_indexed_again(site, small_site, pages_dir, tmp_path):
    site.build_site(make_app(site, pages_dir, tmp_path), tmp_path / "first")
    clean = snapshot(tmp_path / "first")
    fragments = list((tmp_path / "cache" / "search").rglob("*.pf_fragment"))
    assert fragments
    os.chmod(fragments[0], 0o644)
    fragments[0].write_bytes(b"garbage")
    site.build_site(make_app(site, pages_dir, tmp_path), tmp_path / "second")
    assert snapshot(tmp_path / "second") == clean


# -- an external step's result is verified ----------------------------------------------------


@pytest.mark.search
def test_pagefind_exiting_0_with_empty_files_fails_the_build(
    site, small_site, pages_dir, write_page, tmp_path, monkeypatch
):
    out = tmp_path / "out"
    site.build_site(make_app(site, pages_dir, tmp_path), out)
    before = snapshot(out)
    real, version = search.pagefind_program()
    # Pagefind on a full disk: it writes its files, they come out empty, and it exits 0.
    fake = tmp_path / "pagefind"
    fake.write_text(
        textwrap.dedent(f"""\
        #!/bin/sh
        "{real}" "$@" || exit $?
        while [ "$1" != "--output-path" ]; do shift; done
        find "$2" -type f -exec truncate -s 0 {{}} +
        exit 0
        """)
    )
    fake.chmod(0o755)
    monkeypatch.setattr(search, "pagefind_program", lambda: (str(fake), version))
    write_page("guide/page-0.md", "title: Page 0\ndescription: Page 0.", "Edited.\n")
    with pytest.raises(SearchError, match="the search index is incomplete"):
        site.build_site(make_app(site, pages_dir, tmp_path), out)
    assert snapshot(out) == before
    assert not (tmp_path / ".out.new").exists()
    monkeypatch.undo()
    site.build_site(make_app(site, pages_dir, tmp_path, SITE_SEARCH=True), out)
    clean = tmp_path / "clean"
    site.build_site(make_app(site, pages_dir, tmp_path, SITE_CACHE_DIR=None, SITE_SEARCH=True), clean)
    assert snapshot(out) == snapshot(clean)  # the broken bundle was never stored


# -- full and read-only disks -------------------------------------------------------------------
#
# Each test says once what a user sees; the fixture picks how the disk fails. A small tmpfs needs
# root to mount, so without root a disk fills by RLIMIT_FSIZE and turns read-only by chmod. Each
# means runs wherever it can (a limit on file sizes needs no root), so root tests both.

ROOT = os.geteuid() == 0
FILE_LIMIT = 200_000  # bytes: above any file of small_site, below the page big_page writes
PRCTL = ctypes.CDLL(None, use_errno=True).prctl  # looked up here: a child of a fork only calls it
PR_CAPBSET_DROP, CAP_SETPCAP = 24, 8
CAP_DAC_OVERRIDE, CAP_DAC_READ_SEARCH = 1, 2  # root's way past mode bits


@contextlib.contextmanager
def small_disk(folder: Path, size: str):
    """A tmpfs of ``size`` at ``folder`` (root only): a disk that fills, or turns read-only."""
    folder.mkdir(parents=True, exist_ok=True)
    done = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", f"size={size}", "tmpfs", str(folder)], capture_output=True
    )
    if done.returncode != 0:
        pytest.skip(f"cannot mount a small disk here ({done.stderr.decode().strip()})")
    try:
        yield folder
    finally:
        subprocess.run(["umount", "-l", str(folder)], check=False)


def remount(folder: Path, options: str) -> None:
    subprocess.run(["mount", "-o", f"remount,{options}", str(folder)], check=True)


def set_modes(folder: Path, mode: int) -> None:
    """Give ``folder`` and every folder under it ``mode``."""
    for path in [folder, *(path for path in folder.rglob("*") if path.is_dir())]:
        path.chmod(mode)


def as_a_user() -> None:
    """Drop (before exec, in a child of root) the capabilities that let root write into any
    folder, whatever its mode: the build then meets mode bits as a user does, while it can
    still read an interpreter that only root may (a user such as nobody cannot run ~root/.pyenv)."""
    for capability in (CAP_DAC_OVERRIDE, CAP_DAC_READ_SEARCH):
        if PRCTL(PR_CAPBSET_DROP, capability, 0, 0, 0) != 0:
            raise OSError(ctypes.get_errno(), "cannot drop a capability")


def may_drop_capabilities() -> bool:
    status = Path("/proc/self/status").read_text()
    effective = int(status.split("CapEff:")[1].split()[0], 16)
    return bool(effective & (1 << CAP_SETPCAP))


@dataclass
class Disk:
    """A folder on a disk that is full or read-only, made so by ``means``; a build runs against it."""

    folder: Path
    means: str  # "tmpfs", "file size limit" or "chmod"
    problem: str  # how the one-line error names the fault
    limit: int | None = None  # RLIMIT_FSIZE of the build: it holds for every file written, anywhere
    as_a_user: bool = False  # root builds without its override of mode bits

    def build(self, pages: Path, *options: str) -> subprocess.CompletedProcess[str]:
        """``python site.py --pages PAGES build --no-search OPTIONS``, in a process of its own."""
        command = [sys.executable, "site.py", "--pages", str(pages), "build", "--no-search", *options]
        environment = {**os.environ, "PYTHONDONTWRITEBYTECODE": "1"}
        return subprocess.run(
            command,
            cwd=PROJECT,
            env=environment,
            capture_output=True,
            text=True,
            timeout=120,
            preexec_fn=self.limits,
        )

    def limits(self) -> None:
        """What the means sets in the build's process, before it runs."""
        if self.limit is not None:
            # A write past the limit then fails with EFBIG, instead of SIGXFSZ killing the build.
            signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
            resource.setrlimit(resource.RLIMIT_FSIZE, (self.limit, self.limit))
        if self.as_a_user:
            as_a_user()

    def make_room(self) -> None:
        """A full disk: lift what filled it."""
        if self.means == "tmpfs":
            remount(self.folder, "size=40m")
        else:
            self.limit = None

    def seal(self) -> None:
        """A read-only disk: make it so, with whatever the test put on it."""
        if self.means == "tmpfs":
            remount(self.folder, "ro")
        else:
            set_modes(self.folder, 0o555)


@pytest.fixture(params=["tmpfs", "file size limit"])
def full_disk(request, tmp_path):
    """``tmp_path/disk`` on a disk that fills: a 400 KB tmpfs (root), or no file over FILE_LIMIT."""
    folder = tmp_path / "disk"
    if request.param == "tmpfs":
        if not ROOT:
            pytest.skip("mounting a tmpfs needs root: the file size limit stands in for it")
        with small_disk(folder, "400k"):
            yield Disk(folder, "tmpfs", DISK_PROBLEMS[errno.ENOSPC])
        return
    folder.mkdir()
    yield Disk(folder, "file size limit", DISK_PROBLEMS[errno.EFBIG], limit=FILE_LIMIT)


@pytest.fixture(params=["tmpfs", "chmod"])
def read_only_disk(request, tmp_path):
    """``tmp_path/disk``, made read-only by ``seal()``: a tmpfs remounted read-only (root), or
    every folder on it chmod 0o555 (root then builds without its override of mode bits)."""
    folder = tmp_path / "disk"
    if request.param == "tmpfs":
        if not ROOT:
            pytest.skip("mounting a tmpfs needs root: chmod stands in for it")
        with small_disk(folder, "8m"):
            yield Disk(folder, "tmpfs", os.strerror(errno.EROFS))
        return
    if ROOT and not may_drop_capabilities():
        pytest.skip("root ignores mode bits, and without CAP_SETPCAP cannot build without that override")
    folder.mkdir()
    try:
        yield Disk(folder, "chmod", os.strerror(errno.EACCES), as_a_user=ROOT)
    finally:
        set_modes(folder, 0o755)  # or tmp_path could not be deleted


def big_page(write_page, kilobytes: int) -> None:
    paragraph = "Words and more words. " * 46 + "\n\n"  # about 1 KB
    write_page("guide/big.md", "title: Big\ndescription: Big.", paragraph * kilobytes)


def built(done: subprocess.CompletedProcess[str]) -> None:
    assert done.returncode == 0, done.stderr[-2000:]


def one_line_failure(done: subprocess.CompletedProcess[str]) -> str:
    """The one line a failed build printed (progress aside), checked: exit 1, no traceback."""
    assert done.returncode == 1, done.stderr[-2000:]
    assert "Traceback" not in done.stderr
    lines = [line for line in done.stderr.splitlines() if not line.startswith("Freezing: ")]
    assert len(lines) == 1, lines
    return lines[0]


def test_a_full_output_disk_fails_in_one_line_and_keeps_the_last_build(
    full_disk, small_site, pages_dir, write_page, tmp_path
):
    out = full_disk.folder / "site"
    # A file size limit holds for the cache's files too: then only the output is written.
    cache = ["--no-cache"] if full_disk.limit else ["--cache", str(tmp_path / "cache")]
    built(full_disk.build(pages_dir, "--out", str(out), *cache))  # the small site fits
    before = snapshot(out)
    big_page(write_page, 400)
    line = one_line_failure(full_disk.build(pages_dir, "--out", str(out), *cache))
    assert "cannot write the output" in line and full_disk.problem in line and str(full_disk.folder) in line
    assert snapshot(out) == before
    assert not (full_disk.folder / ".site.new").exists(), "no partial build left beside the output"
    assert not list(full_disk.folder.rglob(".*.tmp"))
    full_disk.make_room()
    built(full_disk.build(pages_dir, "--out", str(out), *cache))
    assert (out / "guide/big/index.html").is_file()


def test_a_full_cache_fails_in_one_line_leaves_no_partial_entries_and_recovers(
    full_disk, small_site, pages_dir, write_page, tmp_path
):
    cache = full_disk.folder / "cache"
    out = tmp_path / "out"
    options = ["--out", str(out), "--cache", str(cache)]
    built(full_disk.build(pages_dir, *options))
    before = snapshot(out)
    big_page(write_page, 400)
    line = one_line_failure(full_disk.build(pages_dir, *options))
    assert "cannot write the build cache" in line and full_disk.problem in line and str(cache) in line
    assert snapshot(out) == before
    assert not [path for path in cache.rglob(".*") if path.name != ".lock"], "no partial entries"
    full_disk.make_room()
    built(full_disk.build(pages_dir, *options))
    assert (out / "guide/big/index.html").is_file()


@pytest.mark.parametrize("where", ["cache", "output parent"])
def test_a_read_only_disk_fails_in_one_line(read_only_disk, small_site, pages_dir, tmp_path, where):
    disk = read_only_disk.folder
    (disk / "www").mkdir()
    cache = disk / "cache" if where == "cache" else tmp_path / "cache"
    out = disk / "www" / "site" if where == "output parent" else tmp_path / "out"
    read_only_disk.seal()
    line = one_line_failure(read_only_disk.build(pages_dir, "--out", str(out), "--cache", str(cache)))
    assert read_only_disk.problem in line and str(disk) in line
    assert ("cannot write the build cache" if where == "cache" else "cannot write the output") in line


@pytest.mark.skipif(not ROOT, reason="only root can mount a folder, and nothing else makes a mount point")
def test_a_mount_point_as_output_is_refused_with_what_to_do(run_cli, small_site, tmp_path):
    with small_disk(tmp_path / "volume", "4m") as volume:
        output = one_line_error(run_cli("build", "--out", str(volume)))
        assert "is a mount point" in output and f"--out {volume / 'site'}" in output
        assert run_cli("build", "--out", str(volume / "site")).exit_code == 0


# -- inputs that used to end in a traceback --------------------------------------------------


@pytest.mark.parametrize(
    ("front", "expected"),
    [
        (
            "title: Home\ndraft: true",
            "pages/index.md: the home page is a draft (draft: true): set draft: false",
        ),
        ("title: Home\ndate: 2030-01-01", "pages/index.md: the home page is dated 2030-01-01, after today"),
        (None, "pages/index.md: missing: a site needs a home page"),
    ],
)
def test_a_site_without_a_home_page_is_named(run_cli, write_page, tmp_path, front, expected):
    write_page("other.md", "title: Other")
    if front:
        write_page("index.md", front)
    output = one_line_error(run_cli("build", "--out", str(tmp_path / "out")))
    assert expected in output


@pytest.mark.parametrize("epoch", ["abc", "1e9", "99999999999999999999", "-99999999999999"])
def test_an_invalid_source_date_epoch_is_named(run_cli, small_site, tmp_path, monkeypatch, epoch):
    monkeypatch.setenv("SOURCE_DATE_EPOCH", epoch)
    output = one_line_error(run_cli("build", "--out", str(tmp_path / "out")))
    assert f"SOURCE_DATE_EPOCH={epoch}: is not a time this build can use" in output


@pytest.mark.parametrize(
    ("name", "shown", "problem"),
    [
        ("caf%41.md", "pages/caf%41.md", "holds a %XX escape"),
        ("tab\there.md", "pages/tab\\there.md", "holds a control character"),
        ("new\nline.md", "pages/new\\nline.md", "holds a control character"),
        (os.fsdecode(b"latin-\xe9.md"), "pages/latin-\\xe9.md", "a byte that is not UTF-8"),
        # Its folder index.html/ would clash with the home page's index.html.
        ("index.html.md", "pages/index.html.md", "uses 'index.html', the name of a page's file"),
        # 255 bytes as saved, 507 composed (NFC decomposes U+0958): too long for a folder name.
        ("\u0958" * 84 + ".md", "pages/" + "\u0958" * 84 + ".md", "has a name longer than 255 bytes"),
    ],
)
def test_a_file_name_that_cannot_make_a_url_is_refused(
    run_cli, small_site, pages_dir, tmp_path, name, shown, problem
):
    (pages_dir / name).write_text("---\ntitle: Odd\n---\nText.\n")
    output = one_line_error(run_cli("build", "--out", str(tmp_path / "out")))
    assert f"{shown}: its URL" in output and problem in output
    assert output.count("\n") == 2, "a count line and one problem line"


@pytest.mark.parametrize(
    ("front", "shown"),
    [
        ('title: "\\n\\n"', 'title: "\\n\\n" must be a non-empty string'),
        ('title: A\ndate: "2020\\n01-01"', 'date: "2020\\n01-01" is not a valid date'),
        ('title: "\\x1e"', 'title: "\\x1e" must be a non-empty string'),
    ],
)
def test_a_problem_shows_a_value_on_one_line(run_cli, small_site, write_page, tmp_path, front, shown):
    write_page("bad.md", front)
    output = one_line_error(run_cli("build", "--out", str(tmp_path / "out")))
    assert output.splitlines()[1:] == [f"pages/bad.md:2: {shown}"] or f"pages/bad.md:3: {shown}" in output


DEEP = "*" * 3000 + "x" + "*" * 3000  # emphasis nested too deep for Python-Markdown's recursion


@pytest.mark.parametrize("described", [True, False], ids=["rendered-by-workers", "summarised-while-planning"])
def test_every_page_that_cannot_be_rendered_is_named_in_one_run(
    site, write_page, pages_dir, tmp_path, described
):
    write_page("index.md", "title: Home")
    for name in ("one", "two", "three"):
        write_page(f"{name}.md", f"title: {name}" + ("\ndescription: Deep." if described else ""), DEEP)
    if not described:
        write_page("four.md", "title: four\ndescription: Deep.", DEEP)  # only rendered, never summarised
    with pytest.raises(SourceProblems) as raised:
        site.build_site(make_app(site, pages_dir, tmp_path), tmp_path / "out", jobs=2)
    named = sorted(problem.split(":")[0] for problem in raised.value.problems)
    expected = ["one", "three", "two"] + ([] if described else ["four"])
    assert named == sorted(
        str(pages_dir / f"{name}.md").replace(str(pages_dir.parent) + "/", "") for name in expected
    )
    assert all("nests too deep to render" in problem for problem in raised.value.problems)


def test_a_page_file_that_is_a_pipe_is_named_not_read(run_cli, small_site, pages_dir, tmp_path):
    os.mkfifo(pages_dir / "pipe.md")  # opening it to read would wait for ever
    output = one_line_error(run_cli("build", "--out", str(tmp_path / "out")))
    assert "pages/pipe.md:0: is not a regular file: remove it" in output


def test_a_page_that_cannot_be_read_is_named(site, small_site, pages_dir, tmp_path, monkeypatch):
    real_open = open

    def refusing_open(file, *args, **kwargs):  # root reads any file, whatever its mode
        if str(file).endswith("page-1.md"):
            raise PermissionError(13, "Permission denied", str(file))
        return real_open(file, *args, **kwargs)

    monkeypatch.setattr("builtins.open", refusing_open)
    with pytest.raises(SourceProblems) as raised:
        site.build_site(make_app(site, pages_dir, tmp_path, SITE_CACHE_DIR=None), tmp_path / "out")
    assert raised.value.problems == [
        "pages/guide/page-1.md:0: cannot be read (Permission denied): check that it exists and may be read"
    ]


def test_a_static_file_named_in_bytes_that_are_not_utf8_is_named(run_cli, small_site, project_copy, tmp_path):
    (project_copy / "static" / os.fsdecode(b"caf\xe9.png")).write_bytes(b"png")
    output = one_line_error(run_cli("build", "--out", str(tmp_path / "out")))
    assert "static/caf\\xe9.png: has a name that is not UTF-8, which no URL can hold: rename it" in output


def test_an_interrupted_copy_for_the_next_build_leaves_no_half_folder(
    site, small_site, pages_dir, tmp_path, monkeypatch
):
    def interrupted(source, target, **options):
        target.mkdir(exist_ok=True)
        (target / "half").write_text("")
        raise KeyboardInterrupt

    monkeypatch.setattr(building, "copy_tree", interrupted)
    with pytest.raises(KeyboardInterrupt):
        site.build_site(make_app(site, pages_dir, tmp_path), tmp_path / "out")
    assert not (tmp_path / ".out.old").exists()
    monkeypatch.undo()
    site.build_site(make_app(site, pages_dir, tmp_path), tmp_path / "out")  # not refused


def test_a_tag_longer_than_a_file_name_may_be_builds(run_cli, write_page, tmp_path):
    long = "very long tag " * 40
    write_page("index.md", f"title: Home\ntags: [{long.strip()}]")
    out = tmp_path / "out"
    result = run_cli("build", "--out", str(out))
    assert result.exit_code == 0, result.output
    folders = [path.name for path in (out / "tags").iterdir() if path.is_dir()]
    assert len(folders) == 1 and len(folders[0].encode()) < 100


def test_a_page_edited_during_a_parallel_build_is_named(site, small_site, pages_dir, tmp_path, monkeypatch):
    page = pages_dir / "guide/page-1.md"
    real_freeze = building.engine.Engine.freeze

    def edit_then_freeze(self, *args, **kwargs):
        page.write_text(page.read_text() + "\nAn edit made while the build runs.\n")
        return real_freeze(self, *args, **kwargs)

    monkeypatch.setattr(building.engine.Engine, "freeze", edit_then_freeze)
    with pytest.raises(SourceProblems) as raised:
        site.build_site(make_app(site, pages_dir, tmp_path, SITE_CACHE_DIR=None), tmp_path / "out", jobs=2)
    assert raised.value.problems == [f"{page}: changed while the site was being built: build again"]


# -- URLs that round-trip -------------------------------------------------------------------------


def test_a_decomposed_file_name_is_published_composed(run_cli, write_page, tmp_path):
    write_page("index.md", "title: Home")
    write_page("cafe\u0301.md", "title: Café")  # NFD, as macOS writes names
    out = tmp_path / "out"
    assert run_cli("build", "--out", str(out)).exit_code == 0
    assert (out / "caf\u00e9" / "index.html").is_file()
    assert 'href="/caf%C3%A9/"' in (out / "index.html").read_text()


def test_two_spellings_of_one_name_are_both_named(run_cli, write_page, tmp_path):
    write_page("index.md", "title: Home")
    write_page("caf\u00e9.md", "title: Composed")
    write_page("cafe\u0301.md", "title: Decomposed")
    output = one_line_error(run_cli("build", "--out", str(tmp_path / "out")))
    assert "pages/cafe\\u0301.md and pages/caf\\xe9.md both publish /caf\u00e9/" in output


def test_a_folder_symlink_inside_pages_is_refused_naming_both(run_cli, small_site, pages_dir, tmp_path):
    (pages_dir / "alias").symlink_to(pages_dir / "guide", target_is_directory=True)
    output = one_line_error(run_cli("build", "--out", str(tmp_path / "out")))
    assert "pages/alias: is a symlink to pages/guide/, inside pages/" in output


def test_control_characters_in_a_page_leave_the_feed_well_formed(run_cli, write_page, tmp_path):
    write_page("index.md", "title: Home")
    write_page(
        "odd.md",
        'title: "Bell \\a and escape \\e"\ndate: 2024-01-01',
        "Text \x01 with \x1b[31mcolour\x1b[0m.\n",
    )
    out = tmp_path / "out"
    assert run_cli("build", "--out", str(out)).exit_code == 0
    for name in ("feed.xml", "sitemap.xml"):
        ET.parse(out / name)


def test_a_tag_spelled_like_another_tags_folder_gets_its_own(run_cli, write_page, tmp_path):
    from flaskguide.tags import short_hash

    write_page("index.md", "title: Home")
    write_page("a.md", "title: A\ntags: ['C#']")
    write_page("b.md", "title: B\ntags: [C]")
    write_page("c.md", f"title: Fake\ntags: [c-{short_hash('c#')}]")
    out = tmp_path / "out"
    assert run_cli("build", "--out", str(out)).exit_code == 0
    folders = sorted(path for path in (out / "tags").iterdir() if path.is_dir())
    assert len(folders) == 3
    titles = sorted((folder / "index.html").read_text().count("<li") for folder in folders)
    assert titles == [1, 1, 1] or len({(folder / "index.html").read_text() for folder in folders}) == 3


def test_serve_refuses_requests_for_other_host_names(site, pages_dir, write_page):
    write_page("index.md", "title: Home")
    client = site.serve_app({"FLATPAGES_ROOT": str(pages_dir)}, host="127.0.0.1").test_client()
    assert client.get("/", headers={"Host": "127.0.0.1:5000"}).status_code == 200
    assert client.get("/", headers={"Host": "localhost:5000"}).status_code == 200
    assert client.get("/", headers={"Host": "rebound.evil.example"}).status_code == 400


# -- faults: the swap, kills at each phase, children -------------------------------------------


def test_the_output_folder_is_there_at_every_instant_of_a_swap(
    site, small_site, pages_dir, write_page, tmp_path
):
    out = tmp_path / "out"
    site.build_site(make_app(site, pages_dir, tmp_path), out)
    missing, stop = [], threading.Event()

    def watch():
        while not stop.is_set():
            if not (out / "index.html").exists():
                missing.append(time.monotonic())

    watcher = threading.Thread(target=watch)
    watcher.start()
    try:
        for number in range(15):
            write_page("guide/page-0.md", "title: Page 0\ndescription: Page 0.", f"Edit {number}.\n")
            site.build_site(make_app(site, pages_dir, tmp_path), out)
    finally:
        stop.set()
        watcher.join()
    assert not missing


DRIVER = """
import os, signal, subprocess, sys, time
sys.path.insert(0, {project!r})
import importlib.util
spec = importlib.util.spec_from_file_location("flask_guide_site", {site!r})
module = importlib.util.module_from_spec(spec)
sys.modules[spec.name] = module
spec.loader.exec_module(module)
from flaskguide import build, cache, engine, search

point, signum = sys.argv[1], int(sys.argv[2])

def stop():
    os.kill(os.getpid(), signum)
    if signum == signal.SIGKILL:
        time.sleep(30)  # never returns

def after(owner, name):
    real = getattr(owner, name)
    def patched(*args, **kwargs):
        result = real(*args, **kwargs)
        stop()
        return result
    setattr(owner, name, patched)

if point == "render":
    after(engine.Engine, "freeze")
elif point == "search":
    class Popen(subprocess.Popen):
        def __init__(self, command, *args, **kwargs):
            super().__init__(command, *args, **kwargs)
            if "--site" in command:  # Pagefind indexing, not asked its version
                with open(sys.argv[3], "w") as handle:
                    handle.write(str(self.pid))
                stop()
    subprocess.Popen = Popen
elif point == "exchange":
    after(build, "exchange")
elif point == "swap":
    after(build, "swap_in")
elif point == "prune":
    after(build.Build, "prune")
module.cli(sys.argv[4:])
"""


def alive(marker: str, wait: float = 10) -> list[int]:
    """The processes (zombies aside) whose command line holds ``marker``, once ``wait`` seconds
    have passed or none is left."""
    deadline = time.monotonic() + wait
    while True:
        found = []
        for proc in Path("/proc").iterdir():
            try:
                command = (proc / "cmdline").read_bytes()
                state = (proc / "stat").read_bytes().rsplit(b")", 1)[1].split()[0]
            except (OSError, IndexError):
                continue
            if marker.encode() in command and state != b"Z":
                found.append(int(proc.name))
        if not found or time.monotonic() > deadline:
            return found
        time.sleep(0.05)


def test_a_parallel_build_of_more_pages_than_a_worker_lives_for_finishes(pages_dir, write_page, tmp_path):
    # Workers are replaced after 64 tasks of 8 URLs: 1,100 pages make the pool replace them.
    write_page("index.md", "title: Home")
    for number in range(1100):
        write_page(f"many/page-{number}.md", f"title: Page {number}", "Text.\n")
    command = [sys.executable, "site.py", "--pages", str(pages_dir), "build", "--no-search", "--jobs", "2"]
    command += ["--out", str(tmp_path / "out"), "--cache", str(tmp_path / "cache")]
    done = subprocess.run(command, cwd=PROJECT, capture_output=True, timeout=60)
    assert done.returncode == 0, done.stderr.decode()[-2000:]
    assert len(list((tmp_path / "out" / "many").iterdir())) == 1100


KILLS = [
    *((point, signal.SIGKILL) for point in ("render", "search", "exchange", "swap", "prune")),
    *((point, signal.SIGINT) for point in ("render", "search", "exchange")),  # Ctrl-C
]


@pytest.mark.search
@pytest.mark.parametrize(("point", "signum"), KILLS)
def test_a_build_killed_at_any_phase_loses_nothing(
    site, small_site, pages_dir, write_page, tmp_path, point, signum
):
    out, cache = tmp_path / "out", tmp_path / "cache"
    command = ["--pages", str(pages_dir), "build", "--out", str(out), "--cache", str(cache), "--jobs", "2"]
    assert (
        subprocess.run([sys.executable, "site.py", *command], cwd=PROJECT, capture_output=True).returncode
        == 0
    )
    before = snapshot(out)
    write_page("guide/page-1.md", "title: Page one, renamed\ndescription: Page 1.", "Edited.\n")
    expected = tmp_path / "expected"
    site.build_site(make_app(site, pages_dir, tmp_path, SITE_CACHE_DIR=None), expected)
    driver = tmp_path / "driver.py"
    driver.write_text(DRIVER.format(project=str(PROJECT), site=str(PROJECT / "site.py")))
    pid_file = tmp_path / "pagefind.pid"
    process = subprocess.run(
        [sys.executable, str(driver), point, str(int(signum)), str(pid_file), *command],
        cwd=PROJECT,
        capture_output=True,
        timeout=120,
    )
    assert process.returncode != 0
    assert b"Traceback" not in process.stderr
    assert pid_file.exists() == (point == "search"), "Pagefind was indexing when the build was killed"
    # build/ is whole: the last build, or the new one.
    assert snapshot(out) in (before, snapshot(expected)), f"killed at {point}"
    assert not alive(str(driver)), "a render worker outlived the build"
    if pid_file.exists():  # Pagefind was running when the build died: it died too
        pid = int(pid_file.read_text())
        deadline = time.monotonic() + 10
        while (
            Path(f"/proc/{pid}").exists() and b"Z" not in Path(f"/proc/{pid}/stat").read_bytes().split()[2:3]
        ):
            assert time.monotonic() < deadline, "pagefind outlived the build"
            time.sleep(0.05)
    done = subprocess.run([sys.executable, "site.py", *command], cwd=PROJECT, capture_output=True)
    assert done.returncode == 0, done.stderr.decode()
    assert snapshot(out) == snapshot(expected)
