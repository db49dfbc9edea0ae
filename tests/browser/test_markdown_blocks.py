"""Callouts, a numbered code block with its copy button, and a wide table, in a real Chromium:
accessible light and dark, wide and at 360 px, usable by keyboard, and readable without JavaScript."""

import re
import textwrap

import pytest

from .conftest import serving

pytestmark = pytest.mark.browser

CODE = textwrap.dedent(
    """\
    from flask import Flask
    app = Flask(__name__)  # the application "app"


    @app.get("/")
    def home():
        return "Hello, <World> & friends..."
    """
).rstrip("\n")
ADMONITIONS = ["note", "tip", "warning", "danger", "important", "caution", "info", "example"]
ALERTS = ["NOTE", "TIP", "IMPORTANT", "WARNING", "CAUTION"]
COLUMNS = ["Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"]


def blocks_page() -> str:
    parts = ["Every kind of block a page may hold.\n"]
    parts += [f'!!! {kind} "An admonition: {kind}"\n    Text of the {kind}.\n' for kind in ADMONITIONS]
    parts.append('??? note "Closed details"\n    Hidden until opened.\n')
    parts.append('???+ warning "Open details"\n    Shown from the start.\n')
    parts += [f"> [!{kind}]\n> A GitHub alert: {kind.lower()}.\n" for kind in ALERTS]
    parts.append(f'```python linenums="1" hl_lines="2" title="main.py"\n{CODE}\n```\n')
    parts.append("```sh\npython site.py build\n```\n")
    parts.append("| | " + " | ".join(COLUMNS) + " |\n" + "| --- " * (len(COLUMNS) + 1) + "|")
    for meal in ("Breakfast", "Lunch"):
        parts.append(
            f"| {meal} | " + " | ".join(f"{meal.lower()}-of-{day.lower()}" for day in COLUMNS) + " |"
        )
    parts.append("\nTerm\n:   Its definition.\n")
    return "\n".join(parts)


@pytest.fixture(scope="module")
def blocks_site(tmp_path_factory):
    """A home page and /blocks/, built and served; yields the URL of /blocks/."""
    from conftest import site_module

    work = tmp_path_factory.mktemp("blocks")
    pages = work / "pages"
    pages.mkdir()
    (pages / "index.md").write_text("---\ntitle: Home\n---\n[The blocks](blocks/)\n", "utf-8")
    front = "title: Blocks\ndescription: Callouts, code and a wide table."
    (pages / "blocks.md").write_text(f"---\n{front}\n---\n{blocks_page()}", "utf-8")
    (work / "site").mkdir()
    config = {"FLATPAGES_ROOT": str(pages), "SITE_CACHE_DIR": str(work / "cache"), "SITE_SEARCH": False}
    with serving(work / "site") as base:
        site_module.build_site(site_module.create_app({**config, "SITE_URL": base}), work / "site")
        yield base + "blocks/"


@pytest.fixture
def tab(playwright_browser):
    """A fresh tab in a context of its own (options as for a browser context); the test fails on
    any error the page raises or logs."""
    contexts, errors = [], []

    def make(**options):
        context = playwright_browser.new_context(**options)
        contexts.append(context)
        page = context.new_page()
        page.on("pageerror", lambda error: errors.append(f"page error: {error}"))
        page.on("console", lambda message: message.type == "error" and errors.append(message.text))
        return page

    yield make
    for context in contexts:
        context.close()
    assert errors == []


def contrast(first: str, second: str) -> float:
    """WCAG contrast ratio of two computed colours (rgb()/rgba(), alpha ignored)."""

    def luminance(colour: str) -> float:
        channels = [int(value) / 255 for value in re.findall(r"[\d.]+", colour)[:3]]
        linear = [c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4 for c in channels]
        return 0.2126 * linear[0] + 0.7152 * linear[1] + 0.0722 * linear[2]

    high, low = sorted((luminance(first), luminance(second)), reverse=True)
    return (high + 0.05) / (low + 0.05)


def tab_to(page, selector: str, limit: int = 80) -> None:
    """Press Tab until the element matching ``selector`` has the focus."""
    for _ in range(limit):
        page.keyboard.press("Tab")
        if page.evaluate("(selector) => document.activeElement.matches(selector)", selector):
            return
    raise AssertionError(f"Tab never reached {selector}")


@pytest.mark.parametrize("scheme", ["light", "dark"])
@pytest.mark.parametrize("width", [1280, 360])
def test_blocks_pass_axe(blocks_site, tab, scheme, width):
    from axe_playwright_python.sync_playwright import Axe

    page = tab(color_scheme=scheme, viewport={"width": width, "height": 800})
    page.goto(blocks_site)
    assert page.locator(".copy-button").count() == 2  # axe sees the page as a reader with JavaScript does
    page.evaluate("document.querySelectorAll('details').forEach((details) => { details.open = true; })")
    results = Axe().run(page)
    assert results.violations_count == 0, results.generate_report()


