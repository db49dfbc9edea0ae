"""A page's "Updated" date: its front matter's ``updated``, else its file's last commit (one git
log for the whole site, kept under the commit), else none; and its "Edit this page" link.

Every repository here is made in ``tmp_path`` with fixed names, e-mails and dates; none reads the
user's git configuration, and none looks above ``tmp_path`` for a repository.
"""

import datetime
import os
import shutil
import subprocess
import unicodedata
from pathlib import Path

import pytest
import yaml
from conftest import PROJECT, snapshot

from flaskguide import freshness
from flaskguide.cache import Cache, PageRecords

DAY = datetime.date


@pytest.fixture(autouse=True)
def git_env(tmp_path, monkeypatch):
    """Commits by a fixed author, with no global or system git configuration, and no repository
    found above ``tmp_path`` (the project's own is never seen)."""
    (tmp_path / "gitconfig").write_text("", "utf-8")
    for who in ("AUTHOR", "COMMITTER"):
        monkeypatch.setenv(f"GIT_{who}_NAME", "A. Writer")
        monkeypatch.setenv(f"GIT_{who}_EMAIL", "writer@example.com")
    monkeypatch.setenv("GIT_CONFIG_GLOBAL", str(tmp_path / "gitconfig"))
    monkeypatch.setenv("GIT_CONFIG_NOSYSTEM", "1")
    monkeypatch.setenv("GIT_CEILING_DIRECTORIES", str(tmp_path))
    for name in ("GIT_DIR", "GIT_WORK_TREE", "GIT_INDEX_FILE"):
        monkeypatch.delenv(name, raising=False)


