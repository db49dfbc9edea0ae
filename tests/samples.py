"""The guide's sample apps, read from the Markdown sources and put through their paces.

A page's fenced blocks captioned with a file name (```` ```python title="hello.py" ````) are the
files of one project folder; its ```` ```console ```` blocks hold the commands a reader types. This
module finds both (:func:`parse_fences`, :func:`collect`), checks each command's form
(:func:`classify`), imports the app and requests every route with Flask's test client
(:func:`exercise`), and runs a page's ``flask --app NAME run`` line as a real server (:func:`served`,
:func:`check_run_line`). Every problem is a line naming the page, so a broken sample names its page.
"""

from __future__ import annotations

import contextlib
import html.parser
import importlib.metadata
import json
import os
import re
import shlex
import signal
import socket
import subprocess
import sys
import time
import traceback
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import NamedTuple

from packaging.requirements import InvalidRequirement, Requirement


class Block(NamedTuple):
    """A fenced code block: its language, its caption's file name (or None), its code, and the
    1-based line of its opening fence in the page file."""

    lang: str
    title: str | None
    code: str
    line: int


OPENING = re.compile(r"^(?P<indent> *)(?P<fence>`{3,}|~{3,})[ \t]*(?P<info>.*?)\s*$")
ATTRIBUTE = re.compile(r"""([A-Za-z_][\w-]*)=(?:"([^"]*)"|'([^']*)'|(\S+))""")


def parse_info(info: str) -> tuple[str, dict[str, str]]:
    """The language and attributes of a fence's info string: ``python title="a.py" linenums="1"``
    or the brace form ``{.python title="a.py"}``."""
    info = info.strip()
    braced = info.startswith("{") and info.endswith("}")
    if braced:
        info = info[1:-1].strip()
    attributes = {m[1]: next(g for g in m.groups()[1:] if g is not None) for m in ATTRIBUTE.finditer(info)}
    rest = ATTRIBUTE.sub(" ", info).split()
    if braced:
        classes = [word[1:] for word in rest if word.startswith(".")]
        return (classes[0] if classes else ""), attributes
    return (rest[0] if rest else ""), attributes


def front_matter_end(lines: list[str]) -> int:
    """The index of the first line after the front matter (``---`` ... ``---``), 0 if none."""
    if lines and lines[0].strip() == "---":
        for index in range(1, len(lines)):
            if lines[index].strip() in ("---", "..."):
                return index + 1
    return 0


def parse_fences(text: str) -> list[Block]:
    """Every fenced block of a Markdown source, in order. Fences are ``` or ~~~ (three or more),
    closed by a run of the same character at least as long; a fence may be indented (in a list
    or a callout), and its code loses that indent. An unclosed fence runs to the end of the file."""
    lines = [line.expandtabs(4) for line in text.splitlines()]
    blocks = []
    index = front_matter_end(lines)
    while index < len(lines):
        match = OPENING.match(lines[index])
        if not match or (match["fence"][0] == "`" and "`" in match["info"]):
            index += 1
            continue
        fence, indent = match["fence"], len(match["indent"])
        closing = re.compile(rf"^ *{re.escape(fence[0])}{{{len(fence)},}}\s*$")
        lang, attributes = parse_info(match["info"])
        start, body = index, []
        index += 1
        while index < len(lines) and not closing.match(lines[index]):
            line = lines[index]
            body.append(line[min(indent, len(line) - len(line.lstrip(" "))) :])
            index += 1
        index += 1
        code = "".join(f"{line}\n" for line in body)
        blocks.append(Block(lang, attributes.get("title"), code, start + 1))
    return blocks


# --- The shell commands a page shows --------------------------------------------------------

# Blocks whose commands are checked; shell languages that hide commands from the check are refused.
CONSOLE_LANGS = {"console", "doscon", "pwsh-session", "ps1con"}
SHELL_LANGS = {"sh", "bash", "shell", "zsh", "shell-session", "shellsession", "sh-session", "bash-session"}
PROMPT = re.compile(r"^(?:\$|>|PS(?: [^>]*)?>) (?P<command>.*)$")
PYTHON = re.compile(r"^(?:python(?:3(?:\.\d+)?)?|py)$")
WINDOWS_ACTIVATE = re.compile(r"^[\w.-]+\\Scripts\\(?:activate(?:\.bat)?|Activate\.ps1)$")
DIRECTORY = re.compile(r"^[\w.-]+(?:/[\w.-]+)*/?$")
KNOWN = (
    "python3 -m venv DIR; . DIR/bin/activate, source DIR/bin/activate, DIR\\Scripts\\activate; "
    "deactivate; [python -m] pip install PACKAGE...; flask --app NAME run [--debug]; cd DIR; mkdir [-p] DIR...; "
    "python3 --version, flask --version"
)