def test_every_callout_shows_its_kind_by_label_and_icon(blocks_site, tab):
    page = tab()
    page.goto(blocks_site)
    callouts = page.locator(".admonition")
    assert callouts.count() == len(ADMONITIONS) + 2 + len(ALERTS)
    titles = page.locator(".admonition-title").all_inner_texts()
    assert titles[: len(ADMONITIONS)] == [f"An admonition: {kind}" for kind in ADMONITIONS]
    assert titles[-len(ALERTS) :] == [kind.title() for kind in ALERTS]
    icons = page.eval_on_selector_all(
        ".admonition-title",
        "titles => titles.map(title => getComputedStyle(title, '::before').maskImage)",
    )
    assert all(icon.startswith("url(") for icon in icons)
    kinds = dict(zip(ADMONITIONS, icons, strict=False))
    assert len({kinds[kind] for kind in ("note", "tip", "warning", "important", "danger", "example")}) == 6
    assert kinds["caution"] == kinds["danger"] and kinds["info"] == kinds["note"]
    summary = page.locator("details.admonition:not([open]) > summary")
    assert summary.evaluate("summary => getComputedStyle(summary).cursor") == "pointer"
    assert not page.get_by_text("Hidden until opened.").is_visible()
    tab_to(page, "details.admonition:not([open]) > summary")
    outline = summary.evaluate("summary => getComputedStyle(summary).outlineStyle")
    assert outline == "solid"
    page.keyboard.press("Enter")
    assert page.get_by_text("Hidden until opened.").is_visible()


@pytest.mark.parametrize("scheme", ["light", "dark"])
def test_line_numbers_are_readable_and_never_text(blocks_site, tab, scheme):
    page = tab(color_scheme=scheme)
    page.goto(blocks_site)
    block = page.locator(".highlight", has=page.locator(".filename"))
    assert block.locator(".filename").inner_text() == "main.py"
    numbers = block.locator("[data-linenos]")
    assert numbers.count() == len(CODE.splitlines())
    shown = numbers.evaluate_all(
        "spans => spans.map(span => getComputedStyle(span, '::before').content.slice(1, -1).trim())"
    )
    assert shown == [str(number) for number in range(1, len(CODE.splitlines()) + 1)]
    assert block.locator("code").evaluate("code => code.textContent") == CODE + "\n"
    colour, select = numbers.first.evaluate(
        "span => [getComputedStyle(span, '::before').color, getComputedStyle(span, '::before').userSelect]"
    )
    assert select == "none"
    background = block.evaluate("block => getComputedStyle(block).backgroundColor")
    marked = block.locator(".hll")
    assert marked.count() == 1 and marked.inner_text().startswith("app = Flask")
    highlighted = marked.evaluate("line => getComputedStyle(line).backgroundColor")
    assert contrast(colour, background) >= 4.5
    assert contrast(colour, highlighted) >= 4.5
    # Marked by more than a tint: a bar in the margin.
    assert marked.evaluate("line => getComputedStyle(line).borderLeftStyle") == "solid"


def test_360px_page_never_scrolls_sideways_and_the_table_scrolls_in_its_frame(blocks_site, tab):
    page = tab(viewport={"width": 360, "height": 740})
    page.goto(blocks_site)
    scroll, client = page.evaluate(
        "[document.documentElement.scrollWidth, document.documentElement.clientWidth]"
    )
    assert scroll <= client
    frame = page.locator(".table-frame")
    scroll, client = frame.evaluate("frame => [frame.scrollWidth, frame.clientWidth]")
    assert scroll > client
    assert frame.locator('th[scope="row"]').all_inner_texts() == ["Breakfast", "Lunch"]
    tab_to(page, ".table-frame")
    assert frame.evaluate("frame => getComputedStyle(frame).outlineStyle") == "solid"
    assert frame.evaluate("frame => getComputedStyle(frame).borderTopStyle") == "solid"
    page.keyboard.press("ArrowRight")
    page.wait_for_function("document.querySelector('.table-frame').scrollLeft > 0")
    # A code block too wide for the screen takes the focus too (copy.js), so the keyboard scrolls it.
    code = page.locator(".highlight:has(.filename) pre")
    assert code.evaluate("pre => pre.scrollWidth > pre.clientWidth")
    assert code.get_attribute("tabindex") == "0"
    assert page.locator(".highlight:not(:has(.filename)) pre").get_attribute("tabindex") is None


def test_copy_button_copies_the_code_without_line_numbers(blocks_site, tab):
    from playwright.sync_api import expect

    page = tab(permissions=["clipboard-read", "clipboard-write"])
    page.goto(blocks_site)
    buttons = page.get_by_role("button", name="Copy code")
    assert buttons.count() == 2
    tab_to(page, ".highlight:has(.filename) .copy-button")
    page.keyboard.press("Enter")
    status = page.get_by_role("status")
    expect(status).to_have_text("Copied")
    expect(page.locator(".highlight:has(.filename) .copy-button")).to_have_text("Copied")
    assert page.evaluate("navigator.clipboard.readText()") == CODE
    expect(buttons).to_have_count(2, timeout=5_000)  # the label comes back


def test_copy_button_says_so_when_copying_fails(blocks_site, tab):
    from playwright.sync_api import expect

    page = tab()
    page.add_init_script("navigator.clipboard.writeText = () => Promise.reject(new Error('denied'))")
    page.goto(blocks_site)
    page.locator(".copy-button").first.click()
    expect(page.get_by_role("status")).to_have_text(re.compile(r"^Copying failed"))
    expect(page.locator(".copy-button").first).to_have_text("Not copied")


def test_without_javascript_no_button_and_everything_reads(blocks_site, tab):
    page = tab(java_script_enabled=False)
    page.goto(blocks_site)
    assert page.locator(".copy-button").count() == 0
    for kind in ADMONITIONS:
        assert page.get_by_text(f"Text of the {kind}.").is_visible()
    for kind in ALERTS:
        assert page.get_by_text(f"A GitHub alert: {kind.lower()}.").is_visible()
    code = page.locator(".highlight:has(.filename) code")
    assert code.is_visible() and code.text_content() == CODE + "\n"
    assert page.locator(".highlight .filename").is_visible()
    number = code.locator("[data-linenos]").first
    assert number.evaluate("span => getComputedStyle(span, '::before').content") == '"1 "'