def git(repo: Path, *args: str, when: str | None = None) -> str:
    env = {**os.environ}
    if when:
        env.update(GIT_AUTHOR_DATE=when, GIT_COMMITTER_DATE=when)
    done = subprocess.run(["git", "-C", str(repo), *args], env=env, capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    return done.stdout


def commit(repo: Path, when: str, *paths: str) -> None:
    git(repo, "add", "--", *(paths or ["."]))
    git(repo, "commit", "-q", "-m", f"at {when}", when=when)


def write(folder: Path, name: str, front: str, body: str = "Some text.\n") -> Path:
    path = folder / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(f"---\n{front}\n---\n{body}", "utf-8")
    return path


def new_repo(folder: Path) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    git(folder, "init", "-q")
    return folder


# -- the parser of git log's output -------------------------------------------------------------

A, B, C = "a" * 40, "b" * 40, "c" * 40


def entry(commit_id: str, stamp: str, *names: bytes) -> bytes:
    """One commit as ``git log --format=%x00%H %cI --name-only -z`` prints it."""
    line = b"\0" + f"{commit_id} {stamp}".encode() + b"\0"
    return line + (b"\n" + b"\0".join(names) + b"\0" if names else b"")


PARSED = [
    ("no commits", b"", frozenset(), {}),
    (
        "one commit",
        entry(A, "2024-01-10T09:00:00+00:00", b"a.md", b"b.md"),
        frozenset(),
        {
            "a.md": DAY(2024, 1, 10),
            "b.md": DAY(2024, 1, 10),
        },
    ),
    (
        "the newest commit wins",
        entry(B, "2024-03-05T12:00:00+00:00", b"b.md")
        + entry(A, "2024-01-10T09:00:00+00:00", b"a.md", b"b.md"),
        frozenset(),
        {
            "a.md": DAY(2024, 1, 10),
            "b.md": DAY(2024, 3, 5),
        },
    ),
    (
        "a merge names no file",
        entry(C, "2024-04-01T00:00:00+00:00") + entry(B, "2024-03-05T12:00:00+00:00", b"b.md"),
        frozenset(),
        {"b.md": DAY(2024, 3, 5)},
    ),
    (
        "the commit's own offset decides the day",
        entry(A, "2024-01-10T23:30:00-05:00", b"late.md")
        + entry(B, "2024-01-10T00:30:00+14:00", b"early.md"),
        frozenset(),
        {
            "late.md": DAY(2024, 1, 10),
            "early.md": DAY(2024, 1, 10),
        },
    ),
    (
        "odd names, as bytes",
        entry(
            A,
            "2024-01-10T09:00:00+00:00",
            "café.md".encode(),
            b"two words.md",
            b'say "hi".md',
            b"it's.md",
            b"guide/deep/page.md",
        ),
        frozenset(),
        {
            "café.md": DAY(2024, 1, 10),
            "two words.md": DAY(2024, 1, 10),
            'say "hi".md': DAY(2024, 1, 10),
            "it's.md": DAY(2024, 1, 10),
            "guide/deep/page.md": DAY(2024, 1, 10),
        },
    ),
    (
        "a decomposed name is looked up composed",
        entry(A, "2024-01-10T09:00:00+00:00", unicodedata.normalize("NFD", "café.md").encode()),
        frozenset(),
        {"café.md": DAY(2024, 1, 10)},
    ),
    (
        "a name that starts with a newline",
        entry(A, "2024-01-10T09:00:00+00:00", b"\nodd.md", b"\nodd2.md"),
        frozenset(),
        {"\nodd.md": DAY(2024, 1, 10), "\nodd2.md": DAY(2024, 1, 10)},
    ),
    (
        "a shallow clone's edge dates nothing",
        entry(B, "2024-03-05T12:00:00+00:00", b"b.md")
        + entry(A, "2024-01-10T09:00:00+00:00", b"a.md", b"b.md"),
        frozenset({A}),
        {"b.md": DAY(2024, 3, 5)},
    ),
]


@pytest.mark.parametrize(
    ("output", "edge", "dates"), [case[1:] for case in PARSED], ids=[case[0] for case in PARSED]
)
def test_parse_log(output, edge, dates):
    assert freshness.parse_log(output, edge) == dates


@pytest.mark.parametrize(
    "output",
    [b"no leading NUL\0a.md\0", b"\0" + A.encode() + b" not-a-date\0\na.md\0"],
    ids=["not a commit", "not a date"],
)
def test_unreadable_log_output_is_a_typed_error(output):
    with pytest.raises(freshness.FreshnessError):
        freshness.parse_log(output)


# -- reading the dates from git -----------------------------------------------------------------


@pytest.fixture
def history(tmp_path):
    """A repository whose pages/ has a.md (last changed 10 January 2024), b.md (5 March) and
    odd names; and the commits, oldest first."""
    repo = new_repo(tmp_path / "repo")
    pages = repo / "pages"
    for name in ("a.md", "b.md", "café.md", "two words.md", 'say "hi".md'):
        write(pages, name, f"title: {name}")
    write(repo, "outside.md", "title: Outside")
    commit(repo, "2024-01-10T09:00:00+01:00")
    write(pages, "b.md", "title: B, again")
    commit(repo, "2024-03-05T12:00:00+00:00")
    return pages


def test_one_git_log_dates_every_file_of_the_folder(history):
    assert freshness.CommitDates().of(str(history)) == {
        "a.md": DAY(2024, 1, 10),
        "b.md": DAY(2024, 3, 5),
        "café.md": DAY(2024, 1, 10),
        "two words.md": DAY(2024, 1, 10),
        'say "hi".md': DAY(2024, 1, 10),
    }


def test_an_uncommitted_edit_keeps_the_last_commits_date(history):
    write(history, "a.md", "title: A, edited but not committed")
    write(history, "new.md", "title: Never committed")
    dates = freshness.CommitDates().of(str(history))
    assert dates["a.md"] == DAY(2024, 1, 10)
    assert "new.md" not in dates


def test_a_decomposed_file_name_finds_its_date(history):
    decomposed = history / unicodedata.normalize("NFD", "café.md")
    assert freshness.date_of(freshness.CommitDates().of(str(history)), str(history), str(decomposed)) == DAY(
        2024, 1, 10
    )


@pytest.mark.parametrize(
    "make",
    [
        pytest.param(lambda tmp_path: tmp_path / "plain", id="not a repository"),
        pytest.param(lambda tmp_path: new_repo(tmp_path / "empty"), id="a repository with no commits"),
        pytest.param(lambda tmp_path: tmp_path / "missing", id="a folder that is not there"),
    ],
)
def test_no_history_means_no_dates(tmp_path, make):
    folder = make(tmp_path)
    if folder.name != "missing":
        write(folder, "a.md", "title: A")
    assert freshness.history_of(str(folder)) is None
    assert freshness.CommitDates().of(str(folder)) == {}


def test_no_git_program_means_no_dates(history, tmp_path, monkeypatch):
    monkeypatch.setenv("PATH", str(tmp_path / "no-programs-here"))
    assert freshness.CommitDates().of(str(history)) == {}


def test_a_shallow_clone_dates_only_what_changed_after_its_edge(tmp_path):
    repo = new_repo(tmp_path / "repo")
    write(repo / "pages", "a.md", "title: A")
    commit(repo, "2024-01-10T09:00:00+00:00")
    write(repo / "pages", "b.md", "title: B")
    commit(repo, "2024-02-01T09:00:00+00:00")
    write(repo / "pages", "c.md", "title: C")
    commit(repo, "2024-03-05T09:00:00+00:00")
    whole = tmp_path / "whole"
    git(tmp_path, "clone", "-q", "--depth", "1", f"file://{repo}", str(tmp_path / "one"))
    git(tmp_path, "clone", "-q", "--depth", "2", f"file://{repo}", str(tmp_path / "two"))
    git(tmp_path, "clone", "-q", f"file://{repo}", str(whole))
    # Depth 1: the one commit seems to add every file; its date is no file's.
    assert freshness.CommitDates().of(str(tmp_path / "one" / "pages")) == {}
    assert freshness.CommitDates().of(str(tmp_path / "two" / "pages")) == {"c.md": DAY(2024, 3, 5)}
    assert freshness.CommitDates().of(str(whole / "pages")) == {
        "a.md": DAY(2024, 1, 10),
        "b.md": DAY(2024, 2, 1),
        "c.md": DAY(2024, 3, 5),
    }


def test_dates_are_read_once_per_commit(history, tmp_path, monkeypatch):
    """A second load reads them from memory, a new process from the build cache: git log runs
    once per commit, and a warm load runs git rev-parse alone."""
    records = PageRecords(Cache(tmp_path / "cache"))
    logs, calls = [], []
    run_git = freshness.run_git
    monkeypatch.setattr(
        freshness, "run_git", lambda root, *args: calls.append(args[0]) or run_git(root, *args)
    )
    read_dates = freshness.read_dates
    monkeypatch.setattr(freshness, "read_dates", lambda *args: logs.append(1) or read_dates(*args))
    first = freshness.CommitDates().of(str(history), records)
    assert logs == [1] and calls == ["rev-parse", "log"]
    memory = freshness.CommitDates()
    assert memory.of(str(history), records) == first  # from the build cache
    assert memory.of(str(history), records) == first  # from memory
    assert logs == [1] and calls == ["rev-parse", "log", "rev-parse", "rev-parse"]
    write(history, "a.md", "title: A, committed")
    commit(history.parent, "2024-05-01T09:00:00+00:00")
    assert memory.of(str(history), records)["a.md"] == DAY(2024, 5, 1)
    assert len(logs) == 2


def test_damaged_or_other_commits_dates_are_misses(tmp_path):
    records = PageRecords(Cache(tmp_path / "cache"))
    root, history = "/site/pages", ("a" * 40, ())
    assert records.commit_dates(root, history) is None
    records.save_commit_dates(
        root, history, {"a.md": DAY(2024, 1, 10), "bad.md": "2024-01-10", 3: DAY(2024, 1, 1)}
    )
    assert records.commit_dates(root, history) == {"a.md": DAY(2024, 1, 10)}
    assert records.commit_dates(root, ("b" * 40, ())) is None  # another commit
    assert records.commit_dates(root, ("a" * 40, ("c" * 40,))) is None  # the same, shallow
    records.cache.save("files", records.commit_dates_key(root), ["not", "dates"])
    assert records.commit_dates(root, history) is None


# -- front matter ---------------------------------------------------------------------------------


def test_updated_is_read_as_a_date(write_page, tmp_app):
    write_page("index.md", "title: Home")
    write_page("x.md", "title: X\ndate: 2024-01-10\nupdated: 2024-02-01")
    with tmp_app.test_request_context():
        page = tmp_app.extensions["flaskguide"].pages.get("x")
        assert page.meta["updated"] == DAY(2024, 2, 1)
        assert page.updated == DAY(2024, 2, 1)


@pytest.mark.parametrize(
    ("front", "message"),
    [
        (
            "title: X\nupdated: 2024-13-45",
            'pages/x.md:3: updated: "2024-13-45" is not a valid date (use YYYY-MM-DD',
        ),
        (
            "title: X\nupdated: 10 January",
            'pages/x.md:3: updated: "10 January" is not a valid date (use YYYY-MM-DD',
        ),
        ("title: X\nupdated:", "pages/x.md:3: updated: (empty) is not a valid date (use YYYY-MM-DD"),
        (
            "title: X\nupdated: 2024-01-01\ndate: 2024-02-01",
            'pages/x.md:3: updated: "2024-01-01" is before date "2024-02-01", the day the page was '
            "published: set updated to that day or later, or remove it",
        ),
    ],
    ids=["not a day", "not YYYY-MM-DD", "empty", "before the date"],
)
def test_a_bad_updated_is_named_with_its_line(write_page, run_cli, tmp_path, front, message):
    write_page("index.md", "title: Home")
    write_page("x.md", front)
    result = run_cli("build", "--out", str(tmp_path / "out"))
    assert result.exit_code == 1
    assert message in result.output
    assert "Traceback" not in result.output


# -- builds of a repository -----------------------------------------------------------------------


@pytest.fixture
def project(project_copy):
    """The project's templates and static files in a repository, with pages committed on two days."""
    new_repo(project_copy)
    pages = project_copy / "pages"
    write(pages, "index.md", "title: Home\ndescription: The home page.")
    write(pages, "first.md", "title: First\ndescription: First page.\ndate: 2024-01-10")
    write(pages, "second.md", "title: Second\ndescription: Second page.\ndate: 2024-01-10\ntags: [news]")
    write(pages, "guide/index.md", "title: Guide\ndescription: The guide.")
    write(pages, "guide/step.md", "title: Step\ndescription: A step.")
    write(
        pages, "fixed.md", "title: Fixed\ndescription: Its own date.\ndate: 2024-01-10\nupdated: 2024-02-02"
    )
    commit(project_copy, "2024-01-10T09:00:00+00:00", "pages")
    write(
        pages,
        "second.md",
        "title: Second\ndescription: Second page.\ndate: 2024-01-10\ntags: [news]",
        "More.\n",
    )
    write(pages, "guide/step.md", "title: Step\ndescription: A step.", "Better.\n")
    write(pages, "guide/index.md", "title: Guide\ndescription: The guide.", "In the menu.\n")
    write(
        pages,
        "fixed.md",
        "title: Fixed\ndescription: Its own date.\ndate: 2024-01-10\nupdated: 2024-02-02",
        "2.\n",
    )
    commit(project_copy, "2024-03-05T12:00:00+00:00", "pages")
    return project_copy


def build(site, project: Path, out: Path, cache: Path | None, **config) -> tuple:
    app = site.create_app(
        {"FLATPAGES_ROOT": str(project / "pages"), "SITE_CACHE_DIR": cache and str(cache), **config}
    )
    return site.build_site(app, out), snapshot(out)


def page_date(files: dict[str, bytes], name: str) -> str:
    html = files[name].decode()
    start = html.find('<p class="page-date">')
    return "" if start < 0 else html[start : html.index("</p>", start) + 4]


def published(day: str, label: str) -> str:
    return f'Published <time datetime="{day}">{label}</time>'


def updated(day: str, label: str) -> str:
    return f'Updated <time datetime="{day}">{label}</time>'


def test_a_commit_builds_the_same_bytes_twice_with_each_pages_date(site, project, tmp_path):
    _, first = build(site, project, tmp_path / "one", tmp_path / "cache-one")
    _, second = build(site, project, tmp_path / "two", tmp_path / "cache-two")
    assert first == second
    # Published and last changed the same day: no "Updated".
    assert (
        page_date(first, "first/index.html")
        == f'<p class="page-date">{published("2024-01-10", "10 January 2024")}</p>'
    )
    assert page_date(first, "second/index.html") == (
        f'<p class="page-date">{published("2024-01-10", "10 January 2024")}'
        f'<span aria-hidden="true"> · </span>{updated("2024-03-05", "5 March 2024")}</p>'
    )
    # No date: the last commit's day alone; the front matter's updated over the commit's.
    assert (
        page_date(first, "guide/step/index.html")
        == f'<p class="page-date">{updated("2024-03-05", "5 March 2024")}</p>'
    )
    assert (
        page_date(first, "guide/index.html")
        == f'<p class="page-date">{updated("2024-03-05", "5 March 2024")}</p>'
    )
    assert updated("2024-02-02", "2 February 2024") in page_date(first, "fixed/index.html")
    feed = first["feed.xml"].decode()
    assert "<updated>2024-03-05T00:00:00Z</updated>\n  <author>" in feed  # the feed's own: its latest change
    second_entry = feed[feed.index("<title>Second</title>") :]
    assert second_entry.index("<published>2024-01-10T00:00:00Z</published>") < second_entry.index(
        "<updated>2024-03-05T00:00:00Z</updated>"
    )


def test_a_tarball_of_the_same_files_builds_without_git_dates(site, project, tmp_path, monkeypatch):
    unpacked = tmp_path / "unpacked"
    shutil.copytree(project, unpacked, ignore=shutil.ignore_patterns(".git"))
    monkeypatch.setattr(site, "ROOT", unpacked)
    report, files = build(site, unpacked, tmp_path / "out", tmp_path / "cache")
    assert report.pages == 6
    assert (
        page_date(files, "first/index.html")
        == f'<p class="page-date">{published("2024-01-10", "10 January 2024")}</p>'
    )
    assert (
        page_date(files, "second/index.html")
        == f'<p class="page-date">{published("2024-01-10", "10 January 2024")}</p>'
    )
    assert page_date(files, "guide/step/index.html") == ""
    assert updated("2024-02-02", "2 February 2024") in page_date(files, "fixed/index.html")  # from its file


def test_a_build_without_git_says_nothing_of_it(site, project, tmp_path, monkeypatch, run_cli):
    monkeypatch.setenv("PATH", str(tmp_path / "no-programs-here"))
    result = run_cli("build", "--out", str(tmp_path / "out"), FLATPAGES_ROOT=str(project / "pages"))
    assert result.exit_code == 0, result.output
    assert any(line.startswith("Built 6 pages") for line in result.output.splitlines())
    assert "Traceback" not in result.output and "fatal" not in result.output
    assert "Updated" not in (tmp_path / "out" / "second" / "index.html").read_text("utf-8")


def test_a_commit_before_the_pages_date_is_no_update(site, project, tmp_path):
    write(project / "pages", "later.md", "title: Later\ndate: 2024-06-01")
    commit(project, "2024-05-01T09:00:00+00:00", "pages")
    _, files = build(site, project, tmp_path / "out", tmp_path / "cache")
    assert (
        page_date(files, "later/index.html")
        == f'<p class="page-date">{published("2024-06-01", "1 June 2024")}</p>'
    )


def test_a_new_commit_date_alone_rebuilds_from_the_cache_as_a_clean_build(site, project, tmp_path):
    """The last commit made again on another day: the files are the same, their dates are not
    (the section's page among them, which the menu of every page shows)."""
    cache = tmp_path / "cache"
    build(site, project, tmp_path / "out", cache)
    git(project, "commit", "-q", "--amend", "--no-edit", when="2024-07-08T09:00:00+00:00")
    report, rebuilt = build(site, project, tmp_path / "out", cache)
    _, clean = build(site, project, tmp_path / "clean", None)
    assert rebuilt == clean
    for name in ("second/index.html", "guide/index.html", "guide/step/index.html"):
        assert updated("2024-07-08", "8 July 2024") in page_date(rebuilt, name), name
    assert "<updated>2024-07-08T00:00:00Z</updated>" in rebuilt["feed.xml"].decode()
    assert 0 < report.rendered < len(clean)


def test_a_warm_build_runs_no_git_log(site, project, tmp_path, monkeypatch):
    build(site, project, tmp_path / "out", tmp_path / "cache")
    monkeypatch.setattr(freshness, "read_dates", lambda *args: pytest.fail("git log ran again"))
    _, files = build(site, project, tmp_path / "out", tmp_path / "cache")
    assert "5 March 2024" in page_date(files, "second/index.html")


# -- "Edit this page" -----------------------------------------------------------------------------

REPO = "https://github.com/you/guide"


def test_each_page_links_to_its_source(site, project, tmp_path):
    write(project / "pages", "two words.md", "title: Two words")
    _, files = build(site, project, tmp_path / "out", tmp_path / "cache", SITE_REPO_URL=REPO + "/")
    for name, source in [
        ("first/index.html", "pages/first.md"),
        ("guide/index.html", "pages/guide/index.md"),
        ("guide/step/index.html", "pages/guide/step.md"),
        ("two%20words/index.html", "pages/two%20words.md"),
    ]:
        html = files[name.replace("%20", " ")].decode()
        assert f'<a href="{REPO}/edit/main/{source}">Edit this page</a>' in html, name
    assert "Edit this page" not in files["index.html"].decode()


def test_the_branch_is_a_setting_and_no_repository_means_no_link(site, project, tmp_path):
    _, files = build(
        site, project, tmp_path / "out", tmp_path / "cache", SITE_REPO_URL=REPO, SITE_REPO_BRANCH="docs/v2"
    )
    assert f'href="{REPO}/edit/docs/v2/pages/first.md"' in files["first/index.html"].decode()
    _, files = build(site, project, tmp_path / "out", tmp_path / "cache")
    assert "Edit this page" not in files["first/index.html"].decode()


def test_pages_outside_the_project_have_no_edit_link(site, write_page, pages_dir, project_copy, tmp_path):
    write_page("index.md", "title: Home")
    write_page("x.md", "title: X")
    app = site.create_app({"FLATPAGES_ROOT": str(pages_dir), "SITE_REPO_URL": REPO})
    site.build_site(app, tmp_path / "out")
    assert "Edit this page" not in (tmp_path / "out" / "x" / "index.html").read_text("utf-8")


# -- the workflow ---------------------------------------------------------------------------------


def test_the_workflow_checks_out_the_whole_history():
    workflow = yaml.safe_load((PROJECT / ".github" / "workflows" / "pages.yml").read_text("utf-8"))
    (checkout,) = [
        step for step in workflow["jobs"]["build"]["steps"] if "actions/checkout" in step.get("uses", "")
    ]
    assert checkout["with"]["fetch-depth"] == 0
