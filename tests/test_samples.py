"""Every sample of the guide runs: each page's captioned code blocks are written into ``tmp_path`` as
one project, its app is imported and every route requested with Flask's test client, its
``flask --app NAME run`` lines are run for real on a free port, its install lines name packages
installed here, and the Flask version the guide says it was checked with is the one installed.

The harness (``samples.py``) is tested first, on a page of its own and on broken copies of it, so
a sample that breaks is known to fail the tests.
"""

import importlib.metadata
import os
import signal
import sys
import time
import tomllib

import pytest
import samples
from conftest import PROJECT
from samples import Block, Command

PAGES = PROJECT / "pages"


def page_files() -> list:
    return sorted(
        path
        for path in PAGES.rglob("*.md")
        if not any(part.startswith((".", "#")) for part in path.relative_to(PAGES).parts)
    )


def page_id(path) -> str:
    return path.relative_to(PAGES).as_posix()


def project_of(path) -> samples.Project:
    return samples.collect(path.read_text("utf-8"), path.relative_to(PROJECT).as_posix())


ALL_PAGES = page_files()
SAMPLE_PAGES = [path for path in ALL_PAGES if project_of(path).files]
RUN_PAGES = [path for path in SAMPLE_PAGES if project_of(path).runs]


# --- The fence parser ------------------------------------------------------------------------

FENCES = [
    ("plain", '```python title="hello.py"\nprint(1)\n```\n', [("python", "hello.py", "print(1)\n", 1)]),
    ("untitled", "Text.\n\n```python\nx = 1\n```\n", [("python", None, "x = 1\n", 3)]),
    ("no language", "```\nplain\n```\n", [("", None, "plain\n", 1)]),
    (
        "other attributes",
        '```python linenums="1" hl_lines="2" title="app.py"\na\nb\n```\n',
        [("python", "app.py", "a\nb\n", 1)],
    ),
    (
        "single quotes",
        "```html title='templates/base.html'\n<p>\n```\n",
        [("html", "templates/base.html", "<p>\n", 1)],
    ),
    ("brace form", '```{.python title="x.py" linenums="1"}\npass\n```\n', [("python", "x.py", "pass\n", 1)]),
    (
        "tildes",
        '~~~css title="static/style.css"\nbody {}\n~~~\n',
        [("css", "static/style.css", "body {}\n", 1)],
    ),
    ("tildes allow backticks", "~~~ python `x`\ny\n~~~\n", [("python", None, "y\n", 1)]),
    ("backticks in a backtick info string are no fence", "``` a ` b\ncode\n", []),
    (
        "indented in a list",
        '1. Write it:\n\n    ```python title="hello.py"\n    def f():\n        return 1\n    ```\n',
        [("python", "hello.py", "def f():\n    return 1\n", 3)],
    ),
    (
        "in a callout, a blank line kept",
        '!!! tip "T"\n    ```python title="a.py"\n    a = 1\n\n    b = 2\n    ```\n',
        [("python", "a.py", "a = 1\n\nb = 2\n", 2)],
    ),
    (
        "front matter first, lines counted from the file's top",
        '---\ntitle: "```python"\n---\nText.\n\n```python title="a.py"\nx\n```\n',
        [("python", "a.py", "x\n", 6)],
    ),
    (
        "a longer fence holds a shorter one",
        '````markdown\n```python title="inner.py"\nx\n```\n````\n',
        [("markdown", None, '```python title="inner.py"\nx\n```\n', 1)],
    ),
    (
        "a shorter closing run does not close",
        "````text\na\n```\nb\n````\n",
        [("text", None, "a\n```\nb\n", 1)],
    ),
    ("unclosed runs to the end", '```python title="a.py"\nx\ny\n', [("python", "a.py", "x\ny\n", 1)]),
    (
        "a closing fence may carry spaces",
        "```console\n$ ls\n```   \nafter\n",
        [("console", None, "$ ls\n", 1)],
    ),
    (
        "two blocks, line numbers",
        '```python title="a.py"\n1\n```\n\n~~~html title="templates/t.html"\n2\n~~~\n',
        [("python", "a.py", "1\n", 1), ("html", "templates/t.html", "2\n", 5)],
    ),
    (
        "tabs are four spaces",
        '-\tx\n\n\t```python title="t.py"\n\tpass\n\t```\n',
        [("python", "t.py", "pass\n", 3)],
    ),
]


