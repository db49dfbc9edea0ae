"""The limits on a page (flaskguide/limits.py): each one just under and just over, the line and the
setting each problem names, front matter that would expand or crash, and the last-resort guards
around rendering.

A limit is a property of the text alone, so these tests never time anything: where a regression
would make a test take minutes or gigabytes (the billion laughs), it runs in a subprocess with a
time limit and a memory limit, and hitting either fails it.
"""

import resource
import signal
import subprocess
import threading
import time

import pytest
from conftest import PROJECT, build_command, site_module
from hypothesis import given, settings
from hypothesis import strategies as st

from flaskguide import frontmatter, limits
from flaskguide.errors import PageProblem, ProblemGroup, SiteError
from flaskguide.limits import Limits, RenderTimeout, check_body, check_page, time_limit
from flaskguide.markup import Renderer, RenderProblem

PROPERTY = settings(max_examples=300, deadline=None, database=None)


def problems_of(found: list[PageProblem]) -> list[tuple[int, str]]:
    return [(problem.line, str(problem)) for problem in found]


def assert_problems(found: list[PageProblem], expected: list[tuple[int, str, str]]) -> None:
    """``expected``: (line, part of the message, the setting it names) for each problem, in order."""
    got = problems_of(found)
    assert len(got) == len(expected), got
    for (line, message), (want_line, fragment, setting) in zip(got, expected, strict=True):
        assert line == want_line and fragment in message and f"set {setting} to change it" in message, got


# -- the body: each limit just under and just over -------------------------------------------------

NESTING = Limits(max_nesting=3)
SCAN = Limits(max_scan=1_000)
COPY = Limits(max_copy=10_000)

