"""A seeded generator of a realistic Markdown corpus for benchmarking the site build.

``python bench/corpus.py --pages N --seed S [--shape sections|flat|folder] --out DIR`` writes
``DIR/pages/``. The pages are planned as a home page, about twenty sections (each with its own
page) and leaf pages dealt over them; the shape only decides where their files go:

- ``sections`` (the default): a folder per section holding its ``index.md`` and its leaf pages,
  published at ``/section-x/page-slug/``;
- ``flat``: every page at the top of ``pages/`` beside ``index.md`` (a section's page becomes
  ``pages/section-x.md``), as a blog without folders is;
- ``folder``: every page in ``pages/posts/``, which gets an ``index.md`` of its own (one file more
  than ``--pages``, written from a random stream of its own).

The shapes hold the same pages, word for word: only the relative links differ, each written to
reach the same page from where the shape puts it. The same pages, seed and shape always give the
same bytes: every choice comes from one ``random.Random(seed)`` walking sorted lists, never from
dict, set or hash order, and the shape draws nothing from it.
"""

from __future__ import annotations

import argparse
import datetime
import itertools
import json
import posixpath
import random
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

SECTION_COUNT = 20
SHAPES = ("sections", "flat", "folder")
POSTS = "posts"  # the one folder of the "folder" shape
FIRST_DATE = datetime.date(2020, 1, 1)
LAST_DATE = datetime.date(2025, 12, 31)

SECTION_NAMES = [
    "getting-started", "routing", "request-handling", "responses", "jinja-templates", "forms",
    "databases", "authentication", "blueprints", "configuration", "testing", "deployment",
    "performance", "security", "async-views", "command-line", "extensions", "api-design",
    "background-jobs", "observability", "internationalisation", "caching", "websockets", "packaging",
]  # fmt: skip

TAGS = [
    "flask", "python", "jinja", "routing", "forms", "sqlalchemy", "testing", "pytest", "deployment",
    "docker", "nginx", "gunicorn", "security", "csrf", "sessions", "cookies", "json", "rest",
    "graphql", "async", "celery", "redis", "caching", "logging", "config", "blueprints", "cli",
    "packaging", "typing", "performance", "i18n", "websockets", "oauth",
    "C#", "why?", "a/b", "café", "Big Data", "Node.js", "HTTP/2",
]  # fmt: skip

TOPICS = [
    "Routes", "Views", "Templates", "Forms", "Sessions", "Cookies", "Blueprints", "Signals",
    "Error Handlers", "Static Files", "Configuration", "Logging", "Testing", "Fixtures", "Migrations",
    "Models", "Queries", "Caching", "Rate Limits", "Uploads", "Downloads", "Streaming", "Redirects",
    "Middleware", "Context Locals", "Application Factories", "Extensions", "Commands", "Tokens",
    "Permissions", "Pagination", "Background Tasks", "Health Checks", "Metrics", "Feature Flags",
]  # fmt: skip

TITLE_FORMS = [
    "{topic} in Practice", "Understanding {topic}", "A Short Tour of {topic}", "{topic}: Common Pitfalls",
    "Working with {topic}", "{topic} and {other}", "Debugging {topic}", "{topic} Step by Step",
    "When to Use {topic}", "Testing {topic}", "{topic} Without Surprises", "Scaling {topic}",
]  # fmt: skip

