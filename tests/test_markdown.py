"""The Markdown authors write, and what readers get: one case a syntax, Markdown in, elements out."""

from __future__ import annotations

import re
from html.parser import HTMLParser

import pytest
from pygments.styles import get_style_by_name
from pygments.token import Comment

from flaskguide import codestyle
from flaskguide.markup import Renderer
from flaskguide.readers import smarten

FENCE = "```"


class Elements(HTMLParser):
    """Each element of a fragment: its tag, its attributes and the text directly inside it."""

    def __init__(self, fragment: str) -> None:
        super().__init__()
        self.found: list[tuple[str, dict, list[str]]] = []
        self.open: list[list[str]] = []
        self.feed(fragment)

    def handle_starttag(self, tag: str, attrs: list) -> None:
        text: list[str] = []
        self.found.append((tag, dict(attrs), text))
        if tag not in {"br", "hr", "img", "input"}:
            self.open.append(text)

    def handle_endtag(self, tag: str) -> None:
        if self.open:
            self.open.pop()

    def handle_data(self, data: str) -> None:
        if self.open:
            self.open[-1].append(data)


def render(markdown: str) -> str:
    return Renderer().render(markdown).html


def find(fragment: str, tag: str, **attributes: str) -> list[tuple[dict, str]]:
    """The elements ``tag`` whose attributes include ``attributes`` (``class_`` for class), with
    their own text."""
    wanted = {name.rstrip("_").replace("_", "-"): value for name, value in attributes.items()}
    return [
        (attrs, "".join(text).strip())
        for found, attrs, text in Elements(fragment).found
        if found == tag and all(attrs.get(name) == value for name, value in wanted.items())
    ]


CALLOUTS = [
    # (Markdown, the element, its attributes, the label a reader sees and a screen reader announces)
    ('!!! note "Heads up"\n    Read this.', "div", {"class": "admonition note", "role": "note"}, "Heads up"),
    ("!!! warning\n    Careful.", "div", {"class": "admonition warning", "role": "note"}, "Warning"),
    ("> [!NOTE]\n> Useful.", "div", {"class": "admonition note", "role": "note"}, "Note"),
    ("> [!TIP]\n> Faster.", "div", {"class": "admonition tip", "role": "note"}, "Tip"),
    ("> [!IMPORTANT]\n> Needed.", "div", {"class": "admonition important", "role": "note"}, "Important"),
    ("> [!WARNING]\n> Risky.", "div", {"class": "admonition warning", "role": "note"}, "Warning"),
    ("> [!CAUTION]\n> Harmful.", "div", {"class": "admonition danger", "role": "note"}, "Caution"),
    ("> [!note]\n> Lower case too.", "div", {"class": "admonition note", "role": "note"}, "Note"),
]


@pytest.mark.parametrize(("markdown", "tag", "attributes", "label"), CALLOUTS)
def test_a_callout_is_one_labelled_note(markdown, tag, attributes, label):
    html = render(markdown)
    [(found, _)] = find(html, tag, class_=attributes["class"])
    assert found["role"] == attributes["role"]
    assert [text for _, text in find(html, "p", class_="admonition-title")] == [label]
    assert "[!" not in html and "!!!" not in html


def test_an_untitled_callout_is_labelled_by_its_kind():
    html = render('!!! tip ""\n    No title shown.')
    [(found, _)] = find(html, "div", class_="admonition tip")
    assert found["aria-label"] == "Tip"
    assert not find(html, "p", class_="admonition-title")


@pytest.mark.parametrize(
    ("markdown", "opened"),
    [('??? note "More"\n    Hidden.', False), ('???+ note "More"\n    Shown.', True)],
)
def test_a_collapsible_callout_is_a_details_element(markdown, opened):
    html = render(markdown)
    [(found, _)] = find(html, "details", class_="admonition note")
    assert ("open" in found) is opened
    assert [text for _, text in find(html, "summary", class_="admonition-title")] == ["More"]


def test_a_fence_carries_line_numbers_highlighted_lines_and_its_file_name():
    html = render(f'{FENCE}python linenums="1" hl_lines="2" title="main.py"\nimport flask\napp = 1\n{FENCE}')
    assert [text for _, text in find(html, "span", class_="filename")] == ["main.py"]
    numbers = [attrs["data-linenos"].strip() for attrs, _ in find(html, "span", class_="linenos")]
    assert numbers == ["1", "2"]
    assert len(find(html, "span", class_="hll")) == 1
    assert find(html, "code") and not find(html, "p")  # a block, not a paragraph of inline code
    # The numbers are attributes, shown by CSS: the text of the block is the code alone.
    code = html[html.index("<code>") : html.index("</code>")]
    assert re.sub("<[^>]+>", "", code) == "import flask\napp = 1\n"


@pytest.mark.parametrize(
    "markdown",
    [
        f'{FENCE}{{.python linenums="3"}}\nx = 1\n{FENCE}',
        f'{FENCE} {{ .python linenums="3" }}\nx = 1\n{FENCE}',
        '~~~python linenums="3"\nx = 1\n~~~',
    ],
)
def test_the_brace_form_and_tilde_fences_keep_working(markdown):
    html = render(markdown)
    assert [attrs["data-linenos"].strip() for attrs, _ in find(html, "span", class_="linenos")] == ["3"]
    assert find(html, "span", class_="n")  # highlighted as Python


def test_a_fence_inside_a_list_and_a_callout_is_still_code():
    html = render(
        f"- item\n\n    {FENCE}python\n    x = 1\n    {FENCE}\n\n!!! note\n    {FENCE}sh\n    ls\n    {FENCE}"
    )
    assert len(find(html, "div", class_="highlight")) == 2