# Each body starts on line 10 of its file.
# fmt: off
BODY_CASES = [
    # nesting: '>', list markers and indents are each a level; a blank line of spaces is none
    pytest.param(NESTING, "> > > x", [], id="quotes-3"),
    pytest.param(NESTING, "> > > > x", [(10, "nested 4 deep here", "SITE_PAGE_MAX_NESTING")], id="quotes-4"),
    pytest.param(NESTING, ">>>>x", [(10, "nested 4 deep", "SITE_PAGE_MAX_NESTING")], id="quotes-no-spaces"),
    pytest.param(NESTING, "- - - x", [], id="bullets-3"),
    pytest.param(NESTING, "1. 2. 3. 4. x", [(10, "nested 4 deep", "SITE_PAGE_MAX_NESTING")], id="numbers-4"),
    pytest.param(NESTING, "- a\n    - b\n        - c", [], id="indented-3"),
    pytest.param(NESTING, "- a\n    - b\n        - c\n            - d", [(13, "nested 4 deep", "SITE_PAGE_MAX_NESTING")], id="indented-4"),
    pytest.param(NESTING, "\t\t\t- x", [(10, "nested 4 deep", "SITE_PAGE_MAX_NESTING")], id="tabs"),
    pytest.param(NESTING, "Text.\n\n> - > - x", [(12, "nested 4 deep", "SITE_PAGE_MAX_NESTING")], id="quotes-and-lists"),
    pytest.param(NESTING, "x\n" + " " * 1000 + "\ny", [], id="line-of-spaces"),
    pytest.param(NESTING, "x\r> > > > y", [(11, "nested 4 deep", "SITE_PAGE_MAX_NESTING")], id="lone-carriage-return"),
    # scan: each '[' reads to its ']' or the end of its paragraph: 44 of them read 990, 45 read 1,035
    pytest.param(SCAN, "[" * 44, [], id="brackets-990"),
    pytest.param(SCAN, "[" * 45, [(10, "'[' is closed by no ']' nearby", "SITE_PAGE_MAX_SCAN")], id="brackets-1035"),
    pytest.param(SCAN, "ok\n\n" + "[" * 45, [(12, "1,035 characters", "SITE_PAGE_MAX_SCAN")], id="brackets-line"),
    pytest.param(SCAN, "[" * 30 + "\n\n" + "[" * 30, [], id="blank-line-ends-a-paragraph"),
    pytest.param(SCAN, "\\[" * 500, [], id="escaped-brackets"),
    pytest.param(SCAN, "[a] " * 300, [], id="closed-brackets"),
    # each link's '(' reads to its ')', or to the paragraph's end: 22 links read 990, 23 read 1,081
    pytest.param(SCAN, "[a](" * 22, [], id="links-990"),
    pytest.param(SCAN, "[a](" * 23, [(10, "a link's '(' is closed by no ')' nearby", "SITE_PAGE_MAX_SCAN")], id="links-1081"),
    pytest.param(SCAN, '[a](b "t") ' * 50, [], id="titled-links"),
    pytest.param(SCAN, '[a](b "c) ' * 40, [(10, "a link's '('", "SITE_PAGE_MAX_SCAN")], id="title-never-closed"),
    # every '<' in a start tag that never ends reads to the same end: 18 read 972, 19 read 1,083
    pytest.param(SCAN, "<a " * 18, [], id="tags-972"),
    pytest.param(SCAN, "<a " * 19, [(10, "'<' starts an HTML tag that no '>' ends", "SITE_PAGE_MAX_SCAN")], id="tags-1083"),
    pytest.param(SCAN, "<b>x</b> " * 300, [], id="closed-tags"),
    pytest.param(SCAN, "x\n```\n" + "y" * 2000, [(11, "this code fence is never closed", "SITE_PAGE_MAX_SCAN")], id="open-fence"),
    pytest.param(SCAN, "```\n" + "y" * 2000 + "\n```", [], id="closed-fence"),
    pytest.param(SCAN, "```\na\n```\n~~~\nb\n~~~\n````py\nc\n````\n" + "y" * 2000, [], id="closed-fences-of-each-kind"),
    pytest.param(SCAN, "``` not a language\n" + "y" * 2000, [], id="not-an-opening-fence"),
    pytest.param(SCAN, '```hl_lines="1"\n' + "y" * 2000, [(10, "never closed", "SITE_PAGE_MAX_SCAN")], id="open-fence-hl-lines"),
    pytest.param(SCAN, "[^a] " * 40, [], id="footnotes-40"),
    pytest.param(SCAN, "[^a] " * 80, [(10, "many footnotes and references to them", "SITE_PAGE_MAX_SCAN")], id="footnotes-80"),
    # copy: each inline mark copies its paragraph: 35 '*a* ' copy 70 x 140 = 9,800, 36 copy 10,368
    pytest.param(COPY, "*a* " * 35, [], id="marks-9800"),
    pytest.param(COPY, "*a* " * 36, [(10, "this paragraph of 144 characters has 72", "SITE_PAGE_MAX_COPY")], id="marks-10368"),
    pytest.param(COPY, "*a*\n\n" * 36, [], id="marks-in-short-paragraphs"),
    # each block moves the list of the rest: 200 blocks move 10,000, 201 move 10,100
    pytest.param(COPY, "x\n\n" * 199, [], id="blocks-200"),
    pytest.param(COPY, "x\n\n" * 200, [(10, "the page has 201 blocks", "SITE_PAGE_MAX_COPY")], id="blocks-201"),
    # each fenced block copies the page
    pytest.param(COPY, "```\nx\n```\n\n" * 25, [], id="fenced-25"),
    pytest.param(COPY, "y\n" + "```\nx\n```\n\n" * 30, [(11, "30 fenced code blocks", "SITE_PAGE_MAX_COPY")], id="fenced-30"),
    # every limit at once, each with its own line
    pytest.param(Limits(max_nesting=3, max_scan=1_000, max_copy=10_000), "> > > > x\n\n" + "[" * 45 + "\n\n" + "x\n\n" * 200, [
        (10, "nested 4 deep", "SITE_PAGE_MAX_NESTING"),
        (12, "'[' is closed by no ']' nearby", "SITE_PAGE_MAX_SCAN"),
        (10, "blocks", "SITE_PAGE_MAX_COPY"),
    ], id="every-limit"),
    # the defaults: n '[' read n(n+1)/2, so 1,999 read 1,999,000 and 2,000 read 2,001,000
    pytest.param(Limits(), "[" * 1999, [], id="default-scan-under"),
    pytest.param(Limits(), "[" * 2000, [(10, "2,001,000 characters", "SITE_PAGE_MAX_SCAN")], id="default-scan-over"),
    pytest.param(Limits(), "> " * 50 + "x", [], id="default-nesting-under"),
    pytest.param(Limits(), "> " * 51 + "x", [(10, "nested 51 deep", "SITE_PAGE_MAX_NESTING")], id="default-nesting-over"),
]
# fmt: on


