"""Adversarial inputs: odd page file names and hostile page contents, generated and by example.

The promise under test: whatever a user puts in pages/, ``python site.py build`` either builds
cleanly (exit 0) or prints ``Error: N problems found:`` and then exactly N lines, each naming a file
under pages/ (as ``GuidePages.display_name`` shows it: ``pages/...``), exits 1 and leaves the previous
build as it was. No traceback ever reaches the user, and no build hangs: each build runs as a
subprocess with a time limit (TIMEOUT) and a memory limit (MEMORY), and hitting either is a failure.

A clean build must also be a correct one: every published folder's name is valid UTF-8, NFC and free
of control characters; every page's canonical URL, percent-decoded as a static host does, leads back
to the folder the page was written to (the URL round-trips); the sitemap's and the feed's links lead to
files that exist; feed.xml and sitemap.xml are well-formed XML; every tag link of a page leads to a tag
page that lists it; and no page is lost (as many page folders as page files that should publish).

Shrinking is off so that CI stays quick while bugs remain (a failing example is shown whole, with
note()); set ADVERSARIAL_SHRINK=1 to shrink a failure to a minimal input.
"""

import hashlib
import os
import re
import resource
import shlex
import shutil
import signal
import subprocess
import tempfile
import unicodedata
import xml.etree.ElementTree as ET
from collections import defaultdict
from dataclasses import dataclass
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import unquote, urlsplit

import pytest
from click.testing import CliRunner
from conftest import PROJECT, build_command, site_module, snapshot
from hypothesis import HealthCheck, Phase, given, note, settings
from hypothesis import strategies as st

PAGES = "pages"  # the pages folder's name, which starts every problem line (GuidePages.display_name)
TIMEOUT = 60  # seconds a build may take before it counts as hung
MEMORY = 2 << 30  # bytes of address space a build may use (an alias bomb must not take the machine)
HOME = b"---\ntitle: Home\n---\nWelcome.\n"
SITE_FOLDERS = {"tags", "search"}  # folders the site itself publishes
ATOM = "{http://www.w3.org/2005/Atom}"
SITEMAP = "{http://www.sitemaps.org/schemas/sitemap/0.9}"

PROPERTY = settings(
    max_examples=25,
    deadline=None,
    derandomize=True,
    database=None,
    report_multiple_bugs=False,
    phases=(
        Phase.explicit,
        Phase.generate,
        *((Phase.shrink,) if os.environ.get("ADVERSARIAL_SHRINK") else ()),
    ),
    suppress_health_check=[
        HealthCheck.function_scoped_fixture,  # tmp_path is only a parent: each example has its own folder
        HealthCheck.too_slow,
        HealthCheck.data_too_large,
    ],
)


# -- running a build -------------------------------------------------------------------------------


@dataclass
class Outcome:
    command: list[str]
    code: int | None  # None: killed after TIMEOUT seconds
    stderr: str
    base: Path

    def __str__(self) -> str:
        lines = [line for line in self.stderr.split("\n") if not line.startswith("Freezing: ")]
        tail = "\n".join(lines[-15:])
        shown = "hung (killed)" if self.code is None else f"exit {self.code}"
        return f"$ {shlex.join(self.command)}\n{shown}; stderr ends:\n{tail}"


def limit_memory() -> None:
    resource.setrlimit(resource.RLIMIT_AS, (MEMORY, MEMORY))


def run_build(base: Path, env: dict[str, str] | None = None) -> Outcome:
    """``python site.py --pages base/pages build --out base/out --cache base/cache --no-search``."""
    command = build_command(base, "--no-search")
    command[2:2] = ["--pages", str(base / PAGES)]
    environment = {
        name: value for name, value in os.environ.items() if name not in ("SOURCE_DATE_EPOCH", "SITE_URL")
    }
    environment.update(env or {})
    process = subprocess.Popen(
        command,
        cwd=PROJECT,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        env=environment,
        start_new_session=True,  # its own process group, so a hung build's workers go with it
        preexec_fn=limit_memory,
    )
    try:
        _, err = process.communicate(timeout=TIMEOUT)
        code = process.returncode
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)  # not yet reaped: the group is still this build's
        _, err = process.communicate()
        code = None
    return Outcome(command, code, err.decode("utf-8", "replace"), base)


@pytest.fixture(scope="module")
def previous_pages(tmp_path_factory) -> Path:
    """The pages of the build every test starts from: a failed build must leave its output as it is."""
    pages = tmp_path_factory.mktemp("previous") / PAGES
    pages.mkdir()
    (pages / "index.md").write_bytes(HOME)
    (pages / "old.md").write_bytes(b"---\ntitle: Old\ndate: 2020-01-01\ntags: [old]\n---\nOld page.\n")
    return pages


def fresh_site(parent: Path, previous: Path) -> Path:
    """A folder with an empty pages folder and, in ``out``, a build of the ``previous`` pages
    (built in this process, which is quicker than a subprocess)."""
    base = Path(tempfile.mkdtemp(dir=parent))
    (base / PAGES).mkdir()
    arguments = [
        "--pages",
        str(previous),
        "build",
        "--out",
        str(base / "out"),
        "--cache",
        str(base / "cache"),
    ]
    result = CliRunner().invoke(site_module.cli, [*arguments, "--no-search", "--jobs", "1"])
    assert result.exit_code == 0, f"the previous build failed:\n{result.output}"
    shutil.rmtree(base / "cache")
    return base