@pytest.mark.parametrize(
    ("text", "expected"), [case[1:] for case in FENCES], ids=[case[0] for case in FENCES]
)
def test_parse_fences(text, expected):
    assert samples.parse_fences(text) == [Block(*block) for block in expected]


INFO = [
    ("python", ("python", {})),
    ('python title="a.py"', ("python", {"title": "a.py"})),
    ('title="a.py" python', ("python", {"title": "a.py"})),
    ("{.html title='t.html' linenums=\"1\"}", ("html", {"title": "t.html", "linenums": "1"})),
    ('{ .python #id title="x y.py" }', ("python", {"title": "x y.py"})),
    ("console hl_lines=3", ("console", {"hl_lines": "3"})),
    ("", ("", {})),
]


@pytest.mark.parametrize(("info", "expected"), INFO)
def test_parse_info(info, expected):
    assert samples.parse_info(info) == expected


# --- Commands --------------------------------------------------------------------------------

KNOWN_COMMANDS = [
    ("python3 -m venv .venv", ("venv", (".venv",))),
    ("python -m venv venv", ("venv", ("venv",))),
    ("py -m venv .venv", ("venv", (".venv",))),
    (". .venv/bin/activate", ("activate", ())),
    ("source .venv/bin/activate", ("activate", ())),
    (".venv\\Scripts\\activate", ("activate", ())),
    (".venv\\Scripts\\Activate.ps1", ("activate", ())),
    ("deactivate", ("deactivate", ())),
    ("python -m pip install flask", ("install", ("flask",))),
    ("python3 -m pip install --upgrade pip", ("install", ("pip",))),
    ("pip install Flask", ("install", ("Flask",))),
    ("pip3 install flask 'flask>=3'", ("install", ("flask", "flask>=3"))),
    ("flask --app hello run", ("run", ("--app", "hello", "run"))),
    ("flask --app hello run --debug", ("run", ("--app", "hello", "run", "--debug"))),
    ("flask --app hello --debug run", ("run", ("--app", "hello", "--debug", "run"))),
    ("flask --app=hello:create_app() run", ("run", ("--app=hello:create_app()", "run"))),
    ("cd hello", ("cd", ("hello",))),
    ("python3 --version", ("version", ("python3",))),
    ("py --version", ("version", ("py",))),
    ("flask --version", ("version", ("flask",))),
    ("cd ..", ("cd", ("..",))),
    ("mkdir hello", ("mkdir", ("hello",))),
    ("mkdir -p hello/templates hello/static", ("mkdir", ("hello/templates", "hello/static"))),
]


@pytest.mark.parametrize(("text", "expected"), KNOWN_COMMANDS)
def test_classify_known_forms(text, expected):
    assert samples.classify(text) == expected


UNKNOWN_COMMANDS = [
    ("python hello.py", "no form the tests know"),
    ("flask run", "without --app"),
    ("flask --help", "without --app"),
    ("python3 --help", "no form the tests know"),
    ("flask --app hello run --port 8000", "no flask command"),
    ("flask --app hello routes", "no flask command"),
    ("pip install", "installs nothing"),
    ("pip install -r requirements.txt", "option"),
    ("pip install 'fl ask'", "no valid package"),
    ("pip install 'flask @ https://example.com/f.whl'", "URL"),
    ("curl http://127.0.0.1:5000/", "no form the tests know"),
    ("rm -rf /", "no form the tests know"),
    ("mkdir", "no form the tests know"),
    ("cd /etc", "no form the tests know"),
    ("echo 'unclosed", "cannot be split"),
]