class Command(NamedTuple):
    """A command of a console block: its line in the page, its text, its kind (venv, activate,
    deactivate, install, run, cd, mkdir, version) and what the check needs of it (the packages to install,
    or the ``flask`` arguments)."""

    line: int
    text: str
    kind: str
    detail: tuple[str, ...]


def classify(text: str) -> tuple[str, tuple[str, ...]]:
    """The kind of one command (no ``&&``) and its detail; ValueError if the tests know no such form."""
    text = text.strip()
    if WINDOWS_ACTIVATE.match(text):
        return "activate", ()
    try:
        words = shlex.split(text)
    except ValueError as error:
        raise ValueError(f"cannot be split into words ({error})") from None
    if not words:
        raise ValueError("is empty")
    if (
        len(words) == 4
        and PYTHON.match(words[0])
        and words[1:3] == ["-m", "venv"]
        and DIRECTORY.match(words[3])
    ):
        return "venv", (words[3],)
    if len(words) == 2 and words[0] in (".", "source") and re.match(r"^[\w.-]+/bin/activate$", words[1]):
        return "activate", ()
    if words == ["deactivate"]:
        return "deactivate", ()
    if (
        len(words) == 2
        and (PYTHON.match(words[0]) or words[0] == "flask")
        and words[1] in ("--version", "-V")
    ):
        return "version", (words[0],)
    if len(words) == 2 and words[0] == "cd" and (DIRECTORY.match(words[1]) or words[1] == ".."):
        return "cd", (words[1],)
    if words[0] == "mkdir" and len(words) > 1:
        names = words[2:] if words[1] == "-p" else words[1:]
        if names and all(DIRECTORY.match(name) for name in names):
            return "mkdir", tuple(names)
    pip = words[:2] if words[:1] in (["pip"], ["pip3"]) else None
    if PYTHON.match(words[0]) and words[1:3] == ["-m", "pip"]:
        pip = words[:4]
    if pip is not None and words[len(pip) - 1] == "install":
        return "install", tuple(requirements(words[len(pip) :]))
    if words[0] == "flask":
        return "run", tuple(flask_arguments(words[1:]))
    raise ValueError(f"is no form the tests know ({KNOWN})")


def requirements(words: list[str]) -> list[str]:
    """The packages of a ``pip install``: each a valid requirement naming a distribution, with
    ``-U``/``--upgrade`` allowed."""
    names = [word for word in words if word not in ("-U", "--upgrade")]
    if not names:
        raise ValueError("installs nothing")
    for name in names:
        if name.startswith("-"):
            raise ValueError(f"has an option the tests do not know: {name}")
        try:
            requirement = Requirement(name)
        except InvalidRequirement as error:
            raise ValueError(f"names no valid package: {name!r} ({error})") from None
        if requirement.url or requirement.marker:
            raise ValueError(f"installs from a URL or with a marker: {name!r}")
    return names


def flask_arguments(words: list[str]) -> list[str]:
    """The arguments of ``flask --app NAME [--debug] run [--debug]``, as given."""
    rest = list(words)
    if rest[:1] == ["--app"] and len(rest) > 1:
        rest = rest[2:]
    elif rest and rest[0].startswith("--app="):
        rest = rest[1:]
    else:
        raise ValueError("runs flask without --app NAME")
    if rest[:1] == ["--debug"]:
        rest = rest[1:]
    if rest in (["run"], ["run", "--debug"]):
        return words
    raise ValueError(
        f"is no flask command the tests know (flask --app NAME run [--debug]): {shlex.join(words)}"
    )


def app_name(arguments: tuple[str, ...]) -> str:
    """NAME from the arguments of ``flask --app NAME ...``."""
    first = arguments[0]
    return first.split("=", 1)[1] if first.startswith("--app=") else arguments[1]