def write(base: Path, name: bytes | str, data: bytes) -> None:
    path = os.path.join(os.fsencode(base / PAGES), os.fsencode(name))
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "wb") as handle:
        handle.write(data)


def page_text(
    title: str = "A page", date: str = "2020-01-01", tags: str = "[shared]", body: str = "Text."
) -> bytes:
    return f"---\ntitle: {title}\ndate: {date}\ntags: {tags}\n---\n{body}\n".encode()


# -- the promise -----------------------------------------------------------------------------------


def control_characters(text: str) -> list[str]:
    return [char for char in text if unicodedata.category(char) == "Cc"]


def check_promise(
    outcome: Outcome, before: dict[str, bytes], published: int | None = None, folders: tuple[str, ...] = ()
) -> None:
    """A clean build (``published`` page folders, when known, and each of ``folders``), or exit 1 with
    one line per problem naming a file under pages/ and the previous output untouched."""
    assert outcome.code is not None, f"the build hung: no exit within {TIMEOUT} s\n{outcome}"
    assert "Traceback" not in outcome.stderr, f"a traceback reached the user\n{outcome}"
    if outcome.code == 0:
        check_built(outcome.base / "out", published, folders)
        return
    assert outcome.code == 1, f"exit code {outcome.code}, not 0 or 1\n{outcome}"
    check_problem_lines(outcome)
    assert snapshot(outcome.base / "out") == before, f"a failed build changed the previous output\n{outcome}"


def check_problem_lines(outcome: Outcome) -> None:
    lines = outcome.stderr.split("\n")  # not splitlines(): U+2028 and friends are no line ends here
    starts = [number for number, line in enumerate(lines) if line.startswith("Error:")]
    assert starts, f"exit 1 without an 'Error:' line\n{outcome}"
    header = lines[starts[0]]
    counted = re.fullmatch(r"Error: (\d+) problems? found:", header)
    assert counted, f"not a list of problems in the pages: {header!r}\n{outcome}"
    problems = lines[starts[0] + 1 :]
    while problems and problems[-1] == "":
        problems.pop()
    assert len(problems) == int(counted[1]), f"{header!r} but {len(problems)} lines follow\n{outcome}"
    for line in problems:
        assert line.startswith(f"{PAGES}/"), f"a problem line that names no file under {PAGES}/: {line!r}"
        unreadable = [char for char in control_characters(line) if char != "\t"]
        assert not unreadable, f"a problem line holding control characters {unreadable}: {line!r}"