@pytest.mark.parametrize(("text", "message"), UNKNOWN_COMMANDS)
def test_classify_refuses_other_forms(text, message):
    with pytest.raises(ValueError, match=message):
        samples.classify(text)


def test_console_commands_lines_and_output():
    block = Block(
        "console",
        None,
        "$ mkdir hello && cd hello\n(output)\n$ pip install \\\n    flask\n> .venv\\Scripts\\activate\n$ python hi.py\n",
        10,
    )
    commands, problems = samples.console_commands(block)
    assert commands == [
        Command(11, "mkdir hello", "mkdir", ("hello",)),
        Command(11, "cd hello", "cd", ("hello",)),
        Command(13, "pip install flask", "install", ("flask",)),
        Command(15, ".venv\\Scripts\\activate", "activate", ()),
    ]
    assert len(problems) == 1 and problems[0].startswith("16: `python hi.py`")


URLS = [
    ("Open http://127.0.0.1:5000/ now.", ["/"]),
    ("Go to http://127.0.0.1:5000.", ["/"]),
    (
        "<http://127.0.0.1:5000/hello/world>, then http://127.0.0.1:5000/api/notes.",
        ["/hello/world", "/api/notes"],
    ),
    ("[the page](http://127.0.0.1:5000/hello) and `http://127.0.0.1:5000/hello`", ["/hello"]),
    ("http://localhost:5000/ and http://127.0.0.1:8000/", []),
]


@pytest.mark.parametrize(("text", "expected"), URLS)
def test_local_urls(text, expected):
    assert samples.local_urls(text) == expected


CHECKED = [
    ("These pages were checked with Flask 3.1 and Python 3.11.", [("3.1", "3.11")]),
    ("Checked with Flask 3.1.2 and\nPython 3.11 on Linux.", [("3.1", "3.11")]),
    ("checked with flask 3 and python 3.11", []),
    ("Flask 3.1 and Python 3.11", []),
]


@pytest.mark.parametrize(("text", "expected"), CHECKED)
def test_checked_with(text, expected):
    assert samples.checked_with(text) == expected


SOURCE_PROBLEMS = [
    ("a shell block", "```bash\n$ pip install flask\n```\n", "pages/p.md:1: a ```bash block"),
    ("no language", '```title="a.py"\nx\n```\n', "pages/p.md:1: the block captioned 'a.py' has no language"),
    ("a path outside", '```python title="../a.py"\nx\n```\n', "is no path inside the project folder"),
    ("an absolute path", '```python title="/etc/a.py"\nx\n```\n', "is no path inside the project folder"),
    ("an unknown line", "Text.\n\n```console\n$ python hello.py\n```\n", "pages/p.md:4: `python hello.py`"),
    (
        "a package not installed",
        "```console\n$ pip install surely-not-installed-pkg\n```\n",
        "is not installed",
    ),
    ("a version not installed", "```console\n$ pip install 'flask<1'\n```\n", "is installed, not <1"),
    ("a run line, no files", "```console\n$ flask --app hello run\n```\nhttp://127.0.0.1:5000/\n", "no file"),
    (
        "a run line, no URL",
        '```python title="hello.py"\n```\n```console\n$ flask --app hello run\n```\n',
        "no http",
    ),
]


@pytest.mark.parametrize(
    ("text", "message"), [case[1:] for case in SOURCE_PROBLEMS], ids=[c[0] for c in SOURCE_PROBLEMS]
)
def test_collect_reports_source_problems(text, message):
    problems = samples.collect(text, "pages/p.md").problems
    assert any(message in problem for problem in problems), problems


def test_collect_a_later_block_replaces_an_earlier():
    text = '```python title="a.py"\nold\n```\n\n```python title="./a.py"\nnew\n```\n```html title="t/b.html"\nb\n```\n'
    assert samples.collect(text, "p.md").files == {"a.py": "new\n", "t/b.html": "b\n"}


# --- The harness, on a page of its own ----------------------------------------------------------

FLASK_VERSION = ".".join(importlib.metadata.version("flask").split(".")[:2])