def installed_problem(spec: str) -> str | None:
    """Why a package a page installs is not what the tests run with, or None."""
    requirement = Requirement(spec)
    try:
        version = importlib.metadata.version(requirement.name)
    except importlib.metadata.PackageNotFoundError:
        return f"{requirement.name} is not installed in the environment the tests run in"
    if requirement.specifier and not requirement.specifier.contains(version, prereleases=True):
        return f"{requirement.name} {version} is installed, not {requirement.specifier}"
    return None


def console_commands(block: Block) -> tuple[list[Command], list[str]]:
    """The commands of a console block, with each line the tests do not know as a problem
    ``LINE: `text`: why``. Output lines (no prompt) are left alone; a line ending in ``\\``
    continues on the next."""
    commands, problems = [], []
    lines = block.code.splitlines()
    index = 0
    while index < len(lines):
        match = PROMPT.match(lines[index])
        line = block.line + 1 + index
        index += 1
        if not match:
            continue
        text = match["command"]
        while text.endswith("\\") and not WINDOWS_ACTIVATE.match(text) and index < len(lines):
            text = text[:-1] + " " + lines[index].strip()
            index += 1
        for part in text.split("&&"):
            try:
                kind, detail = classify(part)
            except ValueError as error:
                problems.append(f"{line}: `{text.strip()}`: `{part.strip()}` {error}")
            else:
                commands.append(Command(line, " ".join(part.split()), kind, detail))
    return commands, problems


# --- A page's project ------------------------------------------------------------------------

LOCAL_URL = re.compile(r"http://127\.0\.0\.1:5000(?P<path>/[^\s<>()\[\]\"'`]*)?")
CHECKED_WITH = re.compile(r"checked\s+with\s+Flask\s+(\d+\.\d+)(?:\.\d+)?\s+and\s+Python\s+(\d+\.\d+)", re.I)


def local_urls(text: str) -> list[str]:
    """The paths of every ``http://127.0.0.1:5000/...`` a text names, in order, without repeats."""
    paths = []
    for match in LOCAL_URL.finditer(text):
        path = (match["path"] or "/").rstrip(".,;:!?*_")
        if path not in paths:
            paths.append(path)
    return paths


def checked_with(text: str) -> list[tuple[str, str]]:
    """Every (Flask, Python) major.minor pair a text states as ``checked with Flask X.Y and Python A.B``."""
    return CHECKED_WITH.findall(text)


@dataclass
class Project:
    """One page's sample: its files (caption to code), its commands, the local URLs it names and
    the problems found in its source."""

    page: str
    files: dict[str, str] = field(default_factory=dict)
    commands: list[Command] = field(default_factory=list)
    urls: list[str] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)

    @property
    def runs(self) -> list[Command]:
        return [command for command in self.commands if command.kind == "run"]

    def write(self, folder: Path) -> Path:
        """Write the project's files into ``folder`` (made if need be) and return it."""
        for name, code in self.files.items():
            path = folder / name
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(code, "utf-8")
        return folder


def collect(text: str, page: str) -> Project:
    """The project of one page's source; ``page`` names it in every problem (``pages/x.md``)."""
    project = Project(page)
    for block in parse_fences(text):
        where = f"{page}:{block.line}"
        if block.lang in SHELL_LANGS:
            project.problems.append(f"{where}: a ```{block.lang} block: write commands in ```console")
        if block.lang in CONSOLE_LANGS:
            commands, problems = console_commands(block)
            project.commands += commands
            project.problems += [f"{page}:{problem}" for problem in problems]
        if block.title is None:
            continue
        name = block.title.strip().removeprefix("./")
        parts = Path(name).parts
        if not block.lang:
            project.problems.append(f"{where}: the block captioned {name!r} has no language")
        if not name or name.startswith(("/", "\\")) or ".." in parts or ":" in name or "\\" in name:
            project.problems.append(f"{where}: {block.title!r} is no path inside the project folder")
            continue
        project.files[name] = block.code
    project.urls = local_urls(text)
    for command in project.commands:
        if command.kind == "install":
            for spec in command.detail:
                if problem := installed_problem(spec):
                    project.problems.append(f"{page}:{command.line}: `{command.text}`: {problem}")
    if project.runs and not project.files:
        project.problems.append(f"{page}: a `flask --app ... run` line, but no file captioned with a name")
    if project.runs and not project.urls:
        project.problems.append(
            f"{page}: a `flask --app ... run` line, but no http://127.0.0.1:5000/... to open"
        )
    return project


