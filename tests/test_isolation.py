"""The suite's own promise: a test run that changes the project's output, cache or sources fails."""

import pytest


@pytest.mark.parametrize(
    ("test", "exit_code"),
    [
        ("def test_reads():\n    assert Path('static/site.css').read_text() == 'body {}'\n", 0),
        ("def test_writes_static():\n    Path('static/leak.txt').write_text('x')\n", 1),
        ("def test_edits_a_template():\n    Path('templates/page.html').write_text('<p>changed</p>')\n", 1),
        ("def test_makes_a_cache():\n    Path('.cache/build').mkdir(parents=True)\n", 1),
        ("def test_builds():\n    Path('build').mkdir()\n    Path('build/index.html').touch()\n", 1),
    ],
)
def test_a_run_that_changes_the_project_fails(pytester, test, exit_code):
    (pytester.path / "static").mkdir()
    (pytester.path / "static/site.css").write_text("body {}")
    (pytester.path / "templates").mkdir()
    (pytester.path / "templates/page.html").write_text("<p>page</p>")
    pytester.makepyfile(test_inner_run="from pathlib import Path\n\n\n" + test)
    result = pytester.runpytest("-p", "untouched")
    assert result.ret == exit_code
    assert ("The suite changed the project's own" in result.stdout.str()) == bool(exit_code)