GOOD_PAGE = f"""---
title: A first app
---

Checked with Flask {FLASK_VERSION} and Python 3.11.

```python title="hello.py" linenums="1"
from flask import Flask, jsonify, redirect, render_template, request, url_for

app = Flask(__name__)
notes = []


@app.route("/")
def index():
    return render_template("index.html", notes=notes)


@app.route("/hello/<name>")
def hello(name):
    return render_template("hello.html", name=name)


@app.post("/notes")
def add_note():
    notes.append(request.form["text"])
    return redirect(url_for("index"))


@app.route("/api/notes")
def api_notes():
    return jsonify(notes=notes)
```

1. The layout every page shares:

    ~~~html title="templates/base.html"
    <!doctype html>
    <link rel="stylesheet" href="{{{{ url_for('static', filename='style.css') }}}}">
    <main>{{% block content %}}{{% endblock %}}</main>
    ~~~

2. The pages:

    ```{{.html title="templates/index.html"}}
    {{% extends "base.html" %}}
    {{% block content %}}
    <form method="post" action="{{{{ url_for('add_note') }}}}">
      <input name="text"> <button>Add</button>
    </form>
    <a href="{{{{ url_for('hello', name='you') }}}}">Say hello</a>
    {{% endblock %}}
    ```

    ```html title="templates/hello.html"
    {{% extends "base.html" %}}
    {{% block content %}}Hello, {{{{ name }}}}!{{% endblock %}}
    ```

```css title="static/style.css"
body {{ font-family: sans-serif; }}
```

```console
$ mkdir notes && cd notes
$ python3 -m venv .venv
$ . .venv/bin/activate
$ python -m pip install flask
$ flask --app hello run --debug
 * Running on http://127.0.0.1:5000
```

Open http://127.0.0.1:5000/ and http://127.0.0.1:5000/hello/world.
"""


def fixture_project(*replacements: tuple[str, str]) -> samples.Project:
    text = GOOD_PAGE
    for old, new in replacements:
        assert old in text, old
        text = text.replace(old, new)
    return samples.collect(text, "pages/first-app.md")


def test_harness_reads_the_fixture_page():
    project = fixture_project()
    assert project.problems == []
    assert sorted(project.files) == [
        "hello.py",
        "static/style.css",
        "templates/base.html",
        "templates/hello.html",
        "templates/index.html",
    ]
    assert project.files["templates/hello.html"].startswith("{% extends")
    assert [command.kind for command in project.commands] == [
        "mkdir",
        "cd",
        "venv",
        "activate",
        "install",
        "run",
    ]
    assert project.urls == ["/", "/hello/world"]
    assert samples.checked_with(GOOD_PAGE) == [(FLASK_VERSION, "3.11")]


def test_harness_passes_a_good_sample(tmp_path):
    report = samples.exercise(fixture_project(), tmp_path / "project")
    assert report.problems == []
    assert report.forms_posted == 1 and report.json_responses >= 1
    assert report.requests.count("GET /") == 2, "the page the form redirects to is loaded again"
    assert {"GET /", "GET /hello/world", "POST /notes", "GET /static/style.css"} <= set(report.requests), (
        report.requests
    )
    assert "hello" not in sys.modules, "the sample's module stays behind"