WORDS = [
    "the",
    "a",
    "an",
    "application",
    "request",
    "response",
    "route",
    "view",
    "template",
    "context",
    "session",
    "cookie",
    "header",
    "body",
    "server",
    "client",
    "browser",
    "user",
    "data",
    "value",
    "key",
    "function",
    "class",
    "method",
    "module",
    "package",
    "object",
    "instance",
    "handler",
    "error",
    "exception",
    "test",
    "fixture",
    "database",
    "query",
    "model",
    "table",
    "column",
    "index",
    "record",
    "cache",
    "configuration",
    "setting",
    "environment",
    "variable",
    "file",
    "folder",
    "path",
    "url",
    "endpoint",
    "argument",
    "parameter",
    "decorator",
    "blueprint",
    "extension",
    "signal",
    "worker",
    "process",
    "thread",
    "queue",
    "task",
    "job",
    "schedule",
    "log",
    "message",
    "level",
    "format",
    "string",
    "number",
    "list",
    "dictionary",
    "mapping",
    "result",
    "return",
    "call",
    "register",
    "render",
    "redirect",
    "abort",
    "raise",
    "handle",
    "catch",
    "validate",
    "parse",
    "serialise",
    "load",
    "save",
    "read",
    "write",
    "update",
    "delete",
    "create",
    "simple",
    "small",
    "large",
    "fast",
    "slow",
    "safe",
    "secure",
    "explicit",
    "implicit",
    "default",
    "custom",
    "common",
    "useful",
    "careful",
    "each",
    "every",
    "many",
    "some",
    "most",
    "few",
    "other",
    "same",
    "different",
    "new",
    "old",
    "first",
    "last",
    "next",
    "previous",
    "whole",
    "when",
    "while",
    "because",
    "although",
    "before",
    "after",
    "during",
    "until",
    "unless",
    "since",
    "so",
    "then",
    "also",
    "only",
    "just",
    "often",
    "usually",
    "sometimes",
    "rarely",
    "always",
    "never",
    "quickly",
    "easily",
    "clearly",
    "directly",
    "carefully",
    "later",
    "is",
    "are",
    "was",
    "be",
    "can",
    "should",
    "must",
    "may",
    "will",
    "would",
    "could",
    "does",
    "do",
    "has",
    "have",
    "keeps",
    "makes",
    "lets",
    "needs",
    "uses",
    "runs",
    "calls",
    "builds",
    "sends",
    "returns",
    "reads",
    "writes",
    "stores",
    "checks",
    "finds",
    "shows",
    "gives",
    "takes",
    "starts",
]

LINK_WORDS = ["this guide", "the previous page", "a related topic", "the reference", "an example",
              "the section on it", "the details", "a longer explanation", "the overview"]  # fmt: skip

EXTERNAL_LINKS = [
    "https://flask.palletsprojects.com/en/stable/",
    "https://jinja.palletsprojects.com/en/stable/templates/",
    "https://werkzeug.palletsprojects.com/en/stable/routing/",
    "https://docs.python.org/3/library/functools.html",
    "https://peps.python.org/pep-0008/",
    "https://www.sqlalchemy.org/",
    "https://pytest.org/",
    "https://developer.mozilla.org/en-US/docs/Web/HTTP/Headers",
    "https://pythonhosted.org/Frozen-Flask/",
    "https://flask-flatpages.readthedocs.io/en/latest/",
]


@dataclass
class PageSpec:
    """One page to write: where it lives, its front matter and the pages it may link to."""

    section: str  # the section it belongs to, "" for the home page
    slug: str  # "index" for home and section pages
    title: str
    order: int
    links: list[str] = field(default_factory=list)  # relative URLs that resolve from this page
    folder: str = ""  # where the shape puts its file, "" for the top of pages/
    name: str = ""  # the file's stem, set with ``folder`` by ``lay_out``

    @property
    def relpath(self) -> str:
        return f"{self.folder}/{self.name}.md" if self.folder else f"{self.name}.md"


# -- text ----------------------------------------------------------------------


def slugify(text: str) -> str:
    """Lower-case ASCII words joined by hyphens."""
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")


def sentence(rng: random.Random, links: list[str]) -> str:
    """One sentence of 8-20 words, sometimes with inline code, emphasis or a link."""
    words = [rng.choice(WORDS) for _ in range(rng.randint(8, 20))]
    roll = rng.random()
    at = rng.randrange(1, len(words))
    if roll < 0.12:
        words[at] = f"`{rng.choice(WORDS)}_{rng.choice(WORDS)}()`"
    elif roll < 0.20:
        words[at] = f"**{words[at]}**"
    elif roll < 0.30 and links:
        words[at] = f"[{rng.choice(LINK_WORDS)}]({rng.choice(links)})"
    elif roll < 0.34:
        words[at] = f"[the documentation]({rng.choice(EXTERNAL_LINKS)})"
    text = " ".join(words)
    return text[0].upper() + text[1:] + rng.choice([".", ".", ".", "?"])