# --- The app, through Flask's test client ----------------------------------------------------


class Forms(html.parser.HTMLParser):
    """The forms of an HTML page (method, action, fields) and the URLs it links and loads."""

    def __init__(self):
        super().__init__()
        self.forms: list[dict] = []
        self.links: list[str] = []
        self._select: str | None = None

    def handle_starttag(self, tag, attrs):
        attrs = {name: value or "" for name, value in attrs}
        for name in ("href", "src", "action"):
            if name in attrs and tag != "form":
                self.links.append(attrs[name])
        if tag == "form":
            self.forms.append(
                {
                    "method": attrs.get("method", "get").lower(),
                    "action": attrs.get("action", ""),
                    "fields": {},
                }
            )
        if not self.forms or "name" not in attrs:
            if tag == "select":
                self._select = None
            return
        fields, name = self.forms[-1]["fields"], attrs["name"]
        kind = attrs.get("type", "text").lower()
        if tag == "input" and kind in ("checkbox", "radio"):
            fields.setdefault(name, attrs.get("value", "on"))
        elif tag == "input" and kind in ("submit", "image", "reset", "button", "file"):
            if kind == "submit":
                fields.setdefault(name, attrs.get("value", ""))
        elif tag == "input" and kind == "hidden":
            fields[name] = attrs.get("value", "")
        elif tag == "input":
            fields[name] = FILLED.get(kind, "test")
        elif tag == "textarea":
            fields[name] = "test"
        elif tag == "button" and attrs.get("type", "submit").lower() == "submit":
            fields.setdefault(name, attrs.get("value", ""))
        elif tag == "select":
            self._select = name
        elif tag == "option" and self._select:
            fields.setdefault(self._select, attrs.get("value", "test"))

    def handle_endtag(self, tag):
        if tag == "select":
            self._select = None


FILLED = {"number": "1", "range": "1", "email": "test@example.com", "url": "https://example.com/",
          "date": "2024-01-01", "time": "12:00", "datetime-local": "2024-01-01T12:00", "month": "2024-01",
          "week": "2024-W01", "color": "#336699", "tel": "0123456789"}  # fmt: skip
SAMPLE_VALUES = {
    "IntegerConverter": 1,
    "FloatConverter": 1.0,
    "UUIDConverter": "12345678-1234-5678-1234-567812345678",
}


@dataclass
class Report:
    """What exercising one app found: the problems, and what it saw (for the guide's coverage)."""

    problems: list[str] = field(default_factory=list)
    requests: list[str] = field(default_factory=list)
    forms_posted: int = 0
    json_responses: int = 0


def where_in(folder: Path, error: BaseException) -> str:
    """The innermost frame of a traceback inside the sample's folder, as ``file:line``, or ''."""
    frames = [frame for frame in traceback.extract_tb(error.__traceback__) if frame.filename]
    inside = [frame for frame in frames if Path(frame.filename).resolve().is_relative_to(folder.resolve())]
    if not inside:
        return ""
    frame = inside[-1]
    return f" (at {Path(frame.filename).resolve().relative_to(folder.resolve()).as_posix()}:{frame.lineno})"


@contextlib.contextmanager
def imported(folder: Path, spec: str) -> Iterator:
    """The Flask app ``flask --app SPEC`` finds in ``folder`` (``hello``, ``hello.py``,
    ``hello:app``, ``hello:create_app()``, a package), found the way Flask finds it; sys.path
    and the sample's modules in sys.modules are put back afterwards, so the next page may have a
    module of the same name."""
    from flask.cli import locate_app, prepare_import

    path, _, name = spec.partition(":")
    saved_path = list(sys.path)
    before = set(sys.modules)
    module_name = ""
    try:
        module_name = prepare_import(str(folder / path))
        app = locate_app(module_name, name or None)
        module = sys.modules[module_name]
        where = Path(getattr(module, "__file__", "") or "/").resolve()
        if not where.is_relative_to(folder.resolve()):
            raise LookupError(
                f"--app {spec} finds {where}, not the sample's file: give the module another name"
            )
        yield app
    finally:
        sys.path[:] = saved_path
        root = module_name.split(".")[0]
        for key in set(sys.modules) - before:
            where = getattr(sys.modules[key], "__file__", None) or ""
            own = key == root or key.startswith(f"{root}.")
            if own or (where and Path(where).resolve().is_relative_to(folder.resolve())):
                del sys.modules[key]


