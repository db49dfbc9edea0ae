"""The GitHub Actions workflow: valid, clean under zizmor, and it tests, builds, checks (under a subpath
too, on pull requests) and deploys as promised, and requests the external links once a week.

Both tools run offline: check-jsonschema ships GitHub's workflow schema, zizmor --offline skips the
audits that would ask GitHub.
"""

import re
import subprocess
import sys
import tomllib
from pathlib import Path
from types import SimpleNamespace

import pytest
import yaml
from conftest import PROJECT
from packaging.specifiers import SpecifierSet
from packaging.version import Version

WORKFLOW = PROJECT / ".github" / "workflows" / "pages.yml"
BIN = Path(sys.executable).parent

EVENTS = {
    "pull_request": "refs/pull/1/merge",
    "push": "refs/heads/main",
    "workflow_dispatch": "refs/heads/main",
    "schedule": "refs/heads/main",
}
DEPLOYING = ["push", "workflow_dispatch"]
SUBPATH = "http://127.0.0.1/sub/"


def run_tool(*command: str) -> subprocess.CompletedProcess:
    return subprocess.run(command, cwd=PROJECT, capture_output=True, text=True, timeout=120)


def readme_test_command() -> str:
    readme = (PROJECT / "README.md").read_text("utf-8")
    first_block = re.search(r"```sh\n(.*?)```", readme, re.S).group(1)
    _, test = [line for line in first_block.splitlines() if line.strip() and not line.startswith("#")]
    return test


@pytest.fixture(scope="module")
def workflow() -> dict:
    return yaml.safe_load(WORKFLOW.read_text("utf-8"))


@pytest.fixture(scope="module")
def steps(workflow) -> list[dict]:
    return workflow["jobs"]["build"]["steps"]


def runs_on(condition: str | bool | None, event: str) -> bool:
    """Whether an ``if:`` over github.event_name and github.ref holds for ``event``."""
    if condition is None:
        return True
    if isinstance(condition, bool):
        return condition
    return bool(evaluate(condition, event))


def evaluate(condition: str, event: str) -> object:
    """The value of an expression over github.event_name and github.ref for ``event``: ``&&`` and
    ``||`` give one of their operands, as in Python."""
    expression = condition.strip().removeprefix("${{").removesuffix("}}")
    unquoted = re.sub(r"'[^']*'", "''", expression)
    leftover = re.sub(r"github\.event_name|github\.ref|''|==|!=|&&|\|\||!|[()\s]", "", unquoted)
    assert not leftover, f"the test cannot evaluate {condition!r} (found {leftover!r})"
    python = expression.replace("&&", " and ").replace("||", " or ")
    python = re.sub(r"!(?!=)", " not ", python)
    github = SimpleNamespace(event_name=event, ref=EVENTS[event])
    return eval(python, {"__builtins__": {}}, {"github": github})


def all_steps(workflow: dict) -> list[dict]:
    return [step for job in workflow["jobs"].values() for step in job.get("steps", [])]


def steps_using(steps: list[dict], action: str) -> list[dict]:
    return [step for step in steps if step.get("uses", "").split("@")[0] == action]


def steps_running(steps: list[dict], text: str) -> list[dict]:
    return [step for step in steps if text in step.get("run", "")]