def paragraph(rng: random.Random, links: list[str]) -> str:
    return " ".join(sentence(rng, links) for _ in range(rng.randint(3, 6)))


def word_count(text: str) -> int:
    return len(text.split())


def list_item(rng: random.Random, links: list[str]) -> str:
    """A short phrase, sometimes ending in a link."""
    text = " ".join(rng.choice(WORDS) for _ in range(rng.randint(4, 12)))
    if links and rng.random() < 0.25:
        text += f", see [{rng.choice(LINK_WORDS)}]({rng.choice(links)})"
    return text[0].upper() + text[1:]


def bullet_list(rng: random.Random, links: list[str]) -> str:
    """A bullet list or a numbered list of 3-6 items."""
    numbered = rng.random() < 0.4
    items = [list_item(rng, links) for _ in range(rng.randint(3, 6))]
    return "\n".join(f"{n}. {item}" if numbered else f"- {item}" for n, item in enumerate(items, start=1))


def identifier(rng: random.Random) -> str:
    return f"{rng.choice(WORDS)}_{rng.choice(WORDS)}".replace("-", "_")


def python_block(rng: random.Random) -> str:
    name, arg, route = identifier(rng), rng.choice(WORDS), slugify(rng.choice(TOPICS))
    return f"""from flask import Flask, jsonify, request

app = Flask(__name__)


@app.route("/{route}/<int:{arg}_id>", methods=["GET", "POST"])
def {name}({arg}_id: int):
    \"\"\"Return the {arg} as JSON, or 404 when it is missing.\"\"\"
    found = {{"id": {arg}_id, "name": request.args.get("name", "{rng.choice(WORDS)}")}}
    if {arg}_id > {rng.randint(10, 999)}:
        return jsonify(error="not found"), 404
    return jsonify(found)"""


def bash_block(rng: random.Random) -> str:
    folder = rng.choice(SECTION_NAMES)
    return f"""python -m venv .venv
. .venv/bin/activate
pip install flask=={rng.randint(2, 3)}.{rng.randint(0, 9)}
export FLASK_APP={folder.replace("-", "_")}
flask run --port {rng.randint(5000, 9000)} --debug  # reloads on change"""


def json_block(rng: random.Random) -> str:
    data = {
        "name": rng.choice(TOPICS),
        "enabled": rng.random() < 0.5,
        "retries": rng.randint(0, 9),
        "tags": [rng.choice(TAGS) for _ in range(3)],
        "limits": {"per_minute": rng.randint(10, 600), "burst": rng.randint(1, 50)},
    }
    return json.dumps(data, indent=2, ensure_ascii=False)


def html_block(rng: random.Random) -> str:
    word = rng.choice(WORDS)
    return f"""<form method="post" action="/{word}/">
  <label for="{word}">{word.title()}</label>
  <input id="{word}" name="{word}" type="text" required>
  <button type="submit">Save</button>
</form>"""


CODE_BLOCKS = [("python", python_block), ("bash", bash_block), ("json", json_block), ("html", html_block)]


def code_block(rng: random.Random) -> str:
    language, make = rng.choice(CODE_BLOCKS)
    return f"```{language}\n{make(rng)}\n```"


def table(rng: random.Random) -> str:
    header = "| Option | Default | Meaning |\n| --- | :---: | --- |"
    rows = [
        f"| `{identifier(rng).upper()}` | `{rng.choice(['None', 'True', 'False', str(rng.randint(1, 99))])}` "
        f"| {' '.join(rng.choice(WORDS) for _ in range(rng.randint(4, 9)))} |"
        for _ in range(rng.randint(3, 6))
    ]
    return "\n".join([header, *rows])


def sections(rng: random.Random, links: list[str]) -> Iterator[str]:
    """An endless run of blocks: ``##`` sections with text, code, lists, a ``###`` and one table."""
    yield paragraph(rng, links)
    table_at = rng.randint(1, 3)
    for number in itertools.count(1):
        yield f"## {rng.choice(TITLE_FORMS).format(topic=rng.choice(TOPICS), other=rng.choice(TOPICS))}"
        yield paragraph(rng, links)
        if number % 2:
            yield code_block(rng)
        yield bullet_list(rng, links)
        if number == table_at:
            yield table(rng)
        yield f"### {rng.choice(TOPICS)} {rng.choice(['notes', 'details', 'in short'])}"
        for _ in range(rng.randint(1, 3)):
            yield paragraph(rng, links)


