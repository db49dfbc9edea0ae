"""Fixtures. site.py is loaded by path: ``import site`` would find the standard library's module.

Every test runs in ``tmp_path``: the build cache of any app a test makes is there, and the search
index is off except in tests marked ``search``. The session fails if the suite changed the
project's own ``.cache/``, ``build/``, ``templates/`` or ``static/`` (the plugin in untouched.py).
"""

import importlib.util
import shutil
import sys
import textwrap
from pathlib import Path

import pytest
from click.testing import CliRunner

PROJECT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(PROJECT))  # site.py imports the flaskguide package beside it


def load_site_module():
    spec = importlib.util.spec_from_file_location("flask_guide_site", PROJECT / "site.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


site_module = load_site_module()

# untouched: the run fails if it changed the project's .cache/, build/, templates/ or static/.
pytest_plugins = ["pytester", "untouched"]


@pytest.fixture(autouse=True)
def isolated(request, tmp_path, monkeypatch):
    """Any app a test makes keeps its cache in ``tmp_path``, and builds no search index unless
    the test is marked ``search``."""
    monkeypatch.setitem(site_module.DEFAULT_CONFIG, "SITE_CACHE_DIR", str(tmp_path / "default-cache"))
    monkeypatch.setitem(
        site_module.DEFAULT_CONFIG, "SITE_SEARCH", request.node.get_closest_marker("search") is not None
    )


@pytest.fixture
def project_copy(tmp_path, monkeypatch):
    """The project's templates/ and static/ copied into ``tmp_path``, which apps take as their root."""
    root = tmp_path / "project"
    for folder in ("templates", "static"):
        shutil.copytree(PROJECT / folder, root / folder)
    monkeypatch.setattr(site_module, "ROOT", root)
    return root


@pytest.fixture
def site():
    return site_module


@pytest.fixture
def app(tmp_path):
    """The real site, with a build cache of its own."""
    return site_module.create_app({"TESTING": True, "SITE_CACHE_DIR": str(tmp_path / "cache")})


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def runner():
    return CliRunner()


@pytest.fixture
def pages_dir(tmp_path):
    folder = tmp_path / "pages"
    folder.mkdir()
    return folder


@pytest.fixture
def write_page(pages_dir):
    """Write ``pages/<name>`` with the given front matter lines and body."""

    def write(name: str, front: str = "title: A page", body: str = "Some text.\n") -> Path:
        path = pages_dir / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(f"---\n{textwrap.dedent(front).strip()}\n---\n{textwrap.dedent(body)}", "utf-8")
        return path

    return write


@pytest.fixture
def serve_client(site, pages_dir, write_page, project_copy):
    """``serve`` over a copy of the templates and static files, which the tests edit."""
    write_page("index.md", "title: Home")
    app = site.serve_app({"FLATPAGES_ROOT": str(pages_dir), "SITE_LIVE_RELOAD_INTERVAL": 0.02})
    yield app.test_client()
    site.livereload.watcher_of(app).stop()


@pytest.fixture
def tmp_app(pages_dir, tmp_path):
    """An app over the pages written with ``write_page``, with a build cache of its own."""
    config = {"TESTING": True, "FLATPAGES_ROOT": str(pages_dir), "SITE_CACHE_DIR": str(tmp_path / "cache")}
    return site_module.create_app(config)


def make_app(site, pages_dir: Path, tmp_path: Path, **config):
    """An app over ``pages_dir`` with a build cache in ``tmp_path``, and ``config`` on top."""
    return site.create_app(
        {"FLATPAGES_ROOT": str(pages_dir), "SITE_CACHE_DIR": str(tmp_path / "cache"), **config}
    )


def snapshot(folder: Path) -> dict[str, bytes]:
    """Every file under ``folder`` with its bytes, to prove a failed build changed nothing."""
    return {str(path.relative_to(folder)): path.read_bytes() for path in folder.rglob("*") if path.is_file()}


@pytest.fixture
def run_cli(runner, pages_dir, tmp_path):
    """Run ``python site.py ARGS`` over the pages written with ``write_page``, with a cache of its own."""

    def run(*args: str, **config):
        obj = {"FLATPAGES_ROOT": str(pages_dir), "SITE_CACHE_DIR": str(tmp_path / "cache"), **config}
        return runner.invoke(site_module.cli, list(args), obj=obj)

    return run


@pytest.fixture
def good_build(run_cli, write_page, tmp_path):
    """A site that built once into ``out``; returns the folder and its files as built."""
    write_page("index.md", "title: Home\ndescription: The home page.")
    write_page("good.md", "title: Good\ndescription: A good page.")
    out = tmp_path / "out"
    result = run_cli("build", "--out", str(out))
    assert result.exit_code == 0, result.output
    return out, snapshot(out)


# Folders the app itself publishes, whatever the pages are.
SITE_FOLDERS = {"tags", "search"}


def built_pages(out: Path) -> list[str]:
    """The page folders a build wrote (the URL paths of its pages, home excluded)."""
    folders = {
        path.parent.relative_to(out).as_posix() for path in out.rglob("index.html") if path.parent != out
    }
    return sorted(folder for folder in folders if folder.split("/")[0] not in SITE_FOLDERS)


def published_urls(pages_dir: Path) -> list[str]:
    """The URL of every page file a build publishes (no drafts, nothing dated after today), worked
    out from the files alone, as an author would."""
    import datetime

    import yaml

    urls = []
    for path in sorted(pages_dir.rglob("*.md")):
        if any(part.startswith((".", "#")) for part in path.relative_to(pages_dir).parts):
            continue  # hidden files and editors' leftovers
        front = yaml.safe_load(path.read_text("utf-8").split("---\n")[1]) or {}
        dated = str(front.get("date", "0000-00-00"))
        if front.get("draft") or dated > datetime.date.today().isoformat():
            continue
        parts = path.relative_to(pages_dir).with_suffix("").parts
        folders = parts[:-1] if parts[-1] == "index" else parts
        urls.append("/" + "".join(f"{part}/" for part in folders))
    return urls


def build_command(tmp_path: Path, *options: str) -> list[str]:
    """``python site.py build`` of the real site into ``tmp_path/out``, with a cache there too."""
    return [
        sys.executable,
        "site.py",
        "build",
        "--out",
        str(tmp_path / "out"),
        "--cache",
        str(tmp_path / "cache"),
        *options,
    ]