class Links(HTMLParser):
    """A page's canonical URL, and the links inside each kind of list (``<ul class=...>``)."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.canonical: str | None = None
        self.lists: dict[str, list[str]] = defaultdict(list)
        self.open: list[str] = []

    def handle_starttag(self, tag: str, attrs: list) -> None:
        found = dict(attrs)
        if tag == "link" and found.get("rel") == "canonical":
            self.canonical = found.get("href")
        elif tag == "ul":
            self.open.append(found.get("class") or "")
        elif tag == "a" and self.open and found.get("href"):
            self.lists[self.open[-1]].append(found["href"])

    def handle_endtag(self, tag: str) -> None:
        if tag == "ul" and self.open:
            self.open.pop()


def url_path(href: str) -> str:
    """The path a static host looks up for ``href``: percent-decoded as UTF-8."""
    return unquote(urlsplit(href).path, errors="strict")


def folder_of(out: Path, href: str) -> Path:
    return out / url_path(href).strip("/") / "index.html"


def check_built(out: Path, published: int | None, folders: tuple[str, ...]) -> None:
    pages, parsed = [], {}
    for path in sorted(out.rglob("index.html")):
        if not path.is_file():
            continue  # the folder of a page called index.html (pages/guide/index.html.md)
        raw = os.fsencode(path.parent.relative_to(out))
        try:
            folder = raw.decode("utf-8")
        except UnicodeDecodeError:
            raise AssertionError(f"a published folder's name is not UTF-8: {raw!r}") from None
        folder = "" if folder == "." else folder
        assert unicodedata.is_normalized("NFC", folder), f"a published folder's name is not NFC: {raw!r}"
        assert not control_characters(folder), f"a published folder's name holds control characters: {raw!r}"
        links = parsed[folder] = Links()
        links.feed(path.read_text("utf-8"))
        assert links.canonical, f"{raw!r}/index.html has no canonical link"
        expected = f"/{folder}/" if folder else "/"
        try:
            found = url_path(links.canonical)
        except UnicodeDecodeError:
            found = f"(not UTF-8) {links.canonical}"
        assert found == expected, (
            f"the URL of the page in {raw!r} does not lead back to it: its canonical link "
            f"{links.canonical!r} is the path {found!r}"
        )
        if folder and folder.split("/")[0] not in SITE_FOLDERS:
            pages.append(folder)
    if published is not None:
        assert len(pages) == published, f"{published} pages should publish, but the build wrote {pages}"
    for folder in folders:
        assert (out / folder / "index.html").is_file(), f"{folder}/index.html is missing; pages: {pages}"
    check_feeds(out)
    for folder, links in parsed.items():
        for href in links.lists.get("tag-list", []):
            target = folder_of(out, href)
            assert target.is_file(), f"the page {folder!r} links its tag to {href!r}, which is not there"
            tag_page = Links()
            tag_page.feed(target.read_text("utf-8"))
            listed = {url_path(item) for item in tag_page.lists.get("page-list", [])}
            assert url_path(links.canonical) in listed, (
                f"the page {folder!r} links its tag to {href!r}, which does not list it (lists {sorted(listed)})"
            )


def check_feeds(out: Path) -> None:
    for name in ("feed.xml", "sitemap.xml"):
        try:
            ET.parse(out / name)
        except ET.ParseError as error:
            raise AssertionError(f"{name} is not well-formed XML: {error}") from None
    for loc in ET.parse(out / "sitemap.xml").iter(f"{SITEMAP}loc"):
        assert folder_of(out, loc.text).is_file(), f"sitemap.xml lists {loc.text}, which is not there"
    for entry in ET.parse(out / "feed.xml").iter(f"{ATOM}entry"):
        for link in entry.iter(f"{ATOM}link"):
            assert folder_of(out, link.get("href")).is_file(), f"feed.xml links {link.get('href')}, not there"


# -- 1. odd file names -----------------------------------------------------------------------------

WORD = st.text(
    alphabet="abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_-", min_size=1, max_size=8
)
ODD_NAME_PARTS = [
    *(b"%41", b"%2F", b"%2f", b"%20", b"%25", b"%", b"%zz", b"%C3%A9"),  # percent sequences
    *(b"\t", b"\n", b"\r", b"\x01", b"\x1b", b"\x7f", b"\x0b", "\x85".encode()),  # control characters
    *(b"\xff", b"\xfe", b"\xc3", b"\xed\xa0\x80", b"\xc0\xaf", b"\x80"),  # not UTF-8
    *(
        "e\u0301".encode(),
        "\u00e9".encode(),
        "A\u030a".encode(),
        "\u212b".encode(),
        "\u0958".encode(),
    ),  # NFD/NFC
    *("\u202e".encode(), "\u200f".encode(), "\u200b".encode(), "\ufeff".encode(), "\u2028".encode()),
    *("\U0001f600".encode(), "\uff49\uff4e\uff44\uff45\uff58".encode(), "\u0131ndex".encode()),
    *(
        b"?",
        b"#",
        b"\\",
        b" ",
        b"-",
        b"--",
        b"..",
        b":",
        b";",
        b"&",
        b"'",
        b'"',
        b"<",
        b">",
        b"*",
        b"+",
        b"=",
    ),
    *(b"index", b"Index", b"INDEX", b"index.html", b".html", b"tags", b"search", b"static", b"feed.xml"),
]
FRAGMENT = st.one_of(WORD.map(str.encode), st.sampled_from(ODD_NAME_PARTS))
SHORT_STEM = st.lists(FRAGMENT, min_size=1, max_size=4).map(b"".join)
# Long names, up to the 255 bytes a file name may take (a cut may split a multi-byte character).
LONG_STEM = st.tuples(FRAGMENT, st.integers(200, 252)).map(lambda pair: (pair[0] * 255)[: pair[1]])
STEM = st.one_of(SHORT_STEM, SHORT_STEM, LONG_STEM)


def ignored(part: bytes) -> bool:
    """Hidden files and editors' leftovers, which the site skips on purpose: not generated."""
    return part.startswith((b".", b"#")) or part.endswith((b"~", b"#", b".swp", b".swx", b".tmp"))


# Whole names worth trying on their own, beside the ones made of fragments.
NAMED_CASES = [
    *(
        b"index.md",
        b"Index.md",
        b"INDEX.md",
        b"index.html.md",
        b"Index.html.md",
        b"index.md.md",
        b"index .md",
    ),
    *(
        b"%41.md",
        b"%2F.md",
        b"a\tb.md",
        b"a\nb.md",
        b"\xff.md",
        "cafe\u0301.md".encode(),
        "caf\u00e9.md".encode(),
    ),
    *(b"-.md", b"--help.md", b"-x.md", b" .md", b"a b.md", b"?.md", b"#x.md", b"\\.md", b"x.html.md"),
    "\u0958".encode() * 84 + b".md",  # 255 bytes, 507 once NFC decomposes each character
    "\u212b".encode() * 84 + b".md",  # the Angstrom sign: NFC makes it the letter A with a ring
    b"x" * 252 + b".md",
    b"y" * 247 + b".html.md",
]
FILE_NAME = st.one_of(
    st.tuples(STEM, st.sampled_from([b".md", b".md", b".html.md"])).map(
        lambda pair: pair[0][: 255 - len(pair[1])] + pair[1]
    ),
    st.sampled_from(NAMED_CASES),
)
FOLDER_NAME = STEM.map(lambda stem: stem[:255])
PAGE_PATH = st.tuples(st.lists(FOLDER_NAME, max_size=2), FILE_NAME).filter(
    lambda pair: not any(ignored(part) for part in [*pair[0], pair[1]])
)
PLAIN = re.compile(rb"[A-Za-z0-9_-]+")


def plain_folder(parts: list[bytes]) -> str | None:
    """The folder a page of a plain path (letters, digits, '_', '-') must be published to."""
    stems = [*parts[:-1], parts[-1].removesuffix(b".md")]
    if not all(PLAIN.fullmatch(stem) for stem in stems) or any(
        stem.lower() == b"index" for stem in stems[:-1]
    ):
        return None
    if stems[-1] == b"index":
        stems.pop()
    elif stems[-1].lower() == b"index":
        return None
    return b"/".join(stems).decode() or None


