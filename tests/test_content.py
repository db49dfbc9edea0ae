"""What a reader sees in a page: Markdown features, literal Jinja, and the guide's facts."""

import re
from html import unescape

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

# What the guide adds for a beginner: a first run, a working structure sample, the everyday tools,
# and the caveats of older tutorials. Each must be taught by a page too.
GUIDE_TERMS = [
    "virtual environment",
    "python3 -m venv .venv",
    ".venv\\Scripts\\activate",
    "externally-managed-environment",
    "flask --app hello run --debug",
    "flask --app main run --debug",
    "http://127.0.0.1:5000/",
    "Ctrl",
    "404",
    '{% extends "base.html" %}',
    "{% block content %}",
    "escape(name)",
    "request.form",
    "redirect(url_for(",
    "abort(404)",
    "JSON",
    "WSGI server",
    "Gunicorn",
    "Waitress",
    "reverse proxy",
    "FLASK_ENV",
    "Flask 2.3",
    "Heroku",
    "November 2022",
    "flaskguide/",
]

PAGES = PROJECT / "pages"
OFFICIAL_TUTORIAL = "https://flask.palletsprojects.com/en/stable/tutorial/"


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


def page_text(html: str) -> str:
    """The text of some HTML, its entities decoded and its spaces collapsed."""
    return re.sub(r"\s+", " ", unescape(re.sub(r"<[^>]+>", "", html)))


def main_of(html: str) -> str:
    return html.split("<main", 1)[1].split("</main>", 1)[0]


def test_site_carries_every_fact(built_text):
    text = page_text(built_text)
    missing = [term for term in FACT_TERMS + GUIDE_TERMS if term.lower() not in text.lower()]
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
    heading = re.search(r'<h2 id="a-heading">A heading(<a [^>]*>)#</a></h2>', html)
    assert heading and 'class="heading-link"' in heading[1] and 'href="#a-heading"' in heading[1]
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


# --- The guide's own pages ---------------------------------------------------------------------


def test_home_page_invites_the_reader_in_and_links_every_topic(client):
    html = main_of(client.get("/").get_data(as_text=True))
    assert re.search(r'Start with: <a href="what-is-flask/">What is Flask\?</a>', html)
    for url in ("what-is-flask/", "first-app/", "why-flask/", "structure/", "in-practice/", "resources/",
                "structure/this-site/"):  # fmt: skip
        assert f'href="{url}"' in html, url


def test_first_app_page_runs_an_app_from_an_empty_folder(client):
    html = client.get("/first-app/").get_data(as_text=True)
    text = page_text(main_of(html))
    for step in ("python3 -m venv .venv", ". .venv/bin/activate", "python -m pip install flask",
                 '<span class="filename">hello.py</span>', "flask --app hello run --debug", "http://127.0.0.1:5000/", "Ctrl"):  # fmt: skip
        assert step in text or step in html, step
    assert (
        text.index("python3 -m venv") < text.index("pip install flask") < text.index("flask --app hello run")
    )


def test_pages_show_no_python_that_is_not_a_sample_file():
    """Every Python block is a file of its page's sample app: captioned with its name."""
    untitled = [
        f"{path.relative_to(PAGES)}:{number}"
        for path in sorted(PAGES.rglob("*.md"))
        for number, line in enumerate(path.read_text("utf-8").splitlines(), 1)
        if re.match(r"^\s*(```|~~~)\s*\{?\.?(python|py)\b", line) and "title=" not in line
    ]
    assert untitled == []


def test_structure_page_shows_every_file_its_sample_needs(client):
    html = client.get("/structure/").get_data(as_text=True)
    for name in ("main.py", "templates/base.html", "templates/home.html", "static/style.css"):
        assert f'<span class="filename">{name}</span>' in html, name
    text = page_text(main_of(html))
    assert '{% extends "base.html" %}' in text and "flask --app main run --debug" in text


def test_worked_example_shows_the_real_tree(client):
    text = page_text(main_of(client.get("/structure/this-site/").get_data(as_text=True)))
    modules = sorted(path.name for path in (PROJECT / "flaskguide").glob("*.py"))
    missing = [name for name in modules if name not in text]
    assert missing == [], "pages/structure/this-site.md leaves out modules of flaskguide/"
    for name in ("site.py", "flaskguide/", "pages/", "templates/", "static/", "tests/", "bench/", ".github/",
                 "pyproject.toml"):  # fmt: skip
        assert name in text, name
    assert "all of the python lives" not in text.lower()


def test_resources_put_the_official_tutorial_first_and_say_what_is_dated(client):
    html = main_of(client.get("/resources/").get_data(as_text=True))
    first = html.index(f'href="{OFFICIAL_TUTORIAL}"')
    assert all(first < html.index(f'href="{url}"') for url in seed_urls())
    warnings = re.findall(r'<div class="admonition warning"[^>]*>(.*?)</div>', html, re.S)
    assert any("FLASK_ENV" in warning and "2.3" in warning and "--debug" in warning for warning in warnings)
    assert any("Heroku" in warning and "November 2022" in warning for warning in warnings)
    text = page_text(html)
    for kind in (
        "Video, on YouTube",
        "Article, on freeCodeCamp",
        "Article, on Medium",
        "Collection, on Real Python",
    ):
        assert kind in text, kind