@pytest.mark.parametrize(("page_limits", "body", "expected"), BODY_CASES)
def test_check_body(page_limits, body, expected):
    assert_problems(check_body(body, page_limits, first_line=10), expected)


def test_pages_pass_with_room_to_spare():
    """The site's own pages pass limits a hundred times tighter than the defaults."""
    tight = Limits(
        max_bytes=limits.DEFAULT_MAX_BYTES // 100,
        max_scan=limits.DEFAULT_MAX_SCAN // 100,
        max_copy=limits.DEFAULT_MAX_COPY // 100,
        max_nesting=5,
    )
    for path in sorted((PROJECT / "pages").rglob("*.md")):
        data = path.read_bytes()
        assert check_page(data, frontmatter.read_body(data), tight) == [], path


# -- the page file: its size, and lines counted from the top of the file ----------------------------

FILE = b"---\ntitle: A\n---\nText.\n\n> > > > x\n"


def test_lines_count_from_the_top_of_the_file():
    assert_problems(
        check_page(FILE, frontmatter.read_body(FILE), NESTING),
        [(6, "nested 4 deep", "SITE_PAGE_MAX_NESTING")],
    )


def test_size_just_under_passes():
    assert check_page(FILE, frontmatter.read_body(FILE), Limits(max_bytes=len(FILE), max_nesting=9)) == []


def test_size_just_over_fails_at_the_line_the_limit_falls_in():
    # The 21st byte, the first over the limit, is on line 4; nothing else is checked in a file
    # too big (its nesting would be a problem too).
    found = check_page(FILE, frontmatter.read_body(FILE), Limits(max_bytes=20, max_nesting=3))
    assert_problems(found, [(4, f"the file is {len(FILE)} bytes", "SITE_PAGE_MAX_BYTES")])


def test_read_refuses_a_file_too_big_before_decoding_it():
    data = b"\xff" * 200  # not UTF-8: decoding it would be a problem of its own
    with pytest.raises(PageProblem, match=r"the file is 200 bytes \(limit 100, set SITE_PAGE_MAX_BYTES"):
        frontmatter.read(data, Limits(max_bytes=100))


def test_read_reports_front_matter_and_body_problems_at_once():
    with pytest.raises(ProblemGroup) as info:
        frontmatter.read(b"---\ndescription: D\ndate: soon\n---\n> > > > x\n", NESTING)
    assert [(problem.line, str(problem)[:20]) for problem in info.value.problems] == [
        (3, 'date: "soon" is not '),
        (5, "lists and block quot"),
    ]


def test_read_body_is_the_body_read_gives():
    assert frontmatter.read_body(FILE) == frontmatter.read(FILE, Limits(max_nesting=9))[1]


# -- settings --------------------------------------------------------------------------------------


def test_from_config_reads_the_settings_and_defaults_the_rest():
    config = {"SITE_PAGE_MAX_BYTES": 10, "SITE_PAGE_RENDER_SECONDS": 2.5, "SITE_TITLE": "T"}
    assert Limits.from_config(config) == Limits(max_bytes=10, render_seconds=2.5)
    assert Limits.from_config({}) == Limits()


def test_the_site_defaults_are_the_limits_defaults():
    assert Limits.from_config(site_module.DEFAULT_CONFIG) == Limits()


@pytest.mark.parametrize(
    ("setting", "value"),
    [
        ("SITE_PAGE_MAX_BYTES", 0),
        ("SITE_PAGE_MAX_NESTING", -1),
        ("SITE_PAGE_MAX_SCAN", "1000"),
        ("SITE_PAGE_MAX_COPY", True),
        ("SITE_PAGE_MAX_YAML_NODES", 1.5),
        ("SITE_PAGE_RENDER_SECONDS", -1),
    ],
)
def test_from_config_refuses_a_bad_value_by_its_setting(setting, value):
    with pytest.raises(SiteError, match=setting):
        Limits.from_config({setting: value})