@PROPERTY
@given(paths=st.lists(PAGE_PATH, min_size=1, max_size=5))
def test_odd_file_names(paths, tmp_path, previous_pages):
    base = fresh_site(tmp_path, previous_pages)
    write(base, "index.md", HOME)
    created, folders = [], []
    for number, (parents, name) in enumerate(paths):
        parts = [*parents, name]
        path = os.path.join(os.fsencode(base / PAGES), *parts)
        try:
            os.makedirs(os.path.dirname(path), exist_ok=True)
            with open(path, "xb") as handle:
                handle.write(page_text(title=f"Page {number}", date=f"2020-01-{number + 1:02}"))
        except (FileExistsError, NotADirectoryError, IsADirectoryError):
            continue  # the path is taken (by the home page, a folder or another file)
        created.append(b"/".join(parts))
        if folder := plain_folder(parts):
            folders.append(folder)
    note(f"page files under {PAGES}/ (besides index.md): {created!r}")
    before = snapshot(base / "out")
    outcome = run_build(base)
    note(str(outcome))
    check_promise(outcome, before, published=len(created), folders=tuple(folders))
    shutil.rmtree(base)


# -- 2. hostile contents ---------------------------------------------------------------------------


def quoted(text: str) -> str:
    """``text`` as a YAML double-quoted scalar that decodes to exactly it: anything but printable
    ASCII is escaped (controls, line separators, even lone surrogates)."""
    out = []
    for char in text:
        if char in '"\\':
            out.append("\\" + char)
        elif " " <= char <= "~":
            out.append(char)
        elif ord(char) <= 0xFFFF:
            out.append(f"\\u{ord(char):04x}")
        else:
            out.append(f"\\U{ord(char):08x}")
    return f'"{"".join(out)}"'


