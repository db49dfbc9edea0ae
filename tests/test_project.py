"""The project's own promises: README's commands are the ones CI runs, and the code is lint-clean."""

import re
import subprocess
import sys

from conftest import PROJECT


def readme_commands() -> list[str]:
    readme = (PROJECT / "README.md").read_text("utf-8")
    first_block = re.search(r"```sh\n(.*?)```", readme, re.S).group(1)
    return [line for line in first_block.splitlines() if line and not line.startswith("#")]


def test_readme_leads_with_a_build_and_a_test_command():
    build, test = readme_commands()
    assert build.endswith("python site.py build")
    assert "pytest" in test


def test_ci_runs_readmes_test_command():
    _, test = readme_commands()
    ci_lines = (PROJECT / ".ci/run").read_text("utf-8").splitlines()
    assert test in ci_lines


def test_code_is_lint_clean():
    for command in (["check"], ["format", "--check"]):
        result = subprocess.run(
            [sys.executable, "-m", "ruff", *command, "."], cwd=PROJECT, capture_output=True, text=True
        )
        assert result.returncode == 0, result.stdout + result.stderr
