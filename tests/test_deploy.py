"""Deploying: subpath and root builds served by real static servers, relative builds from disk,
fingerprinted assets. Under CI=true a missing nginx is a failure, never a skip."""

import os
import shutil
import socket
import subprocess
import threading
import time
from collections import deque
from html.parser import HTMLParser
from pathlib import Path
from urllib.error import HTTPError
from urllib.parse import unquote, urljoin, urlsplit
from urllib.request import Request, urlopen

import pytest
from conftest import PROJECT

# A deployed site carries its search index: these builds make one.
pytestmark = pytest.mark.search

NGINX = shutil.which("nginx") or "/usr/sbin/nginx"
TYPES = {
    ".html": "text/html",
    ".css": "text/css",
    ".xml": "xml",
    ".svg": "image/svg+xml",
    ".js": "javascript",
}


class Links(HTMLParser):
    def __init__(self):
        super().__init__()
        self.links, self.ids = [], set()

    def handle_starttag(self, tag, attrs):
        for name, value in attrs:
            if name == "id":
                self.ids.add(value)
            elif name in ("href", "src") and value and not value.startswith(("mailto:", "data:")):
                self.links.append(value)


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def fetch(url: str) -> tuple[int, str, bytes]:
    try:
        with urlopen(Request(url), timeout=10) as response:
            return response.status, response.headers.get("Content-Type", ""), response.read()
    except HTTPError as error:
        return error.code, error.headers.get("Content-Type", ""), error.read()


def crawl(start: str) -> dict[str, str]:
    """Follow every link on the site from ``start``; return the problems found, by URL."""
    problems, seen, ids = {}, {start}, {}
    queue, fragments = deque([start]), []
    while queue:
        url = queue.popleft()
        status, content_type, body = fetch(url)
        suffix = Path(urlsplit(url).path).suffix or ".html"
        expected = TYPES.get(suffix)
        if status != 200 or (expected and expected not in content_type):
            problems[url] = f"{status} {content_type}"
            continue
        if suffix != ".html":
            continue
        parser = Links()
        parser.feed(body.decode("utf-8"))
        ids[url] = parser.ids
        for link in parser.links:
            target, _, fragment = urljoin(url, link).partition("#")
            if not target.startswith(start):
                continue
            if fragment:
                fragments.append((url, target, unquote(fragment)))
            if target not in seen:
                seen.add(target)
                queue.append(target)
    for page, target, fragment in fragments:
        if target in ids and fragment not in ids[target]:
            problems[f"{page} -> {target}#{fragment}"] = "no such id"
    assert len(seen) > 20, "the crawl should reach the whole site"
    return problems


def assert_serves_the_site(base: str) -> None:
    assert crawl(base) == {}
    status, content_type, body = fetch(base + "no/such/page/")
    assert status == 404
    assert "text/html" in content_type
    assert b"<h1>Page not found</h1>" in body


def build(site, tmp_path, **config) -> Path:
    out = tmp_path / "site"
    site.build_site(site.create_app(config), out)
    return out


@pytest.fixture
def nginx(tmp_path):
    """Start nginx on 127.0.0.1 with a config written to tmp_path; yields a function to serve a folder."""
    if not os.path.exists(NGINX):
        if os.environ.get("CI") == "true":
            pytest.fail("nginx is not installed (CI=true: the served-site test must run)")
        pytest.skip("nginx is not installed (apt-get install nginx-light)")
    processes = []

    def serve(folder: Path, mount: str) -> str:
        port = free_port()
        conf = tmp_path / "nginx.conf"
        conf.write_text(f"""
daemon off;
master_process off;
error_log {tmp_path}/nginx-error.log;
pid {tmp_path}/nginx.pid;
events {{ worker_connections 64; }}
http {{
    include /etc/nginx/mime.types;
    default_type application/octet-stream;
    access_log off;
    client_body_temp_path {tmp_path}/body;
    proxy_temp_path {tmp_path}/proxy;
    fastcgi_temp_path {tmp_path}/fastcgi;
    uwsgi_temp_path {tmp_path}/uwsgi;
    scgi_temp_path {tmp_path}/scgi;
    server {{
        listen 127.0.0.1:{port};
        location {mount} {{
            alias {folder}/;
            error_page 404 {mount}404.html;
        }}
    }}
}}
""")
        process = subprocess.Popen([NGINX, "-c", str(conf), "-p", str(tmp_path)], stderr=subprocess.PIPE)
        processes.append(process)
        wait_for_port(port, process)
        return f"http://127.0.0.1:{port}{mount}"

    yield serve
    for process in processes:
        process.terminate()
        process.wait(timeout=10)
        process.stderr.close()


