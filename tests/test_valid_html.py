"""Every page of the guide is valid HTML: parsed by html5lib, the HTML standard's own parsing
algorithm in Python, in its strict mode, which stops at the first parse error; and no id is used
twice, no page has other than one <h1>."""

from __future__ import annotations

import re
from collections import Counter

import html5lib
import pytest
from html5lib.html5parser import ParseError

IDS = re.compile(r'\sid="([^"]*)"')


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    from conftest import site_module

    out = tmp_path_factory.mktemp("valid") / "out"
    cache = tmp_path_factory.mktemp("valid-cache")
    site_module.build_site(site_module.create_app({"SITE_CACHE_DIR": str(cache), "SITE_SEARCH": False}), out)
    return out


def test_every_page_parses_without_an_error(built):
    problems = []
    pages = sorted(built.rglob("*.html"))
    assert len(pages) > 10
    for page in pages:
        parser = html5lib.HTMLParser(strict=True, namespaceHTMLElements=False)
        try:
            parser.parse(page.read_bytes())
        except ParseError as error:
            problems.append(f"{page.relative_to(built)}: {error}")
    assert problems == []


def test_no_id_is_used_twice_and_each_page_has_one_title(built):
    problems = []
    for page in sorted(built.rglob("*.html")):
        html = page.read_text("utf-8")
        twice = [name for name, count in Counter(IDS.findall(html)).items() if count > 1]
        if twice:
            problems.append(f"{page.relative_to(built)}: ids used twice: {twice}")
        if 'http-equiv="refresh"' not in html and html.count("<h1") != 1:
            problems.append(f"{page.relative_to(built)}: {html.count('<h1')} <h1> elements")
    assert problems == []


def test_the_strict_parser_finds_an_error():
    with pytest.raises(ParseError):
        html5lib.HTMLParser(strict=True).parse("<!doctype html><p>unclosed <b>tags</p></i>")
