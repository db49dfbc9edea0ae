"""``check --fetch`` requests the external links, against a server on 127.0.0.1: never the internet."""

import http.server
import threading
import time
from urllib.parse import urlsplit

import pytest

from flaskguide import check
from flaskguide.check import fetch_external

ANSWERS = {"/ok": 200, "/gone": 404, "/robots": 403, "/busy": 429, "/broken": 500}


class Handler(http.server.BaseHTTPRequestHandler):
    """Answers by path; ``/no-head`` refuses HEAD (405) and answers GET; ``/slow`` takes 2 s."""

    requests: list[tuple[str, str]]  # set on the server's own subclass

    def do_HEAD(self) -> None:
        self.answer("HEAD")

    def do_GET(self) -> None:
        self.answer("GET")

    def answer(self, method: str) -> None:
        self.requests.append((method, self.path))
        if self.path == "/slow":
            time.sleep(2)
        status = 405 if (self.path == "/no-head" and method == "HEAD") else ANSWERS.get(self.path, 200)
        self.send_response(status)
        self.send_header("Content-Length", "2")
        self.end_headers()
        if method == "GET":
            self.wfile.write(b"ok")

    def log_message(self, *args) -> None:
        pass


@pytest.fixture
def server():
    """A server on 127.0.0.1; its ``requests`` lists every (method, path) it was asked."""
    handler = type("RecordingHandler", (Handler,), {"requests": []})
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    httpd.base = f"http://127.0.0.1:{httpd.server_port}"
    httpd.requests = handler.requests
    yield httpd
    httpd.shutdown()
    httpd.server_close()


@pytest.fixture(autouse=True)
def local_requests_only(monkeypatch):
    """Whatever a test does, check requests nothing but 127.0.0.1."""
    real = check.urlopen

    def urlopen(request, timeout):
        assert urlsplit(request.full_url).hostname == "127.0.0.1", request.full_url
        return real(request, timeout=timeout)

    monkeypatch.setattr(check, "urlopen", urlopen)


def test_each_answer(server):
    urls = {f"{server.base}{path}": [f"pages/x.md:{line}"] for line, path in enumerate(ANSWERS, start=3)}
    fetched = fetch_external(urls, timeout=5)
    base = server.base
    assert fetched.checked == 5
    assert sorted(fetched.problems) == [
        f"pages/x.md:4: broken external link (HTTP 404): {base}/gone",
        f"pages/x.md:7: broken external link (HTTP 500): {base}/broken",
    ]
    assert fetched.not_verified == [
        f"pages/x.md:6: not verified (the server refused robots: HTTP 429): {base}/busy",
        f"pages/x.md:5: not verified (the server refused robots: HTTP 403): {base}/robots",
    ]
    assert all(method == "HEAD" for method, _ in server.requests)


def test_a_server_without_head_is_asked_with_get(server):
    fetched = fetch_external({f"{server.base}/no-head": ["pages/x.md:3"]}, timeout=5)
    assert fetched.problems == [] and fetched.not_verified == []
    assert server.requests == [("HEAD", "/no-head"), ("GET", "/no-head")]


def test_no_answer_in_time_is_a_problem(server):
    started = time.monotonic()
    fetched = fetch_external({f"{server.base}/slow": ["pages/x.md:3"], f"{server.base}/ok": ["a.md:1"]}, 0.3)
    assert time.monotonic() - started < 1.9
    assert fetched.problems == [
        f"pages/x.md:3: broken external link (cannot be reached: no answer in time): {server.base}/slow"
    ]


def test_a_server_that_is_not_there_is_a_problem(server):
    url = f"{server.base}/ok"
    server.shutdown()
    server.server_close()
    fetched = fetch_external({url: ["pages/x.md:3"]}, timeout=2)
    (problem,) = fetched.problems
    assert problem.startswith("pages/x.md:3: broken external link (cannot be reached: ") and url in problem


def test_a_url_written_in_many_places_is_asked_once_and_named_everywhere(server):
    places = [f"pages/p{number}.md:{number}" for number in range(6)]
    fetched = fetch_external({f"{server.base}/gone": places}, timeout=5)
    assert fetched.problems == [
        f"pages/p0.md:0 (also pages/p1.md:1, pages/p2.md:2, pages/p3.md:3 and 2 more): "
        f"broken external link (HTTP 404): {server.base}/gone"
    ]
    assert server.requests == [("HEAD", "/gone")]


def test_check_fetch_names_the_page_and_line(server, run_cli, write_page):
    base = server.base
    write_page(
        "index.md",
        "title: Home\ndescription: Home.",
        f"[ok]({base}/ok)\n\n[gone]({base}/gone#part)\n\n[robots]({base}/robots)\n\n[ok again]({base}/ok#x)\n",
    )
    result = run_cli("check", "--fetch", "--timeout", "5")
    assert result.exit_code == 1
    assert f"pages/index.md:7: broken external link (HTTP 404): {base}/gone" in result.output
    assert (
        f"pages/index.md:9: not verified (the server refused robots: HTTP 403): {base}/robots"
        in result.output
    )
    assert "1 problem found" in result.output
    assert sorted(server.requests) == [("HEAD", "/gone"), ("HEAD", "/ok"), ("HEAD", "/robots")]


def test_check_fetch_passes_when_every_link_answers(server, run_cli, write_page):
    write_page("index.md", "title: Home\ndescription: Home.", f"[ok]({server.base}/ok)\n")
    result = run_cli("check", "--fetch")
    assert result.exit_code == 0, result.output
    assert "and 1 external URL (0 not verified): no problems" in result.output


def test_check_without_fetch_requests_nothing(server, run_cli, write_page):
    write_page("index.md", "title: Home\ndescription: Home.", f"[gone]({server.base}/gone)\n")
    result = run_cli("check", "--external")
    assert result.exit_code == 0, result.output
    assert f"pages/index.md:5: {server.base}/gone" in result.output
    assert server.requests == []