def app_spec(project: Project) -> str:
    """What ``--app`` the project's app is: the page's run line's, else its single .py file."""
    names = {app_name(command.detail) for command in project.runs}
    if len(names) > 1:
        raise LookupError(f"its run lines name different apps: {', '.join(sorted(names))}")
    if names:
        return names.pop()
    modules = [name for name in project.files if name.endswith(".py")]
    if len(modules) != 1:
        raise LookupError(
            f"no `flask --app NAME run` line, and {len(modules)} .py files: say which is the app"
        )
    return modules[0]


def exercise(project: Project, folder: Path) -> Report:
    """Write the project into ``folder``, import its app and request every route with the test
    client: GET each rule (arguments filled with "world", 1, ...), post each form with every
    field filled and follow the redirect, parse each JSON body, load each linked local URL."""
    report = Report()
    page = project.page
    project.write(folder)
    try:
        spec = app_spec(project)
        with imported(folder, spec) as app:
            app.config["TESTING"] = True
            Exerciser(app, folder, page, report).run()
    except Exception as error:
        message = "".join(traceback.format_exception_only(error)).strip()
        report.problems.append(f"{page}: the app cannot be loaded: {message}{where_in(folder, error)}")
    return report


class Exerciser:
    def __init__(self, app, folder: Path, page: str, report: Report):
        self.app, self.folder, self.page, self.report = app, folder, page, report
        self.client = app.test_client()
        self.adapter = app.url_map.bind("localhost")
        self.seen: set[tuple] = set()
        self.posted_rules: set = set()

    def problem(self, text: str) -> None:
        self.report.problems.append(f"{self.page}: {text}")

    def request(self, method: str, url: str, data: dict | None = None):
        """One request; an exception in the app is a problem (None returned), as is a 5xx."""
        self.report.requests.append(f"{method} {url}")
        try:
            response = self.client.open(url, method=method, data=data)
            response.get_data()
            response.close()
        except Exception as error:
            message = "".join(traceback.format_exception_only(error)).strip()
            self.problem(f"{method} {url} raised {message}{where_in(self.folder, error)}")
            return None
        if response.status_code >= 500:
            self.problem(f"{method} {url} answered {response.status}")
        return response

    def run(self) -> None:
        self.check_templates()
        rules = sorted(self.app.url_map.iter_rules(), key=lambda rule: (rule.rule, rule.endpoint))
        if not [rule for rule in rules if rule.endpoint != "static"]:
            self.problem("the app has no routes")
        for rule in rules:
            if rule.endpoint == "static":
                self.static_files(rule)
            elif "GET" in rule.methods:
                self.get_rule(rule)
        for rule in rules:
            if rule.endpoint != "static" and "GET" not in rule.methods and rule.rule not in self.posted_rules:
                self.problem(
                    f"{rule.rule} takes {', '.join(sorted(rule.methods - {'OPTIONS'}))} and no form reaches it"
                )

    def check_templates(self) -> None:
        """Every template compiles and every template it extends, includes or imports exists; every
        render_template("name") in the code names an existing template."""
        import jinja2
        from jinja2 import meta

        environment = self.app.jinja_env
        names = set(environment.list_templates())
        for path in (
            sorted((self.folder / "templates").rglob("*")) if (self.folder / "templates").is_dir() else []
        ):
            if not path.is_file():
                continue
            name = path.relative_to(self.folder / "templates").as_posix()
            try:
                tree = environment.parse(path.read_text("utf-8"), name, str(path))
            except jinja2.TemplateSyntaxError as error:
                self.problem(f"templates/{name}:{error.lineno}: {error.message}")
                continue
            for reference in meta.find_referenced_templates(tree):
                if reference is not None and reference not in names:
                    self.problem(
                        f"templates/{name} refers to {reference!r}, which is no template of the sample"
                    )
        for path in sorted(self.folder.rglob("*.py")):
            for match in re.finditer(r"render_template\(\s*[\"']([^\"']+)[\"']", path.read_text("utf-8")):
                if match[1] not in names:
                    line = path.read_text("utf-8").count("\n", 0, match.start()) + 1
                    relative = path.relative_to(self.folder).as_posix()
                    self.problem(
                        f"{relative}:{line} renders {match[1]!r}, which is no template of the sample"
                    )

    def static_files(self, rule) -> None:
        folder = Path(self.app.static_folder or "")
        if not folder.is_dir():
            return
        for path in sorted(folder.rglob("*")):
            if path.is_file():
                built = rule.build({"filename": path.relative_to(folder).as_posix()}, append_unknown=False)
                if built:
                    self.get(built[1], expect_ok=True)

    def get_rule(self, rule) -> None:
        variables = rule.arguments - set(rule.defaults or {})
        values = {}
        for name in variables:
            converter = rule._converters.get(name)
            kind = type(converter).__name__
            if kind == "AnyConverter":
                values[name] = sorted(converter.items)[0] if hasattr(converter, "items") else "world"
            else:
                values[name] = SAMPLE_VALUES.get(kind, "world")
        built = rule.build(values, append_unknown=False)
        if built is None:
            self.problem(f"{rule.rule}: cannot build a URL with {values}")
            return
        self.get(built[1], expect_ok=not variables)

    def get(
        self, url: str, expect_ok: bool, query: dict | None = None, hops: int = 0, again: bool = False
    ) -> None:
        """GET a URL once (``again``: even if it was, as after a POST); ``expect_ok``: it must answer
        200 or redirect (else 404 is allowed too)."""
        key = ("GET", url, tuple(sorted((query or {}).items())))
        if key in self.seen and not again:
            return
        self.seen.add(key)
        response = self.request("GET", url + ("?" + urllib.parse.urlencode(query) if query else ""))
        if response is None:
            return
        status = response.status_code
        if 300 <= status < 400 and "Location" in response.headers:
            if hops < 5:
                self.get(urllib.parse.urljoin(url, response.headers["Location"]), True, hops=hops + 1)
        elif status >= 400 and (expect_ok or status != 404) and status < 500:
            self.problem(f"GET {url} answered {response.status}")
        self.read(url, response)

    def read(self, url: str, response) -> None:
        """Parse a JSON body; post the forms of an HTML page and load what it links locally."""
        if response.mimetype == "application/json" or response.is_json:
            self.report.json_responses += 1
            try:
                json.loads(response.get_data(as_text=True))
            except ValueError as error:
                self.problem(f"GET {url} sent JSON that does not parse: {error}")
        if response.mimetype != "text/html" or response.status_code >= 400:
            return
        parser = Forms()
        parser.feed(response.get_data(as_text=True))
        for form in parser.forms:
            target = urllib.parse.urljoin(url, form["action"] or url)
            if urllib.parse.urlsplit(target).netloc not in ("", "localhost"):
                self.problem(f"a form on {url} sends to {target}, outside the app")
            elif form["method"] == "post":
                self.post(url, target, form["fields"])
            else:
                self.get(target.split("?")[0], True, query=form["fields"])
        for link in parser.links:
            target = urllib.parse.urljoin(url, link.split("#")[0])
            parts = urllib.parse.urlsplit(target)
            if (
                link
                and not link.startswith("#")
                and parts.scheme in ("", "http")
                and parts.netloc in ("", "localhost")
            ):
                self.get(parts.path + (f"?{parts.query}" if parts.query else ""), True)

    def post(self, page_url: str, target: str, fields: dict) -> None:
        key = ("POST", target, tuple(sorted(fields.items())))
        if key in self.seen:
            return
        self.seen.add(key)
        path = urllib.parse.urlsplit(target).path
        with contextlib.suppress(Exception):
            self.posted_rules.add(self.adapter.match(path, method="POST", return_rule=True)[0].rule)
        response = self.request("POST", target, data=fields)
        if response is None:
            return
        self.report.forms_posted += 1
        status = response.status_code
        if 300 <= status < 400 and "Location" in response.headers:
            self.get(urllib.parse.urljoin(target, response.headers["Location"]), True, again=True)
        elif status != 200 and status < 500:
            sent = ", ".join(f"{name}={value!r}" for name, value in fields.items()) or "no fields"
            self.problem(f"POST {target} (the form on {page_url}, with {sent}) answered {response.status}")
        else:
            self.read(target, response)