# -- front matter ----------------------------------------------------------------------------------


def laughs(levels: int) -> str:
    """The billion laughs: each level a list of nine aliases to the level before."""
    lines = ["a: &a [x, x, x, x, x, x, x, x, x]"]
    for level in range(1, levels):
        name, before = chr(ord("a") + level), chr(ord("a") + level - 1)
        lines.append(f"{name}: &{name} [{', '.join(['*' + before] * 9)}]")
    return "\n".join(lines)


def yaml_values(meta_text: str) -> int:
    """How many values the checks count in ``meta_text``: every node, aliases expanded."""

    def count(value) -> int:
        if isinstance(value, dict):
            return 1 + sum(count(key) + count(item) for key, item in value.items())
        if isinstance(value, list):
            return 1 + sum(map(count, value))
        return 1

    return count(frontmatter.parse(meta_text)[0])


class Fails:
    def __init__(self, *problems: tuple[int, str]) -> None:
        self.problems = problems


# fmt: off
@pytest.mark.parametrize(("meta_text", "expected"), [
    pytest.param("[a]: 1", Fails((2, "a key must be text or a number, not a list")), id="list-key"),
    pytest.param("title: A\n? {x: 1}\n: 2", Fails((3, "a key must be text or a number, not a mapping")), id="mapping-key"),
    pytest.param("[a]: 1\n{b: 2}: 3", Fails((2, "not a list"), (3, "not a mapping")), id="every-bad-key"),
    pytest.param("a: {[x]: 1}", Fails((2, "not a list")), id="nested-list-key"),
    pytest.param("1: x\nnull: y\n2.5: z", ({1: "x", None: "y", 2.5: "z"}, {"1": 2, "null": 3, "2.5": 4}), id="scalar-keys"),
    pytest.param("title: a\x00b", Fails((2, "the control character U+0000: remove it")), id="nul"),
    pytest.param("title: A\nb: \x07", Fails((3, "U+0007")), id="bell"),
    pytest.param("a: b\rc: d", Fails((2, "U+000D")), id="lone-carriage-return"),
    pytest.param("a: \x85", Fails((2, "U+0085")), id="next-line"),
    pytest.param("a: \u2028", Fails((2, "U+2028")), id="line-separator"),
    pytest.param("a: \x7f", Fails((2, "U+007F")), id="delete"),
    pytest.param("a: \ufeffcafé\tok", ({"a": "\ufeffcafé\tok"}, {"a": 2}), id="printable"),
    pytest.param("a: !!binary aGk=", Fails((2, "not !!binary")), id="binary"),
    pytest.param("a: !!timestamp 2024-01-01", Fails((2, "not !!timestamp")), id="timestamp"),
    pytest.param("a: !!set {x}", Fails((2, "not !!set")), id="set"),
    pytest.param("a: !!int abc", Fails((2, "'abc' is not a whole number")), id="bad-int"),
    pytest.param("a: 0x_", Fails((2, "'0x_' is not a whole number")), id="int-without-digits"),
    pytest.param("a: " + "9" * 5000, Fails((2, "'" + "9" * 40 + "…' is not a whole number")), id="too-many-digits"),
    pytest.param("a: !!float abc", Fails((2, "'abc' is not a number")), id="bad-float"),
    pytest.param("a: !!bool maybe", Fails((2, "'maybe' is not true or false")), id="bad-bool"),
    pytest.param("a: !!int [1]", Fails((2, "not valid YAML: expected a scalar node")), id="tag-of-another-kind"),
    pytest.param("b: &b {x: 1}\na:\n  <<: *b", Fails((4, "could not determine a constructor")), id="merge-key"),
    pytest.param("a: &a [*a]", Fails((2, "the value anchored here holds an alias to itself")), id="recursive-list"),
    pytest.param("a: 1\nb: &b\n  c: *b", Fails((3, "holds an alias to itself")), id="recursive-mapping"),
    pytest.param("a: &a [x, y]\nb: *a", ({"a": ["x", "y"], "b": ["x", "y"]}, {"a": 2, "b": 3}), id="alias"),
    pytest.param(laughs(9), Fails((6, "front matter holds 66,430 values here")), id="billion-laughs"),
    pytest.param(laughs(4), (dict.fromkeys("abcd", ...), None), id="laughs-under-the-limit"),
    pytest.param("a: " + "[" * 49 + "]" * 49, ({"a": ...}, {"a": 2}), id="nested-50"),
    pytest.param("a: " + "[" * 50 + "]" * 50, Fails((2, "front matter nests lists and mappings 51 deep")), id="nested-51"),
])
def test_parse(meta_text, expected):
    if isinstance(expected, Fails):
        with pytest.raises((PageProblem, ProblemGroup)) as info:
            frontmatter.parse(meta_text)
        found = info.value.problems if isinstance(info.value, ProblemGroup) else [info.value]
        got = problems_of(found)
        assert len(got) == len(expected.problems), got
        for (line, message), (want_line, fragment) in zip(got, expected.problems, strict=True):
            assert line == want_line and fragment in message, got
        return
    meta, lines = frontmatter.parse(meta_text)
    want_meta, want_lines = expected
    assert meta.keys() == want_meta.keys()
    assert all(want is ... or meta[key] == want for key, want in want_meta.items())
    assert want_lines is None or lines == want_lines
