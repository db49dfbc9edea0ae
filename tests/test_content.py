"""What a reader sees in a page: Markdown features, literal Jinja, and the guide's facts."""

import re

import pytest
from conftest import PROJECT

# The tests keep their own copy of the seed content: a checkout has nothing beside it.
SEED_COPY = PROJECT / "tests" / "seed-content.md"
SEED = SEED_COPY.read_text("utf-8")

# The key terms of every fact in the seed content; each must appear on the built site.
FACT_TERMS = [
    "web application framework",
    "third-party library",
    "request",
    "response",
    "Django",
    "full-stack",
    "lightweight",
    "extensible",
    "debate",
    "Python version",
    "simple",
    "heavy",
    "cloud",
    "monolithic",
    "microservices",
    "built-in apps",
    "main.py",
    "instance of the",
    "templates",
    "static",
    "CSS",
    "JavaScript",
    "images",
    "database",
    "Flask-SQLAlchemy",
    "site.py",
    "Flask-FlatPages",
    "Markdown",
]


def seed_urls():
    return re.findall(r"https?://\S+", SEED.split("## 4.")[1])


def test_seed_has_four_resources():
    assert len(seed_urls()) == 4


@pytest.fixture
def built_text(app, site, tmp_path):
    """The text of every page's main content: the header and footer every page shares are left out,
    so that each fact must be taught by a page."""
    site.build_site(app, tmp_path / "out")
    pages = (path.read_text("utf-8") for path in (tmp_path / "out").rglob("*.html"))
    return "\n".join(html.split("<main", 1)[1].split("</main>", 1)[0] for html in pages if "<main" in html)


def test_site_carries_every_fact(built_text):
    text = re.sub(r"\s+", " ", re.sub(r"<[^>]+>", "", built_text))
    missing = [term for term in FACT_TERMS if term.lower() not in text.lower()]
    assert missing == []


def test_resources_page_links_all_four(client):
    html = client.get("/resources/").get_data(as_text=True)
    for url in seed_urls():
        assert f'href="{url}"' in html


def test_jinja_in_a_page_is_shown_as_text(tmp_app, write_page):
    write_page("index.md", "title: Home")
    write_page(
        "tricky.md", "title: Tricky", "Seven sevens are {{ 7*7 }}.\n\n{% for x in y %}loop{% endfor %}\n"
    )
    html = tmp_app.test_client().get("/tricky/").get_data(as_text=True)
    assert "{{ 7*7 }}" in html
    assert "{% for x in y %}" in html
    assert "49" not in html


def test_jinja_in_front_matter_is_shown_as_text(tmp_app, write_page):
    write_page("index.md", "title: Home")
    write_page("tricky.md", "title: '{{ 7*7 }} <b>bold</b>'")
    html = tmp_app.test_client().get("/tricky/").get_data(as_text=True)
    assert "<h1>{{ 7*7 }} &lt;b&gt;bold&lt;/b&gt;</h1>" in html


def test_markdown_features(tmp_app, write_page):
    write_page("index.md", "title: Home")
    write_page(
        "features.md",
        "title: Features",
        """\
        ## A heading

        | a | b |
        |---|---|
        | 1 | 2 |

        A claim.[^1]

        [^1]: The footnote.

        ```python
        def hello():
            return "hi"
        ```
        """,
    )
    html = tmp_app.test_client().get("/features/").get_data(as_text=True)
    assert '<h2 id="a-heading">A heading<a class="heading-link" href="#a-heading"' in html
    assert "<table>" in html and "<td>1</td>" in html
    assert 'class="footnote"' in html and "The footnote." in html
    assert '<div class="highlight"><pre>' in html
    assert '<span class="k">def</span>' in html


def test_code_colours_cover_light_and_dark(client):
    html = client.get("/").get_data(as_text=True)
    css_url = re.search(r'<link rel="stylesheet" href="(/code\.[0-9a-f]{8}\.css)">', html).group(1)
    css = client.get(css_url).get_data(as_text=True)
    light, dark = css.split("@media (prefers-color-scheme: dark)")
    assert ".highlight .k " in light and ".highlight .k " in dark


def test_structure_page_has_highlighted_minimal_app(client):
    html = client.get("/structure/").get_data(as_text=True)
    assert '<div class="highlight">' in html
    assert 'Flask</span><span class="p">(</span><span class="vm">__name__</span>' in html


def test_every_page_has_a_description(site, app):
    pages = site.site_of(app).pages
    with app.app_context():
        missing = [page.path for page in pages if not page.meta.get("description")]
    assert missing == []