# --- The run line, as a real server ----------------------------------------------------------


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def flask_command() -> list[str]:
    """The environment's own ``flask``: the script beside the interpreter, else ``python -m flask``."""
    script = Path(sys.executable).with_name("flask")
    return [str(script)] if script.is_file() else [sys.executable, "-m", "flask"]


def group_alive(pgid: int) -> bool:
    try:
        os.killpg(pgid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def stop_group(process: subprocess.Popen, grace: float = 5.0) -> None:
    """End the process group: SIGTERM, then SIGKILL to whatever is left (the reloader's child too)."""
    pgid = process.pid
    with contextlib.suppress(ProcessLookupError):
        os.killpg(pgid, signal.SIGTERM)
    try:
        process.wait(grace)
    except subprocess.TimeoutExpired:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(pgid, signal.SIGKILL)
        process.wait()
    deadline = time.monotonic() + grace
    while group_alive(pgid) and time.monotonic() < deadline:
        time.sleep(0.05)
    if group_alive(pgid):
        with contextlib.suppress(ProcessLookupError):
            os.killpg(pgid, signal.SIGKILL)


@dataclass
class Server:
    port: int
    process: subprocess.Popen
    log: Path

    def output(self) -> str:
        return self.log.read_text("utf-8", "replace")


@contextlib.contextmanager
def served(folder: Path, arguments: tuple[str, ...], timeout: float = 15.0) -> Iterator[Server]:
    """Run ``flask ARGUMENTS --host 127.0.0.1 --port FREE`` in ``folder``, in a process group of its
    own, until the port answers (RuntimeError with its output if it exits or ``timeout`` passes);
    the group is ended when the block ends, however it ends."""
    port = free_port()
    log = folder.parent / f"{folder.name}.server-{port}.log"
    env = {key: value for key, value in os.environ.items() if not key.startswith(("FLASK_", "WERKZEUG_"))}
    env.update(PYTHONUNBUFFERED="1", PYTHONDONTWRITEBYTECODE="1", FLASK_SKIP_DOTENV="1")
    command = [*flask_command(), *arguments, "--host", "127.0.0.1", "--port", str(port)]
    with open(log, "wb") as output:
        process = subprocess.Popen(
            command, cwd=folder, env=env, stdin=subprocess.DEVNULL, stdout=output, stderr=subprocess.STDOUT,
            start_new_session=True,
        )  # fmt: skip
    server = Server(port, process, log)
    try:
        deadline = time.monotonic() + timeout
        while True:
            with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", port), 0.2):
                break
            if process.poll() is not None:
                raise RuntimeError(f"exited with {process.returncode} before answering:\n{server.output()}")
            if time.monotonic() > deadline:
                raise RuntimeError(f"did not answer on port {port} within {timeout:g} s:\n{server.output()}")
            time.sleep(0.05)
        yield server
    finally:
        stop_group(process)


# No proxy from the environment stands between the test and 127.0.0.1.
DIRECT = urllib.request.build_opener(urllib.request.ProxyHandler({}))


def fetch(url: str, timeout: float = 10.0) -> tuple[int, bytes]:
    """The status and body of a GET, straight to the server (error statuses too)."""
    try:
        with DIRECT.open(url, timeout=timeout) as response:
            return response.status, response.read()
    except urllib.error.HTTPError as error:
        with error:
            return error.code, error.read()


def check_run_line(project: Project, command: Command, folder: Path) -> list[str]:
    """Run one ``flask --app ... run`` line of the page in ``folder`` (the project written there)
    and request every local URL the page names: each must answer 200."""
    where = f"{project.page}:{command.line}: `{command.text}`"
    if not project.urls:
        return [f"{where}: the page names no http://127.0.0.1:5000/... to open"]
    problems = []
    try:
        with served(folder, command.detail) as server:
            for path in project.urls:
                url = f"http://127.0.0.1:{server.port}{path}"
                try:
                    status, _ = fetch(url)
                except OSError as error:
                    problems.append(f"{where}: {path} failed: {error}\n{server.output()}")
                    continue
                if status != 200:
                    problems.append(
                        f"{where}: http://127.0.0.1:5000{path} answered {status}\n{server.output()}"
                    )
    except RuntimeError as error:
        problems.append(f"{where}: the server {error}")
    return problems
