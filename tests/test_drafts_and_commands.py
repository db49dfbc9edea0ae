"""Drafts, future dates, ``new``, ``check`` and build progress, as an author meets them."""

import datetime
import re

from conftest import built_pages, snapshot

from flaskguide.check import check_output


def test_drafts_are_served_marked_but_never_built(site, run_cli, write_page, pages_dir, tmp_path):
    write_page("index.md", "title: Home")
    write_page("wip.md", "title: Work in progress\ndraft: true")
    assert run_cli("build", "--out", str(tmp_path / "out")).exit_code == 0
    assert built_pages(tmp_path / "out") == []
    client = site.serve_app({"FLATPAGES_ROOT": str(pages_dir)}).test_client()
    html = client.get("/wip/").get_data(as_text=True)
    assert "Work in progress" in html
    assert "This page is a draft" in html


def test_future_pages_are_built_only_with_future(run_cli, write_page, tmp_path):
    tomorrow = datetime.date.today() + datetime.timedelta(days=1)
    write_page("index.md", "title: Home")
    write_page("soon.md", f"title: Soon\ndate: {tomorrow}")
    write_page("past.md", "title: Past\ndate: 2020-01-01")
    assert run_cli("build", "--out", str(tmp_path / "a")).exit_code == 0
    assert built_pages(tmp_path / "a") == ["past"]
    assert run_cli("build", "--future", "--out", str(tmp_path / "b")).exit_code == 0
    assert built_pages(tmp_path / "b") == ["past", "soon"]


def test_build_summary_counts_written_unchanged_removed(run_cli, write_page, tmp_path):
    write_page("index.md", "title: Home")
    write_page("a.md", "title: A")
    gone = write_page("b.md", "title: B")
    out = tmp_path / "out"
    run_cli("build", "--out", str(out))
    before = snapshot(out)
    gone.unlink()
    write_page("a.md", "title: A changed")
    result = run_cli("build", "--out", str(out))
    after = snapshot(out)
    written = sum(1 for name, data in after.items() if before.get(name) != data)
    unchanged = len(after) - written
    removed = len(set(before) - set(after))
    assert "a/index.html" in after and after["a/index.html"] != before["a/index.html"]
    assert "b/index.html" in before and removed >= 1
    assert f"{written} files written, {unchanged} unchanged, {removed} removed" in result.stdout


def test_build_prints_plain_progress_when_not_a_terminal(run_cli, write_page, tmp_path):
    write_page("index.md", "title: Home")
    result = run_cli("build", "--out", str(tmp_path / "out"))
    progress = [line for line in result.stderr.splitlines() if line.startswith("Freezing:")]
    assert progress and progress[-1].startswith("Freezing: ")
    done, total = progress[-1].split()[1].split("/")
    assert done == total


def test_new_writes_a_valid_draft_and_refuses_to_overwrite(run_cli, write_page, pages_dir, tmp_path):
    write_page("index.md", "title: Home")
    result = run_cli("new", 'Routing: "URLs" & Views')
    assert result.exit_code == 0, result.output
    page = pages_dir / "routing-urls-views.md"
    assert 'title: "Routing: \\"URLs\\" & Views"' in page.read_text("utf-8")
    assert "pages/routing-urls-views.md" in result.output
    assert run_cli("build", "--out", str(tmp_path / "out")).exit_code == 0
    again = run_cli("new", "Routing URLs Views")
    assert again.exit_code == 1
    assert "pages/routing-urls-views.md already exists" in again.output


def test_new_in_a_folder(run_cli, pages_dir):
    assert run_cli("new", "Blueprints", "--dir", "advanced").exit_code == 0
    assert (pages_dir / "advanced/blueprints.md").is_file()


def test_new_refuses_to_leave_pages(run_cli, tmp_path):
    result = run_cli("new", "Escape", "--dir", "../..")
    assert result.exit_code == 1
    assert "leads outside pages/" in result.output
    assert not (tmp_path.parent / "escape.md").exists()


def test_check_passes_on_the_real_site(site, runner):
    result = runner.invoke(site.cli, ["check"])
    assert result.exit_code == 0, result.output
    assert "no problems" in result.output