def body(rng: random.Random, links: list[str]) -> str:
    """800-1500 words: blocks from ``sections`` until a target drawn from that range is reached."""
    target = rng.randint(800, 1380)  # the last block may add up to ~120 words
    blocks, words = [], 0
    for block in sections(rng, links):
        if words >= target and not block.startswith("#"):
            break
        blocks.append(block)
        words += word_count(block)
    while blocks[-1].startswith("#"):  # never end on a heading
        words -= word_count(blocks.pop())
    return "\n\n".join(blocks) + "\n"


# -- pages ---------------------------------------------------------------------


def title_for(rng: random.Random) -> str:
    form = rng.choice(TITLE_FORMS)
    topic, other = rng.sample(TOPICS, 2)
    return form.format(topic=topic, other=other)


def plan(pages: int, rng: random.Random, shape: str = "sections") -> list[PageSpec]:
    """Decide every page's section, title, file and links: home, section pages, then leaf pages."""
    sections = min(SECTION_COUNT, max(1, (pages - 1) // 10))
    folders = SECTION_NAMES[:sections]
    specs = [PageSpec("", "index", "Flask, benchmarked", 0)]
    specs += [
        PageSpec(folder, "index", folder.replace("-", " ").title(), n) for n, folder in enumerate(folders)
    ]
    used: set[str] = set()
    for n in range(max(0, pages - len(specs))):
        title = title_for(rng)
        slug = slugify(title)
        if slug in used:
            slug = f"{slug}-{n}"
        used.add(slug)
        specs.append(PageSpec(folders[n % sections], slug, title, n // sections + 1))
    lay_out(specs, shape)
    add_links(specs, rng)
    return specs[:pages] if pages > 0 else []


def place(spec: PageSpec, shape: str) -> tuple[str, str]:
    """The folder and file stem ``shape`` gives a page (the home page is ``index.md`` in all)."""
    if shape not in SHAPES:
        raise ValueError(f"unknown shape {shape!r}: choose from {', '.join(SHAPES)}")
    if shape == "sections" or not spec.section:
        return spec.section, spec.slug
    # Outside its folder, a section's page is a page like the others, named for the section.
    name = spec.section if spec.slug == "index" else spec.slug
    return ("" if shape == "flat" else POSTS), name


def lay_out(specs: list[PageSpec], shape: str) -> None:
    """Give every page its file; two pages in one file would make the corpus smaller than asked."""
    for spec in specs:
        spec.folder, spec.name = place(spec, shape)
    paths = [spec.relpath for spec in specs]
    if len(set(paths)) != len(paths):
        raise ValueError(f"the {shape} shape puts two pages in one file")


def url_of(spec: PageSpec) -> str:
    """The site path of a page, without slashes around it ('' for home)."""
    return "/".join(part for part in (spec.folder, "" if spec.name == "index" else spec.name) if part)


def relative(source: PageSpec, target: PageSpec) -> str:
    """A link from ``source``'s URL to ``target``'s: ``../other-slug/``, ``../../section/slug/``."""
    return posixpath.relpath(url_of(target) or ".", url_of(source) or ".") + "/"


def add_links(specs: list[PageSpec], rng: random.Random) -> None:
    """Give each page a handful of links: mostly siblings, some to other sections."""
    leaves = [spec for spec in specs if spec.slug != "index"]
    by_section: dict[str, list[PageSpec]] = {}
    for spec in leaves:
        by_section.setdefault(spec.section, []).append(spec)
    for spec in specs:
        siblings = by_section.get(spec.section, []) if spec.section else []
        if spec.slug == "index":  # a section lists its pages; home lists sections
            targets = siblings if spec.section else [s for s in specs if s.section and s.slug == "index"]
        else:
            targets = rng.sample(siblings, min(4, len(siblings))) + rng.sample(leaves, min(2, len(leaves)))
        spec.links = [relative(spec, target) for target in targets if target is not spec]


def front_matter(spec: PageSpec, rng: random.Random) -> str:
    day = FIRST_DATE + datetime.timedelta(days=rng.randrange((LAST_DATE - FIRST_DATE).days + 1))
    tags = rng.sample(TAGS, rng.randint(1, 4))
    description = sentence(rng, [])
    lines = [
        f"title: {json.dumps(spec.title, ensure_ascii=False)}",
        f"description: {json.dumps(description, ensure_ascii=False)}",
        f"date: {day.isoformat()}",
        f"tags: {json.dumps(tags, ensure_ascii=False)}",
        f"order: {spec.order}",
    ]
    return "---\n" + "\n".join(lines) + "\n---\n\n"


def index_body(spec: PageSpec, rng: random.Random) -> str:
    """A section or home page: an introduction and a list of links to what it contains."""
    listed = "\n".join(
        f"- [{link.strip('./').split('/')[-1].replace('-', ' ')}]({link})" for link in spec.links
    )
    return f"{paragraph(rng, [])}\n\n## Contents\n\n{listed}\n\n{paragraph(rng, [])}\n"


def render(spec: PageSpec, rng: random.Random) -> str:
    text = index_body(spec, rng) if spec.slug == "index" else body(rng, spec.links)
    return front_matter(spec, rng) + text


def posts_index(specs: list[PageSpec], seed: int) -> PageSpec:
    """The "folder" shape's ``posts/index.md``, listing the section pages as the home page does."""
    spec = PageSpec("", "index", "Posts", 0, folder=POSTS, name="index")
    spec.links = [relative(spec, target) for target in specs if target.section and target.slug == "index"]
    return spec


def generate(out_dir: str | Path, pages: int, seed: int = 0, shape: str = "sections") -> list[Path]:
    """Write ``pages`` Markdown files under ``out_dir/pages/`` (one more for "folder"); return their
    paths."""
    rng = random.Random(seed)
    root = Path(out_dir) / "pages"
    written = []
    specs = plan(pages, rng, shape)
    for spec in specs:
        written.append(write_page(root / spec.relpath, render(spec, rng)))
    if shape == "folder":
        spec = posts_index(specs, seed)
        # Its own stream: the other pages stay as the other shapes write them.
        written.append(write_page(root / spec.relpath, render(spec, random.Random(f"posts-{seed}"))))
    return written


def write_page(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


def page_to_edit(out_dir: str | Path, seed: int = 0) -> Path:
    """The leaf page ``edit_one`` edits: the same page, chosen by ``seed``, in every shape.

    Sorted by file name (slugs are unique across the corpus), a page has the same place among
    the candidates wherever the shape puts it; a section's own page is never one."""
    root = Path(out_dir) / "pages"
    leaves = [
        path for path in root.rglob("*.md") if path.name != "index.md" and path.stem not in SECTION_NAMES
    ]
    candidates = sorted(leaves or root.rglob("*.md"), key=lambda path: (path.name, path))
    return random.Random(f"edit-{seed}").choice(candidates)


def edit_page(path: Path, seed: int = 0) -> Path:
    """Append a paragraph (the same one for the same ``seed``) to the body of the page at ``path``."""
    rng = random.Random(f"edit-text-{seed}")
    with path.open("a", encoding="utf-8") as handle:
        handle.write(f"\n{paragraph(rng, [])}\n")
    return path


def edit_one(out_dir: str | Path, seed: int = 0) -> Path:
    """Append a paragraph to the body of one leaf page (chosen by ``seed``); return its path."""
    return edit_page(page_to_edit(out_dir, seed), seed)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pages", type=int, required=True, help="number of page files to write")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--shape", choices=SHAPES, default="sections", help="where the files go")
    parser.add_argument("--out", type=Path, required=True, help="folder to write pages/ into")
    args = parser.parse_args()
    paths = generate(args.out, args.pages, args.seed, args.shape)
    size = sum(path.stat().st_size for path in paths)
    print(f"wrote {len(paths)} pages, {size / 1024:.0f} KB, into {args.out / 'pages'}")


if __name__ == "__main__":
    main()