def test_workflow_matches_githubs_schema():
    result = run_tool(
        sys.executable,
        "-m",
        "check_jsonschema",
        "--builtin-schema",
        "vendor.github-workflows",
        str(WORKFLOW),
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_zizmor_finds_nothing():
    zizmor = BIN / "zizmor"
    assert zizmor.exists(), f"{zizmor} is missing: pip install zizmor"
    result = run_tool(str(zizmor), "--offline", "--no-progress", "--color", "never", str(WORKFLOW))
    # 0: no findings; 1: zizmor itself failed; 10 and up: findings, by highest severity.
    assert result.returncode == 0, result.stdout + result.stderr


def test_triggers_and_top_level_permissions(workflow):
    triggers = workflow.get("on", workflow.get(True))  # YAML 1.1 reads a bare `on` as true
    assert set(triggers) == {"push", "pull_request", "workflow_dispatch", "schedule"}
    assert triggers["push"]["branches"] == ["main"]
    (schedule,) = triggers["schedule"]
    _minute, _hour, day, month, weekday = schedule["cron"].split()
    assert (day, month) == ("*", "*") and weekday.isdigit(), schedule  # once a week
    assert workflow["permissions"] == {"contents": "read"}


def test_every_action_is_pinned_to_a_commit_with_its_version():
    uses_lines = [line for line in WORKFLOW.read_text("utf-8").splitlines() if "uses:" in line]
    assert uses_lines
    for line in uses_lines:
        assert re.search(r"uses: [\w.-]+/[\w.-]+@[0-9a-f]{40} # v\d+(\.\d+)*$", line), line


def test_ci_runs_readmes_test_command_with_ci_set(steps):
    test = readme_test_command()
    (step,) = steps_running(steps, test)
    assert step["env"]["CI"] == "true"


def test_ci_installs_nothing_the_runner_has(workflow, steps):
    """GitHub's Ubuntu image ships Chromium (/usr/bin/chromium) and nginx: no step installs either."""
    for step in all_steps(workflow):
        words = set(re.split(r"[\s;&|]+", step.get("run", "")))
        assert not {"apt", "apt-get", "snap"} & words, step
        assert not any(word.startswith(("chromium", "nginx")) for word in words), step
    (test,) = steps_running(steps, readme_test_command())
    # The tests find the runner's browser themselves; an explicit CHROMIUM must not name a snap's.
    assert "chromium-browser" not in test["env"].get("CHROMIUM", "")


def test_ci_uses_the_python_the_project_is_tested_with(workflow, steps):
    """3.11: the version README names, the lowest requires-python admits, so CI tests the floor."""
    (setup,) = steps_using(steps, "actions/setup-python")
    version = setup["with"]["python-version"]
    assert {
        step["with"]["python-version"] for step in steps_using(all_steps(workflow), "actions/setup-python")
    } == {version}
    assert version == "3.11"  # a string: YAML reads a bare 3.10 as 3.1
    readme = (PROJECT / "README.md").read_text("utf-8")
    assert f"Python {version}" in readme
    requires = tomllib.loads((PROJECT / "pyproject.toml").read_text("utf-8"))["project"]["requires-python"]
    assert Version(version) in SpecifierSet(requires), requires
    assert Version(f"{Version(version).major}.{Version(version).minor - 1}") not in SpecifierSet(requires)


def test_checkout_keeps_no_credentials(workflow):
    checkouts = steps_using(all_steps(workflow), "actions/checkout")
    assert len(checkouts) == 2
    for checkout in checkouts:
        assert checkout["with"]["persist-credentials"] is False


def test_build_cache_covers_dot_cache_before_the_builds(steps):
    (cache,) = steps_using(steps, "actions/cache")
    assert ".cache" in cache["with"]["path"]
    assert "hashFiles(" in cache["with"]["key"]
    assert cache["with"]["restore-keys"].strip()
    first_build = min(steps.index(step) for step in steps_running(steps, "site.py build"))
    assert steps.index(cache) < first_build


def checks_on(steps: list[dict], event: str) -> list[dict]:
    return [step for step in steps_running(steps, "site.py check") if runs_on(step.get("if"), event)]


@pytest.mark.parametrize("event", EVENTS)
def test_exactly_one_build_runs_then_check(workflow, steps, event):
    if not runs_on(workflow["jobs"]["build"].get("if"), event):
        assert event == "schedule"  # the weekly run checks the external links alone
        return
    builds = [step for step in steps_running(steps, "site.py build") if runs_on(step.get("if"), event)]
    assert len(builds) == 1, builds
    (build,) = builds
    if event in DEPLOYING:
        assert '--site-url "${SITE_URL}"' in build["run"]
        assert build["env"]["SITE_URL"] == "${{ steps.pages.outputs.base_url }}"
    else:
        assert "--site-url" not in build["run"]
    check = checks_on(steps, event)[0]
    assert check["run"] == ".venv/bin/python site.py check"  # the site as built: SITE_URL from env
    assert steps.index(build) < steps.index(check)


@pytest.mark.parametrize("event", EVENTS)
def test_pull_requests_also_check_under_a_subpath(workflow, steps, event):
    """check builds the site itself, for the --site-url it is given: a link that forgets the base
    path works at the root and breaks under /sub/."""
    if not runs_on(workflow["jobs"]["build"].get("if"), event):
        return
    under_subpath = [step for step in checks_on(steps, event) if "--site-url" in step["run"]]
    if event != "pull_request":
        assert under_subpath == []
        return
    (step,) = under_subpath
    assert step["run"] == f'.venv/bin/python site.py check --site-url "{SUBPATH}"'
    assert "--fetch" not in step["run"]


@pytest.mark.parametrize("event", EVENTS)
def test_external_links_are_requested_weekly_and_only_then(workflow, event):
    links = workflow["jobs"]["links"]
    assert runs_on(links.get("if"), event) == (event == "schedule")
    assert links["permissions"] == {"contents": "read"}
    assert "needs" not in links and "environment" not in links
    (fetch,) = steps_running(links["steps"], "site.py check --fetch")
    assert fetch["run"].startswith("python3 -m venv .venv && .venv/bin/pip install . && ")
    assert not steps_using(links["steps"], "actions/upload-pages-artifact")
    for name, job in workflow["jobs"].items():
        if name != "links":
            assert "--fetch" not in str(job), name  # never in a build, a test run or a deploy


def test_no_expression_is_written_into_a_run_script(workflow):
    for step in all_steps(workflow):
        assert "${{" not in step.get("run", ""), step


@pytest.mark.parametrize("event", EVENTS)
def test_pages_steps_run_only_for_deploys(workflow, steps, event):
    (configure,) = steps_using(steps, "actions/configure-pages")
    (upload,) = steps_using(steps, "actions/upload-pages-artifact")
    assert configure["id"] == "pages"
    assert upload["with"]["path"].rstrip("/") == "build"
    for check in steps_running(steps, "site.py check"):
        assert steps.index(check) < steps.index(upload)
    job_runs = runs_on(workflow["jobs"]["build"].get("if"), event)
    for step in (configure, upload):
        assert (job_runs and runs_on(step.get("if"), event)) == (event in DEPLOYING), step


@pytest.mark.parametrize("event", EVENTS)
def test_deploy_job_runs_only_for_deploys(workflow, event):
    deploy = workflow["jobs"]["deploy"]
    assert deploy["needs"] in ("build", ["build"])
    assert runs_on(deploy.get("if"), event) == (event in DEPLOYING)
    assert deploy["permissions"] == {"pages": "write", "id-token": "write"}
    assert deploy["environment"]["name"] == "github-pages"
    (step,) = steps_using(deploy["steps"], "actions/deploy-pages")
    assert deploy["environment"]["url"] == f"${{{{ steps.{step['id']}.outputs.page_url }}}}"


def test_deploys_are_never_cancelled(workflow):
    concurrency = workflow["concurrency"]
    assert "pages" in concurrency["group"]
    cancel = concurrency["cancel-in-progress"]
    assert cancel is False or cancel == "${{ github.event_name == 'pull_request' }}"


def test_the_weekly_check_never_waits_in_the_deploys_group(workflow):
    """A run pending in a group cancels the run pending before it: a weekly run in the deploys'
    group could cancel a deploy."""
    prefix, _, expression = workflow["concurrency"]["group"].partition("${{")
    groups = {event: prefix + evaluate(expression, event) for event in EVENTS}
    assert groups["push"] == groups["workflow_dispatch"] == "pages-deploy"
    assert groups["pull_request"] == "pages-" + EVENTS["pull_request"]
    assert groups["schedule"] not in {groups[event] for event in EVENTS if event != "schedule"}


def test_screenshots_are_uploaded_even_when_the_tests_fail(steps):
    """The browser tests save every page's screenshots into $SCREENSHOTS; the folder is uploaded
    after them, whatever they gave, and git ignores it."""
    (test,) = steps_running(steps, readme_test_command())
    folder = test["env"]["SCREENSHOTS"].strip("/")
    (upload,) = steps_using(steps, "actions/upload-artifact")
    assert upload["if"] == "always()"
    assert upload["with"]["path"].strip("/") == folder
    assert steps.index(test) < steps.index(upload)
    assert f"/{folder}/" in (PROJECT / ".gitignore").read_text("utf-8").splitlines()