def wait_for_port(port: int, process=None) -> None:
    for _ in range(100):
        if process is not None and process.poll() is not None:
            raise RuntimeError(f"server exited: {process.stderr.read().decode()}")
        with socket.socket() as probe:
            if probe.connect_ex(("127.0.0.1", port)) == 0:
                return
        time.sleep(0.05)
    raise RuntimeError(f"nothing listens on port {port}")


def test_subpath_build_served_by_nginx(site, nginx, tmp_path):
    out = build(site, tmp_path, SITE_URL="https://example.github.io/flask-guide/")
    base = nginx(out, "/flask-guide/")
    assert_serves_the_site(base)
    status, _, body = fetch(base + "sitemap.xml")
    assert status == 200 and b"<loc>https://example.github.io/flask-guide/why-flask/</loc>" in body
    _, _, page = fetch(base + "why-flask/")
    assert b'<link rel="canonical" href="https://example.github.io/flask-guide/why-flask/">' in page


def test_root_build_served_as_a_static_host_would(site, tmp_path):
    from flaskguide.hosting import make_server

    out = build(site, tmp_path, SITE_URL="https://guide.example.org/")
    server = make_server(out, "127.0.0.1", 0)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        base = f"http://127.0.0.1:{server.server_port}/"
        assert_serves_the_site(base)
        status, content_type, _ = fetch(base + "feed.xml")
        assert status == 200 and content_type == "application/xml"
        with urlopen(base + "why-flask") as response:  # a folder without its slash is redirected
            assert response.url == base + "why-flask/"
    finally:
        server.shutdown()
        server.server_close()


def test_relative_build_works_from_disk(site, tmp_path):
    out = build(site, tmp_path, SITE_RELATIVE=True)
    problems, seen = [], 0
    for page in out.rglob("*.html"):
        if "pagefind" in page.parts:
            continue
        parser = Links()
        parser.feed(page.read_text("utf-8"))
        for link in parser.links:
            if link.startswith(("http://", "https://", "#")):
                continue
            seen += 1
            target = Path(unquote(urlsplit(urljoin(page.as_uri(), link)).path))
            if link.startswith("/") or not target.is_file():
                problems.append(f"{page.relative_to(out)}: {link}")
    assert seen > 100
    assert problems == []


def test_fingerprints_change_with_the_asset_and_leave_no_stale_copy(tmp_path):
    project = tmp_path / "project"
    project.mkdir()
    for name in ("site.py", "flaskguide", "templates", "static", "pages"):
        source = PROJECT / name
        (shutil.copytree if source.is_dir() else shutil.copy)(source, project / name)
    run = [os.sys.executable, "site.py", "build"]

    def stylesheets() -> list[str]:
        return sorted(path.name for path in (project / "build/static/css").iterdir())

    subprocess.run(run, cwd=project, check=True, capture_output=True)
    before = stylesheets()
    html = (project / "build/index.html").read_text("utf-8")
    assert len(before) == 1 and before[0] in html
    with open(project / "static/css/site.css", "a") as css:
        css.write("\nbody { letter-spacing: 0.01em; }\n")
    subprocess.run(run, cwd=project, check=True, capture_output=True)
    after = stylesheets()
    assert len(after) == 1 and after != before
    assert after[0] in (project / "build/index.html").read_text("utf-8")