@pytest.mark.parametrize(
    ("markdown", "tag", "attributes", "text"),
    [
        ("## Title {#custom}", "h2", {"id": "custom"}, "Title"),
        ("A lead.\n{: .lead }", "p", {"class": "lead"}, "A lead."),
        ("Term\n:   Its meaning.", "dt", {}, "Term"),
        ("Term\n:   Its meaning.", "dd", {}, "Its meaning."),
    ],
)
def test_attribute_lists_and_definition_lists(markdown, tag, attributes, text):
    assert [found for _, found in find(render(markdown), tag, **attributes)] == [text]


def test_a_table_sits_in_a_frame_that_scrolls_by_keyboard():
    html = render("| A | B |\n|---|---|\n| 1 | 2 |")
    [(frame, _)] = find(html, "div", class_="table-frame")
    assert (frame["role"], frame["aria-label"], frame["tabindex"]) == ("region", "Table", "0")
    assert [attrs["scope"] for attrs, _ in find(html, "th")] == ["col", "col"]
    assert not find(html, "th", scope="row")


def test_an_empty_top_left_header_makes_the_first_column_row_headers():
    html = render("|   | Light | Dark |\n|---|---|---|\n| Text | black | white |\n| Links | blue | sky |")
    assert [text for _, text in find(html, "th", scope="row")] == ["Text", "Links"]
    assert [text for _, text in find(html, "th", scope="col")] == ["Light", "Dark"]
    assert find(html, "td", scope="row") == []


TYPOGRAPHY = [
    # (text, before it on the page, what a reader sees)
    ('"Quoted"', " ", "\u201cQuoted\u201d"),
    ("It's mine", " ", "It\u2019s mine"),
    ("'single'", " ", "\u2018single\u2019"),
    ("the '90s", " ", "the \u201990s"),
    ('"', "x", "\u201d"),  # after a word (or a tag's text): closing
    ('"', " ", "\u201c"),
    ('("inside")', " ", "(\u201cinside\u201d)"),
    ("wait...", " ", "wait\u2026"),
    ("pages 10--20", " ", "pages 10\u201320"),
    ("yes---no", " ", "yes\u2014no"),
    ("run --debug", " ", "run --debug"),  # an option, not a dash
    ("a -- b", " ", "a \u2013 b"),
    ("no change", " ", "no change"),
]


@pytest.mark.parametrize(("text", "before", "expected"), TYPOGRAPHY)
def test_typography(text, before, expected):
    assert smarten(text, before) == expected


def test_typography_leaves_code_and_attributes_alone():
    html = render('Say "hi" -- `"code" --x` and [a link](/x/ "it\'s --x").\n\n    "indented" -- code\n')
    assert "Say \u201chi\u201d \u2013" in html
    assert '<code>"code" --x</code>' in html
    assert '"indented" -- code' in html
    assert 'title="it\'s --x"' in html


def test_the_contents_list_shows_the_heading_as_set():
    rendered = Renderer().render('## It\'s "here"\n\ntext\n\n## Two\n\n## Three')
    assert rendered.toc[0]["name"] == "It\u2019s \u201chere\u201d"


def test_the_sanitiser_still_removes_what_an_author_must_not_write():
    html = render(
        '<div role="note" onclick="x()" tabindex="0">a</div>\n\n<span data-evil="1" data-linenos="2">b</span>'
    )
    assert "onclick" not in html and "data-evil" not in html
    assert 'role="note"' in html


@pytest.mark.parametrize("setting", ["SITE_CODE_STYLE_LIGHT", "SITE_CODE_STYLE_DARK"])
def test_every_code_colour_reaches_4_5_to_1_on_its_background(site, setting):
    name = site.DEFAULT_CONFIG[setting]
    style = get_style_by_name(name)
    backgrounds = {
        "the block": codestyle.rgb(style.background_color),
        "a highlighted line": codestyle.rgb(codestyle.highlighted_line(style)),
    }
    weak = [
        (colour, where, round(codestyle.contrast(codestyle.rgb(colour), background), 2))
        for colour in codestyle.token_colours(style)
        for where, background in backgrounds.items()
        if codestyle.contrast(codestyle.rgb(colour), background) < codestyle.AA
    ]
    assert weak == []
    css = codestyle.style_css(name)
    assert f".highlight {{ color: {codestyle.text_colour(style)}; }}" in css
    assert f".highlight .hll {{ background-color: {codestyle.highlighted_line(style)}; }}" in css
    assert f".highlight [data-linenos]::before {{ color: {codestyle.line_number_colour(style)}; }}" in css


@pytest.mark.parametrize(
    ("colour", "over", "expected"),
    [("#ffffff", "#000000", 21.0), ("#000", "#000000", 1.0), ("#767676", "#ffffff", 4.54)],
)
def test_contrast(colour, over, expected):
    assert round(codestyle.contrast(codestyle.rgb(colour), codestyle.rgb(over)), 2) == expected


def test_a_translucent_highlight_is_blended_until_the_tokens_read():
    style = get_style_by_name("github-light-high-contrast")
    raw = codestyle.rgb(style.highlight_color, over=codestyle.rgb(style.background_color))
    comment = codestyle.rgb("#" + style.style_for_token(Comment)["color"])
    assert codestyle.contrast(comment, raw) < codestyle.AA  # Pygments' own tint fails its comments
    assert codestyle.contrast(comment, codestyle.rgb(codestyle.highlighted_line(style))) >= codestyle.AA


def test_a_heading_link_is_named_for_what_it_does():
    [(link, text)] = find(render("## Setup"), "a", class_="heading-link")
    assert (link["aria-label"], link["href"], text) == ("Link to this section", "#setup", "#")