BROKEN = [
    (
        "a page that breaks once a form is posted",
        (
            "    {% block content %}\n    <form",
            "    {% block content %}\n    {% for note in notes %}{{ note.upper(1) }}{% endfor %}\n    <form",
        ),
        "pages/first-app.md: GET / raised TypeError",
    ),
    (
        "a template that is missing",
        ('    ~~~html title="templates/base.html"', '    ~~~html title="templates/layout.html"'),
        "pages/first-app.md: GET / raised jinja2.exceptions.TemplateNotFound: base.html",
    ),
    (
        "a form whose field the view does not read",
        ('<input name="text">', '<input name="note">'),
        "pages/first-app.md: POST /notes (the form on /, with note='test') answered 400 BAD REQUEST",
    ),
    (
        "a view that raises",
        ("return jsonify(notes=notes)", "return jsonify(notes=notes[3])"),
        "pages/first-app.md: GET /api/notes raised IndexError: list index out of range (at hello.py:25)",
    ),
    (
        "JSON that does not parse",
        ("return jsonify(notes=notes)", 'return app.response_class("{notes", mimetype="application/json")'),
        "pages/first-app.md: GET /api/notes sent JSON that does not parse",
    ),
    (
        "a stylesheet that is missing",
        ('```css title="static/style.css"', '```css title="static/site.css"'),
        "pages/first-app.md: GET /static/style.css answered 404 NOT FOUND",
    ),
    (
        "a route without arguments that is not found",
        (
            '    return render_template("index.html", notes=notes)',
            '    return app.response_class("gone", status=404)',
        ),
        "pages/first-app.md: GET / answered 404 NOT FOUND",
    ),
    (
        "a render_template of a template no route reaches",
        ('    return redirect(url_for("index"))', '    return render_template("added.html")'),
        "pages/first-app.md: hello.py:20 renders 'added.html', which is no template of the sample",
    ),
    (
        "a template that does not compile",
        ("{% block content %}Hello", "{% block content %}{% if %}Hello"),
        "pages/first-app.md: templates/hello.html:2: Expected an expression",
    ),
    (
        "a POST route no form reaches",
        ("action=\"{{ url_for('add_note') }}\"", 'action="/elsewhere"'),
        "pages/first-app.md: /notes takes POST and no form reaches it",
    ),
    (
        "an app the run line does not name",
        ("flask --app hello run", "flask --app hallo run"),
        "pages/first-app.md: the app cannot be loaded: flask.cli.NoAppException: Could not import 'hallo'.",
    ),
]


@pytest.mark.parametrize(("replacement", "expected"), [c[1:] for c in BROKEN], ids=[c[0] for c in BROKEN])
def test_harness_reports_a_broken_sample(tmp_path, replacement, expected):
    report = samples.exercise(fixture_project(replacement), tmp_path / "project")
    assert any(problem.startswith(expected) for problem in report.problems), report.problems


FACTORY = """from flask import Flask, jsonify, render_template


def create_app():
    app = Flask(__name__)

    @app.route("/")
    def index():
        return render_template("index.html", notes=[])

    @app.route("/hello/<name>")
    def hello(name):
        return render_template("hello.html", name=name)

    @app.post("/notes")
    def add_note():
        return jsonify(added=True)

    return app
"""


def test_harness_calls_an_app_factory(tmp_path):
    project = fixture_project()
    project.files["hello.py"] = FACTORY
    report = samples.exercise(project, tmp_path / "project")
    assert report.problems == []
    assert report.forms_posted == 1 and report.json_responses == 1


def test_harness_runs_the_run_line_and_ends_its_process_group(tmp_path):
    project = fixture_project()
    folder = project.write(tmp_path / "project")
    (run,) = project.runs
    started = time.monotonic()
    with samples.served(folder, run.detail) as server:
        pgid = server.process.pid
        assert os.getpgid(pgid) == pgid, "the server leads a process group of its own"
        status, body = samples.fetch(f"http://127.0.0.1:{server.port}/hello/world")
        assert (status, b"Hello, world!" in body) == (200, True)
    assert not samples.group_alive(pgid), "the reloader or its child outlived the test"
    assert samples.check_run_line(project, run, folder) == []
    assert time.monotonic() - started < 15


def test_harness_ends_the_process_group_when_the_test_fails(tmp_path):
    project = fixture_project()
    folder = project.write(tmp_path / "project")
    with pytest.raises(ZeroDivisionError), samples.served(folder, project.runs[0].detail) as server:
        pgid = server.process.pid
        1 / 0  # noqa: B018
    assert not samples.group_alive(pgid)


