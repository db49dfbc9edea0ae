"""The corpus as a Hugo site, indexed by Pagefind: the static-site generator the issue compares with.

Setup (Debian, as root): ``apt-get install -y hugo`` (0.111 here). Pagefind is the program the
project already installs (the ``pagefind[bin]`` package; ``pagefind.service.get_executable``
finds it, as ``flaskguide/search.py`` does).

``write_site`` copies every page file as it is into ``content/`` (the front matter's title,
date, tags and description read as Hugo's own; ``index.md`` becomes Hugo's ``_index.md``, so a
folder's page is its section page) beside a minimal theme of our own, written here: ``baseof``,
``single``, ``list`` (the home page, sections and tags' pages, listed 20 to a page as the
project's are), ``terms`` (the tags page), a search page and a heading hook that adds the ``#``
link the project adds. Code is highlighted with CSS classes, as the project does. The pages
keep their URLs (``/section/slug/``), so the corpus's relative links resolve as in the project.

A cold build is ``hugo`` into an empty folder with an empty cache, then ``pagefind --site`` on
its output, excluding the ``#`` links as the project does; only pages whose body is marked
``data-pagefind-body`` are indexed, as in the project.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

CONFIG = """\
baseURL = "http://127.0.0.1:5000/"
languageCode = "en"
title = "Flask, benchmarked"
paginate = 20
enableRobotsTXT = true
disableKinds = []

[taxonomies]
  tag = "tags"

[markup.highlight]
  noClasses = false
  guessSyntax = false

[markup.tableOfContents]
  startLevel = 2
  endLevel = 3
"""

LAYOUTS = {
    "_default/baseof.html": """\
<!doctype html>
<html lang="{{ site.LanguageCode }}">
<head>
  <meta charset="utf-8">
  <meta name="viewport" content="width=device-width, initial-scale=1">
  <title>{{ if not .IsHome }}{{ .Title }} · {{ end }}{{ site.Title }}</title>
  <meta name="description" content="{{ with .Description }}{{ . }}{{ else }}{{ site.Title }}{{ end }}">
  <link rel="canonical" href="{{ .Permalink }}">
  {{ with .OutputFormats.Get "rss" }}
  <link rel="alternate" type="application/rss+xml" href="{{ .RelPermalink }}">
  {{ end }}
</head>
<body>
  <header>
    <a href="{{ "/" | relURL }}">{{ site.Title }}</a>
    <form action="{{ "search/" | relURL }}" method="get" role="search">
      <input name="q" type="search" placeholder="Search the guide"><button type="submit">Search</button>
    </form>
    <nav><ul>
      {{ range site.Sections }}<li><a href="{{ .RelPermalink }}">{{ .Title }}</a></li>{{ end }}
    </ul></nav>
  </header>
  <main>{{ block "main" . }}{{ end }}</main>
  <footer><a href="{{ "tags/" | relURL }}">Tags</a></footer>
</body>
</html>
""",
    "_default/single.html": """\
{{ define "main" }}
{{ with .Parent }}<nav class="breadcrumbs"><a href="{{ .RelPermalink }}">{{ .Title }}</a></nav>{{ end }}
<article class="page" data-pagefind-body>
  <h1>{{ .Title }}</h1>
  <p class="page-date">Updated
    <time datetime="{{ .Date.Format "2006-01-02" }}">{{ .Date.Format "2 January 2006" }}</time></p>
  <nav class="toc" data-pagefind-ignore><h2>On this page</h2>{{ .TableOfContents }}</nav>
  {{ .Content }}
  {{ with .GetTerms "tags" }}<ul class="tag-list">
    {{ range . }}<li><a href="{{ .RelPermalink }}">{{ .LinkTitle }}</a></li>{{ end }}
  </ul>{{ end }}
</article>
<nav class="pager">
  {{ with .PrevInSection }}<a rel="prev" href="{{ .RelPermalink }}">{{ .Title }}</a>{{ end }}
  {{ with .NextInSection }}<a rel="next" href="{{ .RelPermalink }}">{{ .Title }}</a>{{ end }}
</nav>
{{ end }}
""",
    "_default/list.html": """\
{{ define "main" }}
{{ $pages := .Pages }}
{{ if .IsHome }}{{ $pages = site.RegularPages }}{{ end }}
{{ $pager := .Paginate $pages }}
{{ if eq $pager.PageNumber 1 }}
<article class="page"{{ if or .IsHome .IsSection }} data-pagefind-body{{ end }}>
  <h1>{{ .Title }}</h1>
  {{ .Content }}