def test_check_lists_broken_link_fragment_image_and_more(run_cli, write_page, tmp_path):
    write_page("index.md", "title: Home\ndescription: Home.", "[a](a/) [b](b/)\n")
    write_page(
        "a.md",
        "title: A\ndescription: Page a.",
        "Intro.\n\n[gone](../missing/)\n\n[to b](../b/#nowhere)\n\n![pic](../static/img/none.png)\n\n## Here\n\n"
        "[fine](#here) [fine too](../b/#there)\n",
    )
    write_page("b.md", "title: B", "## There\n")
    result = run_cli("check")
    assert result.exit_code == 1
    assert "pages/a.md:7: broken link: nothing is published at ../missing/" in result.output
    assert "pages/a.md:9: broken fragment: /b/ has no id 'nowhere' for ../b/#nowhere" in result.output
    assert "pages/a.md:11: broken image: nothing is published at ../static/img/none.png" in result.output
    assert "  pages/b.md:1: no description" in result.output  # a warning, listed
    assert "#here" not in result.output and "#there" not in result.output
    assert "3 problems found" in result.output
    strict = run_cli("check", "--strict")
    assert "4 problems found" in strict.output and "pages/b.md:1: no description" in strict.output


def test_a_page_without_a_description_is_a_warning_and_strict_fails_on_it(run_cli, write_page):
    write_page("index.md", "title: Home\ndescription: Home.", "[b](b/)\n")
    write_page("b.md", "title: B", "Text.\n")
    result = run_cli("check")
    assert result.exit_code == 0
    assert "1 warning (check --strict fails on them):\n  pages/b.md:1: no description" in result.output
    assert "no problems" in result.output
    strict = run_cli("check", "--strict")
    assert strict.exit_code == 1 and "pages/b.md:1: no description" in strict.output


def test_check_finds_pages_no_link_reaches(site, tmp_app, write_page, tmp_path):
    # The home template links every page, so cut its links to see the reachability check at work.
    write_page("index.md", "title: Home\ndescription: Home.")
    write_page("lonely.md", "title: Lonely\ndescription: Nobody links here.")
    out = tmp_path / "out"
    site.build_site(tmp_app, out)
    (out / "index.html").unlink()  # a new file: the built one is shared with the build cache
    (out / "index.html").write_text("<!doctype html><title>Home</title><h1>Home</h1>", "utf-8")
    with tmp_app.app_context():
        report = check_output(site.site_of(tmp_app), out)
    assert report.problems == ["pages/lonely.md: no link leads here from the home page"]


def test_check_lists_external_links_without_fetching(run_cli, write_page):
    write_page("index.md", "title: Home\ndescription: Home.", "[Flask](https://flask.palletsprojects.com/)\n")
    result = run_cli("check", "--external")
    assert result.exit_code == 0, result.output
    assert "pages/index.md:5: https://flask.palletsprojects.com/" in result.output


def test_check_never_touches_build(run_cli, good_build, write_page):
    out, before = good_build
    write_page("broken.md", "title: Broken\ndescription: x.", "[x](../nope/)\n")
    assert run_cli("check").exit_code == 1
    assert snapshot(out) == before


def test_build_shows_a_progress_bar_on_a_terminal(tmp_path):
    # The real site, in a cache of its own, without the search index (this is about the bar).
    import os
    import pty
    import subprocess

    from conftest import PROJECT, build_command

    leader, follower = pty.openpty()
    result = subprocess.run(
        build_command(tmp_path, "--no-search"),
        cwd=PROJECT,
        stdout=subprocess.PIPE,
        stderr=follower,
        check=False,
    )
    os.close(follower)
    shown = os.read(leader, 65536).decode()
    os.close(leader)
    assert result.returncode == 0
    pages_and_files = re.findall(r"Freezing  \[[#-]+\]  (\d+)/(\d+)", shown)
    assert len(pages_and_files) > 1
    assert pages_and_files[-1][0] == pages_and_files[-1][1]  # the bar reaches its end
    assert "Freezing:" not in shown  # the bar, not the plain lines
    assert result.stdout.decode().startswith("Built ")