# fmt: on


def test_yaml_values_just_under_and_just_over_the_limit():
    meta_text = laughs(3)  # 1 + 3 keys + 10 + 91 + 820 values
    values = yaml_values(meta_text)
    assert values == 925
    assert frontmatter.parse(meta_text, Limits(max_yaml_nodes=values))
    with pytest.raises(
        PageProblem, match=r"holds 925 values here.*limit 924, set SITE_PAGE_MAX_YAML_NODES"
    ) as info:
        frontmatter.parse(meta_text, Limits(max_yaml_nodes=values - 1))
    assert info.value.line == 2  # the whole front matter: it starts on line 2


def test_yaml_values_refused_at_the_value_that_expands():
    with pytest.raises(PageProblem, match="holds 820 values here") as info:
        frontmatter.parse(laughs(3), Limits(max_yaml_nodes=100))
    assert info.value.line == 4  # c: &c [*b, ...]


def limit_memory() -> None:
    resource.setrlimit(resource.RLIMIT_AS, (2 << 30, 2 << 30))


def test_billion_laughs_fails_a_build_at_once(tmp_path):
    """Without the node limit, the build's cache key walks 9**9 values: minutes, gigabytes."""
    pages = tmp_path / "pages"
    pages.mkdir()
    (pages / "index.md").write_text("---\ntitle: Home\n---\nHello.\n", "utf-8")
    (pages / "laughs.md").write_text(f"---\ntitle: Laughs\n{laughs(9)}\n---\nHa.\n", "utf-8")
    command = build_command(tmp_path, "--no-search")
    command[2:2] = ["--pages", str(pages)]
    result = subprocess.run(
        command, cwd=PROJECT, capture_output=True, text=True, timeout=30, preexec_fn=limit_memory, check=False
    )
    assert result.returncode == 1, result.stderr[-2000:]
    assert "pages/laughs.md:7: front matter holds 66,430 values here" in result.stderr + result.stdout
    assert "SITE_PAGE_MAX_YAML_NODES" in result.stderr + result.stdout


# -- no input makes reading a page file crash ------------------------------------------------------

YAMLISH = [
    "title: ", "date: ", "tags: ", "a: ", "&a ", "*a", "&b [*a, *a, *a]", "[", "]", "{", "}", ", ", ": ",
    "? ", "- ", "\n", "  ", "\t", "!!int ", "!!float ", "!!bool ", "!!binary ", "!!set ", "!!timestamp ",
    "!!omap ", "!!python/object:os.system ", "!foo ", "<<: ", "'", '"', "#", "---", "...", "|", ">",
    "%YAML 1.1\n", "0x_", "0b", "9" * 30, "1:30", ".nan", "~", "yes", "2024-13-45", "\x00", "\x85",
    "\r", "\u2028", "\ufeff", "é", "\\", "\x1b",
]  # fmt: skip
yamlish = st.lists(st.one_of(st.sampled_from(YAMLISH), st.text(max_size=8)), max_size=40).map("".join)
bodies = st.lists(st.sampled_from(["x", "[", "]", "(", ")", "<a ", ">", "```", "\n", "\n\n", "> ", "- "]))
page_files = st.builds(
    lambda meta, body: f"---\n{meta}\n---\n{''.join(body)}".encode("utf-8", "surrogatepass"), yamlish, bodies
)