def short_hash(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()[:6]


@dataclass(frozen=True)
class Part:
    """A piece of a page: its text, whether the page can be valid with it (None: not sure), and
    whether it makes the page a draft or dated in the future."""

    label: str
    text: str
    valid: bool | None = True
    draft: bool = False
    future: bool = False


def parts(*choices: tuple) -> st.SearchStrategy[Part]:
    return st.sampled_from([Part(*choice) for choice in choices])


ODD_CHARACTERS = [
    *("\u200f", "\u200e", "\u202e", "\u202d", "\u2066", "\u2069"),  # right-to-left marks and overrides
    *("\u0301", "\u0308", "\u20dd", "e\u0301", "\u00e9", "\u0958", "\u212b"),  # combining, NFC/NFD
    *("\U0001f600", "\U0001f469\u200d\U0001f469\u200d\U0001f467", "\U0001f3f3\ufe0f\u200d\U0001f308"),
    *("\u200b", "\u200d", "\ufeff", "\u6f22\u5b57", "\u0627\u0644\u0639\u0631\u0628\u064a\u0629"),
    *("\uff49\uff4e\uff44\uff45\uff58", "\U0001d400", "\x85", "\u2028", "\u2029", "\U000e0001"),
    *("\x00", "\x01", "\x08", "\x0b", "\x0c", "\x1b", "\x7f", "\ufffe", "\uffff", "\U0010ffff"),
    *(" ", "<", "&", '"', "'", "\\", "#", "%", "]]>", "</summary>", "{{ 7*7 }}", "{% raw %}"),
]
ODD_TEXT = st.lists(st.one_of(st.sampled_from(ODD_CHARACTERS), st.text(max_size=3)), max_size=6).map("".join)

TITLES = st.one_of(
    parts(("plain title", "title: A page")),
    ODD_TEXT.map(lambda text: Part(f"title {text!r}", f"title: {quoted(text)}", bool(text.strip()))),
    parts(
        ("title with escaped controls", r'title: "a\0b\x01c\ed\x7f\x85\u2028"'),
        ("title a list", "title: [a, b]", False),
        ("title a mapping", "title: {a: 1}", False),
        ("title a number", "title: 3", False),
        ("title empty", "title:", False),
        ("title blank", 'title: "  "', False),
        ("title an unknown alias", "title: *nowhere", False),
        ("title with a raw NUL", "title: a\x00b", False),
        ("title with raw controls", "title: a\x01\x1bb", False),
        ("title a surrogate escape", r'title: "a\ud800b"', None),
        ("title a merge", "title: {<<: {a: 1}}", False),
        ("no title", "", False),
    ),
)
DATES = parts(
    ("past date", "date: 2020-02-29"),
    ("date of year 1", "date: 0001-01-01"),
    ("quoted date", "date: '2021-06-01'"),
    ("future date", "date: 9999-12-31", True, False, True),
    ("Feb 30", "date: 2020-02-30", False),
    ("date a number", "date: 20200101", False),
    ("datetime", "date: 2020-01-01 10:00:00", False),
    ("date a list", "date: [2020-01-01]", False),
    ("date empty", "date:", False),
    ("date short", "date: 2020-1-1", False),
    ("date !!timestamp", "date: !!timestamp 2020-01-01", None),
    ("date !!binary", "date: !!binary aGk=", False),
    ("date a python tag", "date: !!python/object/apply:os.getcwd []", False),
    ("date in fullwidth digits", "date: \uff12\uff10\uff12\uff10-\uff10\uff11-\uff10\uff11", None),
    ("date in Arabic-Indic digits", "date: \u0662\u0660\u0662\u0660-\u0660\u0661-\u0660\u0661", None),
)
TAG_TEXTS = st.one_of(
    st.sampled_from(
        [
            *(
                "flask",
                "Flask",
                "  FLASK  ",
                "python web",
                "C#",
                "C",
                "C++",
                "!!",
                "tag",
                "\u00e9",
                "e\u0301",
            ),
            *(
                f"c-{short_hash('c#')}",
                f"c-{short_hash('c')}",
                f"c-{short_hash('c++')}",
                f"tag-{short_hash('!!')}",
            ),
            *("\u212b", "\u00c5", "t" * 256, "t" * 300, "\u00e9" * 300, "\U0001f980" * 80, "a " * 200),
            *("\u202eevil", "\u200f", "x\x00y", "\x1b[31mred", "\u2028", "</category>"),
        ]
    ),
    ODD_TEXT,
)
TAG_ITEMS = st.one_of(
    TAG_TEXTS.map(lambda text: Part(repr(text), quoted(text), bool(text.strip()))),
    parts(("1", "1", False), ("null", "null", False), ("[a]", "[a]", False), ("{a: 1}", "{a: 1}", False)),
)
TAGS = st.one_of(
    st.lists(TAG_ITEMS, max_size=5).map(
        lambda items: Part(
            f"tags [{', '.join(item.label for item in items)}]",
            f"tags: [{', '.join(item.text for item in items)}]",
            all(item.valid for item in items),
        )
    ),
    parts(
        ("tags a string", "tags: flask", False),
        ("tags a mapping", "tags: {a: 1}", False),
        ("tags empty", "tags:", False),
    ),
)
DRAFTS = parts(
    ("draft", "draft: true", True, True),
    ("not a draft", "draft: false"),
    ("draft: yes", "draft: yes", None),
    ("draft: 1", "draft: 1", False),
    ("draft: 'true'", "draft: 'true'", False),
)
ORDERS = parts(
    ("order 3", "order: 3"),
    ("order -1", "order: -1"),
    ("order huge", "order: 123456789012345678901234567890"),
    ("order 1.5", "order: 1.5", False),
    ("order true", "order: true", False),
    ("order .inf", "order: .inf", False),
    ("order hex", "order: 0x10", None),
)
DESCRIPTIONS = st.one_of(
    ODD_TEXT.map(lambda text: Part(f"description {text!r}", f"description: {quoted(text)}")),
    parts(("description a list", "description: [a]", False), ("description empty", "description:", False)),
)


def bomb(key: str, fanout: int, depth: int) -> Part:
    """Exponential alias expansion ("billion laughs"): fanout ** (depth + 1) leaves from a few lines."""
    lines = [f"{key}:", f"  l0: &{key}l0 [{', '.join(['lol'] * fanout)}]"]
    for level in range(1, depth + 1):
        lines.append(f"  l{level}: &{key}l{level} [{', '.join([f'*{key}l{level - 1}'] * fanout)}]")
    return Part(f"alias bomb {fanout}^{depth + 1}", "\n".join(lines), None)


def deep_block(key: str, depth: int) -> Part:
    lines = [
        f"{key}:",
        *(" " * (level + 1) + f"k{level}:" for level in range(depth)),
        " " * (depth + 1) + "leaf",
    ]
    return Part(f"block mappings {depth} deep", "\n".join(lines), None)


def extra(key: str) -> st.SearchStrategy[Part]:
    """A key of the front matter beyond the known ones, named ``key`` where it has a name."""
    nesting = st.sampled_from([10, 100, 1000, 10000])
    return st.one_of(
        st.builds(bomb, st.just(key), st.integers(2, 9), st.integers(1, 9)),
        st.builds(deep_block, st.just(key), st.sampled_from([10, 200, 1000])),
        nesting.map(lambda n: Part(f"flow lists {n} deep", f"{key}: {'[' * n}{']' * n}", None)),
        nesting.map(lambda n: Part(f"flow mappings {n} deep", f"{key}: {'{a: ' * n}1{'}' * n}", None)),
        ODD_TEXT.map(lambda text: Part(f"{key} {text!r}", f"{key}: {quoted(text)}")),
        parts(
            ("a list that holds itself", f"{key}: &{key}r [*{key}r]", None),
            ("a mapping that holds itself", f"{key}: &{key}m {{self: *{key}m}}", None),
            ("a list as a key", f"[{key}, a]: x", None),
            ("a mapping as a key", f"{{{key}: 1}}: x", None),
            ("a complex key", f"? [{key}, b]\n: y", None),
            ("a block list as a key", f"? - {key}\n: w", None),
            ("an int key", "12345: int key", None),
            ("a null key", "null: x", None),
            ("a bool key", "true: x", None),
            ("a float key", "1.5: x", None),
            ("escaped controls", rf'{key}: "\0\x01\e\u200f\U0001F600\N\_\L\P"'),
            ("a raw NUL", f"{key}: a\x00b", None),
            ("raw controls", f"{key}: a\x01\x08\x0b\x0c\x1b\x7fb", None),
            ("raw non-characters", f"{key}: a\ufffe\uffffb", None),
            ("a raw NEL and line separator", f"{key}: a\x85b\u2028c\u2029d", None),
            ("!!binary", f"{key}: !!binary aGVsbG8=", None),
            ("!!set", f"{key}: !!set {{a, b}}", None),
            ("!!omap", f"{key}: !!omap [a: 1, b: 2]", None),
            ("!!pairs", f"{key}: !!pairs [a: 1, a: 2]", None),
            ("!!float nan", f"{key}: !!float nan", None),
            ("!!timestamp with a zone", f"{key}: !!timestamp 2001-12-14t21:59:43.10-05:00", None),
            ("a python tag", f"{key}: !!python/name:os.system", None),
            ("a local tag", f"{key}: !custom x", None),
            ("a merge", f"{key}: &{key}mm {{a: 1}}\n{key}b: {{<<: *{key}mm, b: 2}}", None),
            ("a merge of an unknown alias", f"{key}: {{<<: [*{key}nowhere]}}", None),
            ("a 2000-character key", "k" * 2000 + ": v", None),
            ("a YAML directive", "%YAML 1.1", None),
            ("a document end", "...", None),
        ),
    )


EXTRAS = st.lists(st.integers(0, 1000), max_size=3, unique=True).flatmap(
    lambda keys: st.tuples(*(extra(f"x{key}") for key in keys))
)
WHOLE_FRONT_MATTER = parts(
    ("front matter a list", "- a\n- b", False),
    ("front matter a string", "just text", False),
    ("front matter empty", "", False),
    ("front matter a flow list", "[a, b]", False),
    ("front matter an explicit map", "!!map {title: Tagged}", None),
    ("front matter an alias of itself", "&all {title: x, self: *all}", None),
)


def run_of(text: str, count: int) -> Part:
    return Part(f"{text!r} x {count}", text * count, True)


def nested_list(depth: int) -> Part:
    return Part(f"list nested {depth} deep", "".join("    " * level + "- item\n" for level in range(depth)))


def nested_quotes(depth: int) -> Part:
    return Part(
        f"quotes nested 1..{depth} deep", "".join(">" * level + " x\n" for level in range(1, depth + 1))
    )


BODY_PARTS = st.one_of(
    st.builds(
        run_of,
        st.sampled_from(
            [
                "[",
                "![",
                "<",
                "*",
                "_",
                "`",
                "](",
                "&#",
                "\\",
                "[^",
                "<a ",
                "<!--",
                "> ",
                "- ",
                "1. ",
                "# ",
                "|",
            ]
        ),
        st.sampled_from([1, 10, 300, 2000]),
    ),
    st.sampled_from([3, 50, 150, 400]).map(nested_list),
    st.sampled_from([10, 100, 300]).map(nested_quotes),
    ODD_TEXT.map(lambda text: Part(f"text {text!r}", text)),
    ODD_TEXT.map(lambda text: Part(f"heading {text!r}", f"# {text}\n\n## {text}\n")),
    ODD_TEXT.map(lambda text: Part(f"code fence of {text!r}", f"```{text}\ncode {text}\n```\n")),
    ODD_TEXT.map(lambda text: Part(f"link to {text!r}", f"[x](<{text}>) [y]({text}) ![z]({text})\n")),
    ODD_TEXT.map(lambda text: Part(f"table of {text!r}", f"| a | b |\n|---|---|\n| {text} | {text} |\n")),
    parts(
        ("control characters", "\x00\x01\x08\x0b\x0c\x1b\x7f\x85\u2028\u2029\ufffe\uffff\ufeff"),
        ("surrogates as escapes", "\\ud800 &#xD800; &#0; &#x110000; &#99999999999; &#x1F600;"),
        ("a script", "<script>alert(1)</script><img src=x onerror=alert(1)>"),
        ("unclosed HTML", "<div><table><tr><td>"),
        ("CDATA and processing instructions", "<![CDATA[x]]> <?php echo 1; ?> <!DOCTYPE html>"),
        ("a footnote of itself", "[^a]\n\n[^a]: [^a]\n"),
        ("an unclosed fence", "```\nnever closed\n"),
        ("a second front matter", "---\ntitle: Again\n---\n"),
        ("a javascript link", "[x](javascript:alert(1)) <javascript:alert(1)>"),
        ("a 5000-character URL", f"![a]({'a' * 5000})"),
    ),
)
FRAMES = parts(
    ("plain", ""),
    ("a BOM first", "\ufeff"),
    ("CRLF lines", "crlf"),
    ("the closing line with spaces", "spaces"),
    ("never closed", "unclosed", False),
    ("a blank line first", "\n", False),
    ("UTF-16", "utf-16", False),
    ("a byte that is not UTF-8", "latin", False),
)


@dataclass(repr=False)
class HostilePage:
    labels: list[str]
    data: bytes
    valid: bool | None
    published: bool

    def __repr__(self) -> str:  # short: Hypothesis shows it, and pages can be megabytes long
        return f"HostilePage({'; '.join(self.labels)}: {shown(self.data, 200)})"

    def _repr_pretty_(self, printer, cycle) -> None:
        printer.text(repr(self))


def validity(pieces: list[Part]) -> bool | None:
    if any(piece.valid is False for piece in pieces):
        return False
    return None if any(piece.valid is None for piece in pieces) else True


def make_page(
    front: tuple[Part | None, ...],
    extras: tuple[Part, ...],
    whole: Part | None,
    frame: Part,
    body: list[Part],
) -> HostilePage:
    pieces = [whole] if whole else [*(piece for piece in front if piece), *extras]
    meta = "\n".join(piece.text for piece in pieces if piece.text)
    text = "\n".join(piece.text for piece in body) + "\n"
    closing = "---   " if frame.text == "spaces" else "" if frame.text == "unclosed" else "---"
    page = f"---\n{meta}\n{closing}\n{text}" if closing else f"---\n{meta}\n{text}"
    if frame.text in ("\ufeff", "\n"):
        page = frame.text + page
    if frame.text == "crlf":
        page = page.replace("\n", "\r\n")
    data = page.encode("utf-16" if frame.text == "utf-16" else "utf-8", "surrogatepass")
    if frame.text == "latin":
        data += b"caf\xe9\n"
    everything = [*pieces, frame, *body]
    valid = validity(everything)
    published = valid is True and not any(piece.draft or piece.future for piece in pieces)
    return HostilePage([piece.label for piece in everything], data, valid, published)


def optional(strategy: st.SearchStrategy) -> st.SearchStrategy:
    return st.one_of(st.none(), strategy)


HOSTILE_PAGE = st.builds(
    make_page,
    st.tuples(
        TITLES, optional(DATES), optional(TAGS), optional(DRAFTS), optional(ORDERS), optional(DESCRIPTIONS)
    ),
    EXTRAS,
    st.one_of(st.none(), st.none(), st.none(), st.none(), WHOLE_FRONT_MATTER),
    st.one_of(parts(("plain", "")), parts(("plain", "")), FRAMES),
    st.lists(BODY_PARTS, max_size=4),
)
HOSTILE_NAMES = ["p0.md", "p1.md", "deep/p2.md", "deep/er/p3.md"]


def shown(data: bytes, limit: int = 600) -> str:
    return repr(data) if len(data) <= limit else f"{data[:limit]!r}... ({len(data)} bytes)"


@PROPERTY
@given(site=st.lists(HOSTILE_PAGE, min_size=1, max_size=len(HOSTILE_NAMES)))
def test_hostile_contents(site, tmp_path, previous_pages):
    base = fresh_site(tmp_path, previous_pages)
    write(base, "index.md", HOME)
    for name, page in zip(HOSTILE_NAMES, site, strict=False):
        write(base, name, page.data)
        note(f"{PAGES}/{name}: {'; '.join(page.labels)}\n    {shown(page.data)}")
    before = snapshot(base / "out")
    outcome = run_build(base)
    note(str(outcome))
    known = all(page.valid is True for page in site)
    check_promise(outcome, before, published=sum(page.published for page in site) if known else None)
    shutil.rmtree(base)


# -- 3. regressions, one named case each -----------------------------------------------------------


@pytest.fixture
def site_dir(tmp_path, previous_pages) -> Path:
    return fresh_site(tmp_path, previous_pages)


def build_and_check(
    base: Path, published: int | None = None, folders: tuple[str, ...] = (), env=None
) -> Outcome:
    before = snapshot(base / "out")
    outcome = run_build(base, env)
    check_promise(outcome, before, published, folders)
    return outcome


HOME_PROBLEMS = {
    "draft": (b"---\ntitle: Home\ndraft: true\n---\nWelcome.\n", {}),
    "future": (b"---\ntitle: Home\ndate: 2021-01-01\n---\nWelcome.\n", {"SOURCE_DATE_EPOCH": "1600000000"}),
    "missing": (None, {}),
}


@pytest.mark.parametrize("case", HOME_PROBLEMS)
def test_home_page_unpublished(site_dir, case):
    home, env = HOME_PROBLEMS[case]
    if home:
        write(site_dir, "index.md", home)
    write(site_dir, "other.md", page_text())
    build_and_check(site_dir, env=env)


@pytest.mark.parametrize("epoch", ["abc", "99999999999999999999", "-99999999999999", "1e9", "12.5"])
def test_invalid_source_date_epoch(site_dir, epoch):
    """Not a page's problem: a clean build, or one 'Error:' line that names the setting."""
    write(site_dir, "index.md", HOME)
    write(site_dir, "other.md", page_text())
    before = snapshot(site_dir / "out")
    outcome = run_build(site_dir, {"SOURCE_DATE_EPOCH": epoch})
    assert outcome.code is not None, f"the build hung\n{outcome}"
    assert "Traceback" not in outcome.stderr, f"a traceback reached the user\n{outcome}"
    if outcome.code == 0:
        check_built(site_dir / "out", 1, ("other",))
        return
    assert outcome.code == 1, outcome
    errors = [line for line in outcome.stderr.split("\n") if line.startswith("Error:")]
    assert len(errors) == 1 and "SOURCE_DATE_EPOCH" in errors[0], outcome
    assert snapshot(site_dir / "out") == before


@pytest.mark.parametrize("tag", ["t" * 256, "t" * 300, "\u00e9" * 300, "word " * 60, "x" * 1000])
def test_tag_longer_than_a_file_name(site_dir, tag):
    write(site_dir, "index.md", HOME)
    write(site_dir, "long.md", page_text(tags=f"[{quoted(tag)}]"))
    build_and_check(site_dir, published=1, folders=("long",))


@pytest.mark.parametrize(
    "name",
    [
        b"%41.md",
        b"%2F.md",
        b"a%20b.md",
        b"a\tb.md",
        b"a\nb.md",
        b"a\rb.md",
        b"\x01.md",
        b"\x7f.md",
        b"\xff.md",
        "cafe\u0301.md".encode(),
        b"index.html.md",
        "\u0958".encode() * 84 + b".md",  # 255 bytes, but 507 once NFC decomposes each character
        b"-x.md",
        b"a b.md",
    ],
    ids=repr,
)
def test_odd_file_name(site_dir, name):
    write(site_dir, "index.md", HOME)
    write(site_dir, name, page_text())
    build_and_check(site_dir, published=1)


def test_index_html_page_beside_a_section_page(site_dir):
    write(site_dir, "index.md", HOME)
    write(site_dir, "guide/index.md", page_text(title="Guide"))
    write(site_dir, "guide/index.html.md", page_text(title="Index HTML"))
    build_and_check(site_dir, published=2, folders=("guide",))


def test_folder_named_index(site_dir):
    write(site_dir, "index.md", HOME)
    write(site_dir, "guide/index.md", page_text(title="Guide"))
    write(site_dir, "guide/index/index.md", page_text(title="Inner"))
    build_and_check(site_dir, published=2, folders=("guide",))


@pytest.mark.parametrize("where", ["files", "folders"])
def test_nfc_and_nfd_spellings_in_one_folder(site_dir, where):
    nfc, nfd = "caf\u00e9", "cafe\u0301"
    write(site_dir, "index.md", HOME)
    if where == "files":
        write(site_dir, f"{nfc}.md", page_text(title="Composed"))
        write(site_dir, f"{nfd}.md", page_text(title="Decomposed"))
    else:
        write(site_dir, f"{nfc}/a.md", page_text(title="Composed"))
        write(site_dir, f"{nfd}/b.md", page_text(title="Decomposed"))
    build_and_check(site_dir, published=2)


@pytest.mark.parametrize("link", ["aaa-link", "zzz-link"])
def test_folder_symlink_to_a_folder_inside_pages(site_dir, link):
    """The real folder's pages keep their own URLs, whatever the link is called."""
    write(site_dir, "index.md", HOME)
    write(site_dir, "real/index.md", page_text(title="Real"))
    write(site_dir, "real/page.md", page_text(title="Page"))
    (site_dir / PAGES / link).symlink_to("real", target_is_directory=True)
    build_and_check(site_dir, folders=("real", "real/page"))


@pytest.mark.parametrize(
    "page",
    [
        page_text(body="Before \x00\x01\x08\x0b\x0c\x1b\x7f after."),
        page_text(body="Non-characters \ufffe\uffff and separators \x85\u2028."),
        page_text(title=r'"Title \0 with \x01 controls"'),
        page_text(tags=r'["tag\x01", "\x0c"]'),
    ],
    ids=["body C0", "body non-characters", "title escapes", "tag escapes"],
)
def test_control_characters_keep_the_feed_well_formed(site_dir, page):
    write(site_dir, "index.md", HOME)
    write(site_dir, "dated.md", page)
    build_and_check(site_dir, published=1, folders=("dated",))


def test_tag_spelled_like_another_tags_hashed_slug(site_dir):
    """``C#`` and ``C`` both slugify to ``c``, so each gets ``c-<hash>``; a third tag spelled as that
    slug must not share its folder."""
    write(site_dir, "index.md", HOME)
    write(site_dir, "sharp.md", page_text(title="Sharp", tags='["C#"]'))
    write(site_dir, "plain.md", page_text(title="Plain", tags="[C]"))
    write(site_dir, "spelled.md", page_text(title="Spelled", tags=f"[c-{short_hash('c#')}]"))
    build_and_check(site_dir, published=3)


@pytest.mark.parametrize(
    "front",
    [
        r'title: "\n\n"',
        "title: A\n" r'date: "2020\n01-01"',
        "title: A\n" r'date: "\e[2J\e[31m"',
        "title: A\n" r'order: "\r\n"',
        r'title: "\u001e\u001e"',
    ],
    ids=[
        "title of newlines",
        "date with a newline",
        "date of terminal escapes",
        "order of CR LF",
        "title of record separators",
    ],
)
def test_problem_lines_show_values_escaped(site_dir, front):
    """A value quoted in a problem line must not break the line, nor reach the terminal as codes."""
    write(site_dir, "index.md", HOME)
    write(site_dir, "bad.md", f"---\n{front}\n---\nText.\n".encode())
    outcome = build_and_check(site_dir)
    assert outcome.code == 1, outcome


def test_billion_laughs(site_dir):
    write(site_dir, "index.md", HOME)
    write(site_dir, "laughs.md", f"---\ntitle: Laughs\n{bomb('x', 9, 8).text}\n---\nHa.\n".encode())
    build_and_check(site_dir)


@pytest.mark.parametrize(
    "front",
    [
        "x: &a [*a]",
        "x: &m {self: *m}",
        "[1, 2]: x",
        "{a: 1}: x",
        "? [a]\n: b",
        "x: a\x00b",
        "x: a\x01b",
        "title: \x7f",
    ],
    ids=repr,
)
def test_odd_front_matter(site_dir, front):
    write(site_dir, "index.md", HOME)
    write(site_dir, "odd.md", f"---\ntitle: Odd\n{front}\n---\nText.\n".encode())
    build_and_check(site_dir)


@pytest.mark.parametrize(
    "body",
    [
        "".join("    " * level + "- item\n" for level in range(400)),
        "- " * 1000 + "x",
        "1. " * 1000 + "x",
        "> " * 5000 + "x",
        "![" * 20000,  # quadratic in Python-Markdown: minutes for 40 KB
    ],
    ids=["indented list 400 deep", "'- ' x 1000", "'1. ' x 1000", "'> ' x 5000", "'![' x 20000"],
)
def test_deep_or_long_body(site_dir, body):
    write(site_dir, "index.md", HOME)
    write(site_dir, "deep.md", page_text(body=body))
    build_and_check(site_dir)
