"""The command line: ``python site.py build`` and friends, as a user runs them."""

import re
import subprocess

from conftest import PROJECT, build_command, published_urls


def test_build_prints_one_summary_line(site, runner, tmp_path):
    result = runner.invoke(site.cli, ["build", "--out", str(tmp_path / "out")])
    assert result.exit_code == 0, result.output
    lines = result.stdout.strip().splitlines()
    assert len(lines) == 1
    summary = r"Built (\d+) pages: (\d+) files written, (\d+) unchanged, (\d+) removed in [\d.]+ s into .*out \((\d+) rendered\)"
    match = re.fullmatch(summary, lines[0])
    assert match
    pages = len(published_urls(PROJECT / "pages"))
    files = sum(1 for path in (tmp_path / "out").rglob("*") if path.is_file())
    assert match.groups()[:4] == (str(pages), str(files), "0", "0")


def test_bad_page_fails_and_keeps_previous_build(site, runner, write_page, pages_dir, tmp_path):
    write_page("index.md", "title: Home")
    out = tmp_path / "out"
    config = {"FLATPAGES_ROOT": str(pages_dir)}
    assert runner.invoke(site.cli, ["build", "--out", str(out)], obj=config).exit_code == 0
    before = {path: path.read_bytes() for path in out.rglob("*") if path.is_file()}
    write_page("broken.md", "date: someday")
    write_page("also.md", "title: [unclosed")
    result = runner.invoke(site.cli, ["build", "--out", str(out)], obj=config)
    assert result.exit_code == 1
    assert 'pages/broken.md:2: date: "someday" is not a valid date' in result.output
    assert "pages/also.md:2: front matter is not valid YAML" in result.output
    assert "pages/broken.md" in result.output
    assert {path: path.read_bytes() for path in out.rglob("*") if path.is_file()} == before


def test_refuses_to_build_into_the_project(site, runner):
    result = runner.invoke(site.cli, ["build", "--out", str(PROJECT)])
    assert result.exit_code == 1
    assert "contains the project itself" in result.output


def test_site_py_runs_by_path_not_as_the_stdlib_module(tmp_path):
    result = subprocess.run(
        build_command(tmp_path),
        cwd=PROJECT,
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    assert (tmp_path / "out/index.html").is_file()


def test_a_build_for_the_local_address_warns_that_links_point_at_it(run_cli, write_page, tmp_path):
    write_page("index.md", "title: Home")
    local = run_cli("build", "--no-search", "--out", str(tmp_path / "local"))
    assert local.exit_code == 0
    assert "Warning: SITE_URL is still http://127.0.0.1:5000/" in local.stderr
    deployed = run_cli(
        "build", "--no-search", "--out", str(tmp_path / "out"), "--site-url", "https://example.org/"
    )
    assert deployed.exit_code == 0 and "Warning" not in deployed.output