def test_harness_stops_a_server_that_ignores_sigterm(tmp_path):
    code = "import signal, time\nsignal.signal(signal.SIGTERM, signal.SIG_IGN)\nprint('up', flush=True)\ntime.sleep(60)\n"
    process = samples.subprocess.Popen(
        [sys.executable, "-c", code], start_new_session=True, stdout=samples.subprocess.PIPE
    )
    with process.stdout:
        assert process.stdout.readline() == b"up\n"
        samples.stop_group(process, grace=0.5)
    assert process.returncode == -signal.SIGKILL and not samples.group_alive(process.pid)


RUN_FAILURES = [
    ("an app it cannot import", ("flask --app hello run", "flask --app hallo run"), "the server exited with"),
    (
        "a URL the app does not serve",
        ("http://127.0.0.1:5000/hello/world", "http://127.0.0.1:5000/nowhere"),
        "/nowhere answered 404",
    ),
]


@pytest.mark.parametrize(
    ("replacement", "expected"), [c[1:] for c in RUN_FAILURES], ids=[c[0] for c in RUN_FAILURES]
)
def test_harness_reports_a_run_line_that_fails(tmp_path, replacement, expected):
    project = fixture_project(replacement)
    folder = project.write(tmp_path / "project")
    problems = samples.check_run_line(project, project.runs[0], folder)
    assert len(problems) == 1 and problems[0].startswith("pages/first-app.md:"), problems
    assert expected in problems[0], problems


# --- The guide's own pages ----------------------------------------------------------------------


@pytest.fixture(scope="module")
def exercised(tmp_path_factory):
    """Each sample page's report, made once for the module."""
    reports = {}

    def report(path):
        if path not in reports:
            reports[path] = samples.exercise(project_of(path), tmp_path_factory.mktemp("sample") / "project")
        return reports[path]

    return report


@pytest.mark.parametrize("path", ALL_PAGES, ids=page_id)
def test_page_source_is_within_what_is_tested(path):
    """Captioned blocks have a language and a path in the project; every command is a known form;
    every package installed is installed here; a run line has files and a URL to open."""
    assert project_of(path).problems == []


@pytest.mark.parametrize("path", SAMPLE_PAGES, ids=page_id)
def test_page_sample_answers_every_route(path, exercised):
    assert exercised(path).problems == []


@pytest.mark.parametrize("path", RUN_PAGES, ids=page_id)
def test_page_run_lines_serve_the_urls_named(path, tmp_path):
    project = project_of(path)
    folder = project.write(tmp_path / "project")
    problems = [problem for run in project.runs for problem in samples.check_run_line(project, run, folder)]
    assert problems == []


def test_guide_states_the_flask_it_was_checked_with():
    statements = {page_id(path): samples.checked_with(path.read_text("utf-8")) for path in ALL_PAGES}
    found = {(flask, python) for pairs in statements.values() for flask, python in pairs}
    assert found, 'no page says "checked with Flask X.Y and Python 3.11"'
    assert len(found) == 1, f"the pages disagree: {statements}"
    ((flask, python),) = found
    assert flask == FLASK_VERSION, f"the guide says Flask {flask}, the installed Flask is {FLASK_VERSION}"
    lowest = tomllib.loads((PROJECT / "pyproject.toml").read_text("utf-8"))["project"]["requires-python"]
    assert python == lowest.removeprefix(">="), f"the guide says Python {python}, the project {lowest}"


def test_samples_cover_the_guide(exercised):
    """At least two pages hold samples, among them a form, a JSON route and a template extending another."""
    assert len(SAMPLE_PAGES) >= 2, f"sample projects found: {[page_id(path) for path in SAMPLE_PAGES]}"
    assert RUN_PAGES, "no page shows a `flask --app NAME run` line"
    reports = [exercised(path) for path in SAMPLE_PAGES]
    assert any(report.forms_posted for report in reports), "no sample posts a form"
    assert any(report.json_responses for report in reports), "no sample has a JSON route"
    htmls = [
        code
        for path in SAMPLE_PAGES
        for name, code in project_of(path).files.items()
        if name.endswith(".html")
    ]
    assert any("{% extends" in code for code in htmls), "no sample template extends another"