</article>
{{ else }}
<h1>{{ .Title }}, page {{ $pager.PageNumber }}</h1>
{{ end }}
<ul class="page-list">
  {{ range $pager.Pages }}<li><a href="{{ .RelPermalink }}">{{ .Title }}</a><p>{{ .Description }}</p></li>
  {{ end }}
</ul>
{{ template "_internal/pagination.html" . }}
{{ end }}
""",
    "_default/terms.html": """\
{{ define "main" }}
<h1>{{ .Title }}</h1>
<ul class="tag-cloud">
  {{ range .Data.Terms.Alphabetical }}
  <li><a href="{{ .Page.RelPermalink }}">{{ .Page.Title }}</a> ({{ .Count }})</li>
  {{ end }}
</ul>
{{ end }}
""",
    "_default/search.html": """\
{{ define "main" }}
<h1>Search</h1>
<link href="{{ "pagefind/pagefind-ui.css" | relURL }}" rel="stylesheet">
<script src="{{ "pagefind/pagefind-ui.js" | relURL }}"></script>
<div id="search"></div>
<script>window.addEventListener("DOMContentLoaded", () => new PagefindUI({ element: "#search" }));</script>
{{ end }}
""",
    "_default/_markup/render-heading.html": (
        '<h{{ .Level }} id="{{ .Anchor | safeURL }}">{{ .Text | safeHTML }} <a class="heading-link"'
        ' href="#{{ .Anchor | safeURL }}" title="Link to this section">#</a></h{{ .Level }}>\n'
    ),
    "404.html": '{{ define "main" }}<h1>Page not found</h1>{{ end }}\n',
}

SEARCH_PAGE = '---\ntitle: "Search"\nlayout: "search"\n_build:\n  list: never\n---\n'


def program() -> str | None:
    """The ``hugo`` program on PATH, if there is one."""
    return shutil.which("hugo")


def version() -> str:
    done = subprocess.run([program() or "hugo", "version"], capture_output=True, text=True, check=False)
    return done.stdout.strip() or done.stderr.strip()


def pagefind_program() -> str:
    """The Pagefind program the project installs (the ``pagefind[bin]`` package)."""
    from pagefind.service import get_executable  # the project's own dependency

    executable = get_executable()
    if executable is None:
        raise SystemExit("the pagefind program is missing: pip install 'pagefind[bin]'")
    return str(executable)


def content_name(relative: Path) -> Path:
    """Where a page file goes under ``content/``: a folder's ``index.md`` is Hugo's ``_index.md``."""
    return relative.with_name("_index.md") if relative.name == "index.md" else relative


def write_site(pages: Path, site: Path) -> int:
    """Write the Hugo site of the corpus ``pages`` into ``site``; return how many pages it has."""
    for name, text in {"hugo.toml": CONFIG, **{f"layouts/{k}": v for k, v in LAYOUTS.items()}}.items():
        (site / name).parent.mkdir(parents=True, exist_ok=True)
        (site / name).write_text(text, "utf-8")
    count = 0
    for path in sorted(pages.rglob("*.md")):
        target = site / "content" / content_name(path.relative_to(pages))
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(path, target)
        count += 1
    (site / "content" / "search.md").write_text(SEARCH_PAGE, "utf-8")
    return count


def commands(site: Path, out: Path, cache: Path) -> tuple[list[str], list[str]]:
    """Hugo's build of ``site`` into ``out``, then Pagefind's index of ``out``."""
    hugo = [
        program() or "hugo", "--source", str(site), "--destination", str(out),
        "--cacheDir", str(cache), "--noBuildLock", "--quiet",
    ]  # fmt: skip
    pagefind = [pagefind_program(), "--site", str(out), "--exclude-selectors", ".heading-link"]
    return hugo, pagefind


def environment() -> dict[str, str]:
    """The environment without ``HUGO_*`` and ``PAGEFIND_*``, which could change what either does."""
    return {k: v for k, v in os.environ.items() if not k.startswith(("HUGO_", "PAGEFIND_"))}


def clean(site: Path, out: Path, cache: Path) -> None:
    """Leave nothing a previous build made: a cold build starts from the sources alone."""
    for folder in (out, cache, site / "resources"):
        shutil.rmtree(folder, ignore_errors=True)
