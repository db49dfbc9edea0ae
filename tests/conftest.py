"""Fixtures. site.py is loaded by path: ``import site`` would find the standard library's module."""

import importlib.util
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
def tmp_app(pages_dir, tmp_path):
    """An app over the pages written with ``write_page``, with a build cache of its own."""
    config = {"TESTING": True, "FLATPAGES_ROOT": str(pages_dir), "SITE_CACHE_DIR": str(tmp_path / "cache")}
    return site_module.create_app(config)


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