def reads_or_refuses(data: bytes) -> None:
    try:
        meta, body = frontmatter.read(data)
    except (PageProblem, ProblemGroup):
        return
    assert isinstance(meta, dict) and isinstance(body, str)


@PROPERTY
@given(st.binary(max_size=2000))
def test_read_any_bytes(data):
    reads_or_refuses(data)


@PROPERTY
@given(page_files)
def test_read_any_front_matter(data):
    reads_or_refuses(data)


MARKDOWNISH = [
    "x", " ", "\n", "\n\n", "[", "]", "(", ")", "![", "[^1]", "[^1]: ", "<a ", "<b>", "</b>", ">", "'", '"',
    "```", "~~~", "hl_lines=\"", "*", "_", "`", "\\", "&", "&amp;", "  \n", "> ", "- ", "1. ", "    ", "\t",
    "# ", "|", "---", "<!--", "\r", "\x00", "\x02", "é",
]  # fmt: skip


@settings(max_examples=150, deadline=None, database=None)
@given(st.lists(st.one_of(st.sampled_from(MARKDOWNISH), st.text(max_size=4)), max_size=120).map("".join))
def test_any_markdown_is_checked_and_what_passes_renders(text):
    found = check_body(text, Limits(max_nesting=5, max_scan=3_000, max_copy=30_000))
    assert all(isinstance(problem, PageProblem) for problem in found)
    if not found:
        assert isinstance(RENDERER.render(text).html, str)


RENDERER = Renderer()


# -- the last resorts: Python's stack, memory and the watchdog -------------------------------------


def test_recursion_error_is_a_problem_and_the_renderer_recovers():
    # Emphasis nested 3,000 deep passes every check: only the guard stops it.
    deep = "**a " * 3000 + "b" + " c**" * 3000
    assert check_body(deep, Limits()) == []
    renderer = Renderer()
    with pytest.raises(RenderProblem, match="the page nests too deep to render") as info:
        renderer.render(deep)
    assert info.value.line == 0
    assert "<em>fine</em>" in renderer.render("*fine*").html


def test_a_render_over_time_is_a_problem_naming_the_setting():
    renderer = Renderer(limits=Limits(render_seconds=0.05))
    renderer.markdown.convert = lambda text: time.sleep(30)
    with pytest.raises(
        RenderProblem, match=r"took too long to render \(limit 0.05, set SITE_PAGE_RENDER_SECONDS"
    ):
        renderer.render("x")
    assert "<p>x</p>" in renderer.render("x").html  # a fresh Markdown instance


def test_time_limit_interrupts_the_main_thread_and_restores_the_signal():
    previous = signal.getsignal(signal.SIGALRM)
    with pytest.raises(RenderTimeout), time_limit(0.05):
        time.sleep(30)
    assert signal.getitimer(signal.ITIMER_REAL) == (0.0, 0.0)
    assert signal.getsignal(signal.SIGALRM) is previous


def test_time_limit_does_nothing_elsewhere():
    raised = []

    def sleep_briefly() -> None:
        try:
            with time_limit(0.01):
                time.sleep(0.1)
        except BaseException as error:  # any error at all is the failure
            raised.append(error)

    thread = threading.Thread(target=sleep_briefly)
    thread.start()
    thread.join()
    assert raised == []
    with time_limit(0):
        time.sleep(0.01)


def test_limits_module_names_every_setting():
    assert set(limits.SETTINGS.values()) == {
        "SITE_PAGE_MAX_BYTES",
        "SITE_PAGE_MAX_NESTING",
        "SITE_PAGE_MAX_SCAN",
        "SITE_PAGE_MAX_COPY",
        "SITE_PAGE_MAX_YAML_NODES",
        "SITE_PAGE_RENDER_SECONDS",
    }
