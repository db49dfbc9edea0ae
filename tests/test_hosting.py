"""``serve --built``: the static server answers as a real static host would, and no request can make
it redirect off the site, inject a header, leave its folder or print a traceback.

Requests go over real sockets, most of them raw so that the bytes on the wire are what is checked.
"""

import re
import socket
import struct
import threading
from dataclasses import dataclass
from urllib.request import urlopen

import pytest

from flaskguide import hosting

HOME = b"<h1>Home</h1>"
NOT_FOUND = b"<h1>Page not found</h1>"
SECRET = b"not for the web"
HEADER_LINE = b"^[!-9;-~]+: [ -~]*$"  # a name, ": ", and printable ASCII


@dataclass
class Answer:
    status: int
    head: bytes  # the status line and headers, as sent
    headers: dict[str, str]  # lower-cased names
    body: bytes


@pytest.fixture
def folder(tmp_path):
    """A small built site, and a secret file beside it that no request may reach."""
    (tmp_path / "secret.txt").write_bytes(SECRET)
    site = tmp_path / "site"
    files = {
        "index.html": HOME,
        "404.html": NOT_FOUND,
        "sub/index.html": b"sub",
        "café/index.html": b"cafe",
        "static/site.css": b"body {}",
        "feed.xml": b"<feed/>",
    }
    for name, content in files.items():
        (site / name).parent.mkdir(parents=True, exist_ok=True)
        (site / name).write_bytes(content)
    return site


@dataclass
class Served:
    server: hosting.StaticHostServer
    thread: threading.Thread

    @property
    def port(self) -> int:
        return self.server.server_port

    def stop(self) -> None:
        """Stop, and wait for every request's thread: what they print is then all printed."""
        if self.thread.is_alive():
            self.server.shutdown()
            self.server.server_close()
            self.thread.join()


@pytest.fixture
def serve(folder):
    """Start a server on 127.0.0.1 for ``folder`` at a base path; all are stopped after the test."""
    started = []

    def start(base: str = "/") -> Served:
        server = hosting.make_server(folder, "127.0.0.1", 0, base)
        server.daemon_threads = False  # so that stop() waits for requests still being answered
        thread = threading.Thread(target=server.serve_forever, args=(0.01,))  # poll fast: quick shutdowns
        thread.start()
        started.append(Served(server, thread))
        return started[-1]

    yield start
    for served in started:
        served.stop()


def exchange(port: int, request: bytes) -> bytes:
    """Send ``request`` as it is, and read the answer until the server closes the connection."""
    with socket.create_connection(("127.0.0.1", port), timeout=10) as sock:
        sock.sendall(request)
        return read_all(sock)


def read_all(sock: socket.socket) -> bytes:
    chunks = []
    while chunk := sock.recv(65536):
        chunks.append(chunk)
    return b"".join(chunks)


def parse(raw: bytes) -> Answer:
    head, _, body = raw.partition(b"\r\n\r\n")
    status_line, *lines = head.split(b"\r\n")
    headers = {}
    for line in lines:
        name, _, value = line.decode("latin-1").partition(": ")
        headers[name.lower()] = value
    return Answer(int(status_line.split()[1]), head, headers, body)


def request(port: int, target: bytes | str, method: str = "GET", headers: str = "") -> Answer:
    if isinstance(target, str):
        target = target.encode("ascii")
    line = method.encode() + b" " + target + b" HTTP/1.1\r\nHost: 127.0.0.1\r\n"
    return parse(exchange(port, line + headers.encode() + b"\r\n"))


def assert_clean_headers(answer: Answer) -> None:
    for line in answer.head.split(b"\r\n")[1:]:
        assert re.fullmatch(HEADER_LINE, line), line


def assert_no_traceback(capfd) -> None:
    err = capfd.readouterr().err
    assert "Traceback" not in err, err


# -- what a static host does -----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("target", "status", "body"),
    [
        ("/", 200, HOME),
        ("/index.html", 200, HOME),
        ("/sub/", 200, b"sub"),
        ("/caf%C3%A9/", 200, b"cafe"),
        ("/no/such/page/", 404, NOT_FOUND),
        ("/index.html/", 404, NOT_FOUND),  # a file asked for as a folder, ENOTDIR on a real host
        ("/sub/../index.html", 200, HOME),  # dot segments are resolved within the folder
        ("/?q=1", 200, HOME),
        ("http://127.0.0.1/sub/", 200, b"sub"),  # the absolute form a proxy sends
        ("HTTP://127.0.0.1", 200, HOME),
    ],
)
def test_files_folders_and_the_404_page(serve, target, status, body):
    answer = request(serve().port, target)
    assert (answer.status, answer.body) == (status, body)


@pytest.mark.parametrize(
    ("name", "content_type"),
    [
        ("index.html", "text/html; charset=utf-8"),
        ("static/site.css", "text/css; charset=utf-8"),
        ("feed.xml", "application/xml"),
        ("no-such-file.css", "text/html; charset=utf-8"),  # the 404 page
    ],
)
def test_content_types_are_a_static_hosts(serve, name, content_type):
    assert request(serve().port, "/" + name).headers["content-type"] == content_type


def test_a_base_path_mounts_the_site(serve):
    port = serve("/guide/").port
    assert request(port, "/guide/").body == HOME
    assert request(port, "/guide/sub/").body == b"sub"
    outside = request(port, "/sub/")
    assert (outside.status, outside.body) == (404, NOT_FOUND)
    climbing = request(port, "/guide/../sub/")
    assert (climbing.status, climbing.body) == (404, NOT_FOUND)


def test_a_base_path_is_matched_decoded(serve):
    """``base_path("https://x.org/my%20guide/")`` is ``/my%20guide/``: a browser asks for that."""
    port = serve(hosting.base_path("https://example.org/my%20guide/")).port
    assert request(port, "/my%20guide/sub/").body == b"sub"


def test_head_answers_as_get_without_a_body(serve, folder):
    port = serve().port
    page = request(port, "/", method="HEAD")
    assert (page.status, page.headers["content-length"], page.body) == (200, str(len(HOME)), b"")
    missing = request(port, "/nope", method="HEAD")
    assert (missing.status, missing.headers["content-length"], missing.body) == (
        404,
        str(len(NOT_FOUND)),
        b"",
    )
    folder_answer = request(port, "/sub", method="HEAD")
    assert (folder_answer.status, folder_answer.headers["location"], folder_answer.body) == (
        301,
        "/sub/",
        b"",
    )


def test_quiet_server_prints_nothing(serve, capfd, monkeypatch):
    monkeypatch.setenv("SITE_QUIET_SERVER", "1")
    served = serve()
    for target in ("/", "/nope", "/%00", "/" + "a" * 3000):
        request(served.port, target)
    exchange(served.port, b"NONSENSE\r\n\r\n")
    served.stop()
    assert capfd.readouterr().err == ""


def test_the_log_shows_each_request(serve, capfd):
    served = serve()
    request(served.port, "/sub/")
    served.stop()
    assert '"GET /sub/ HTTP/1.1" 200' in capfd.readouterr().err


# -- redirects -------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("base", "target", "location"),
    [
        ("/", "/sub", "/sub/"),
        ("/", "//sub", "/sub/"),
        ("/", "/sub?page=2", "/sub/?page=2"),
        ("/", "/caf%C3%A9", "/caf%C3%A9/"),  # percent-encoded, not raw UTF-8 bytes
        ("/", "/caf%c3%a9", "/caf%C3%A9/"),
        ("/guide/", "/guide/sub", "/guide/sub/"),
        ("/guide/", "/guide", "/guide/"),
        ("/guide/", "/guide/caf%C3%A9", "/guide/caf%C3%A9/"),
    ],
)
def test_a_folder_without_its_slash_is_redirected(serve, base, target, location):
    port = serve(base).port
    answer = request(port, target)
    assert (answer.status, answer.headers["location"]) == (301, location)
    assert request(port, location).status == 200


@pytest.mark.parametrize(
    "target",
    [
        "/%2fevil.invalid/..%2fstatic",  # CVE-2021-28861: answered Location: //evil.invalid/../static/
        "/%2Fevil.invalid/..%2Fstatic",
        "//%2fevil.invalid/..%2fstatic",
        "/%2f%2fevil.invalid",
        "/%5cevil.invalid",
        "/\\evil.invalid",  # a browser reads Location: /\evil.invalid/ as //evil.invalid/
        "/static/..%2f..%2fevil.invalid",
    ],
)
def test_no_redirect_leaves_the_site(serve, folder, target):
    (folder / "\\evil.invalid").mkdir()  # so that the backslash cases are folders, and redirected
    answer = request(serve().port, target)
    location = answer.headers.get("location", "/")
    assert location.startswith("/") and location[1:2] not in ("/", "\\"), location


def test_a_backslash_in_a_folder_name_is_encoded_in_the_redirect(serve, folder):
    (folder / "\\evil.invalid").mkdir()
    assert request(serve().port, "/\\evil.invalid").headers["location"] == "/%5Cevil.invalid/"


# -- headers ---------------------------------------------------------------------------------------


def test_an_encoded_crlf_in_a_folder_name_injects_no_header(serve, folder):
    (folder / "x\r\nSet-Cookie: evil=1").mkdir()
    raw = exchange(serve().port, b"GET /x%0d%0aSet-Cookie:%20evil=1 HTTP/1.1\r\nHost: h\r\n\r\n")
    answer = parse(raw)
    assert answer.status == 301
    assert answer.headers["location"] == "/x%0D%0ASet-Cookie:%20evil=1/"
    assert b"\r\nSet-Cookie" not in raw
    assert_clean_headers(answer)


@pytest.mark.parametrize(
    "target",
    [
        b"/sub?%0d%0aSet-Cookie:%20evil=1",
        b"/sub%0d%0a",
        b"/%0d%0aSet-Cookie:%20evil=1",
        b"/sub\x0b",
        b"/sub\x85",
        b"/sub\x7f",
        b"/caf\xc3\xa9",  # raw UTF-8: a browser percent-encodes it
        b"/sub?\x01",
    ],
)
def test_no_header_carries_a_control_character(serve, target):
    answer = parse(exchange(serve().port, b"GET " + target + b" HTTP/1.1\r\nHost: h\r\n\r\n"))
    assert_clean_headers(answer)


def test_the_status_line_carries_no_request_text(serve):
    raw = exchange(serve().port, b"GET / HTTP/1.1 \x1b[2Jextra\r\n\r\n")
    assert raw.startswith(b"HTTP/1.0 400 Bad Request\r\n")
    assert_clean_headers(parse(raw))


def test_a_header_with_a_control_character_is_refused(serve, monkeypatch, capfd):
    """The last guard: even a bug that builds a bad header sends none of it, and a 500."""
    monkeypatch.setattr(hosting, "folder_location", lambda segments, query: "/a\r\nSet-Cookie: evil=1")
    raw = exchange(serve().port, b"GET /sub HTTP/1.1\r\nHost: h\r\n\r\n")
    assert parse(raw).status == 500
    assert b"Set-Cookie" not in raw
    assert_no_traceback(capfd)


# -- the folder's bounds ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    "target",
    [
        "/index.html%3Fx",  # %3F is part of the name, not a query
        "/index.html%3F",
        "/index.html%23top",
        "/sub%2findex.html",  # %2f is not a separator: the plain path's file is not reached
        "/sub%2Findex.html",
        "/static%2fsite.css",
    ],
)
def test_encoded_delimiters_are_part_of_the_name(serve, target):
    answer = request(serve().port, target)
    assert (answer.status, answer.body) == (404, NOT_FOUND)


@pytest.mark.parametrize(
    "target",
    [
        "/../secret.txt",
        "/sub/../../secret.txt",
        "/%2e%2e/secret.txt",
        "/%2E%2E/secret.txt",
        "/.%2e/secret.txt",
        "/..%2fsecret.txt",
        "/sub%2f..%2f..%2fsecret.txt",
        "/%2e%2e%2fsecret.txt",
        "/..%5csecret.txt",
        "/sub/..%5c..%5csecret.txt",
        "/guide/../../secret.txt",
        "http://127.0.0.1/../secret.txt",
    ],
)
def test_no_path_leaves_the_folder(serve, target, capfd):
    answer = request(serve().port, target)
    assert answer.status == 404
    assert SECRET not in answer.body
    assert_no_traceback(capfd)


@pytest.mark.parametrize(
    "target", ["/%00", "/index.html%00", "/sub%00/", "/%00/../index.html", "/%ff", "/%C3"]
)
def test_a_nul_or_a_name_not_utf8_is_not_found(serve, target, capfd):
    assert request(serve().port, target).status == 404
    assert_no_traceback(capfd)


# -- malformed and hostile requests ----------------------------------------------------------------


@pytest.mark.parametrize(
    "raw",
    [
        b"GET /\x00 HTTP/1.1\r\n\r\n",
        b"GET index.html HTTP/1.1\r\n\r\n",
        b"GET * HTTP/1.1\r\n\r\n",
        b"GET / HTTP/one\r\n\r\n",
        b"GET / HTTP/1.1 extra\r\n\r\n",
        b"NONSENSE\r\n\r\n",
        b"GET /caf\xc3\xa9/ HTTP/1.1\r\n\r\n",
        b"GET http://[x/ HTTP/1.1\r\n\r\n",
    ],
)
def test_a_malformed_request_is_a_400(serve, raw, capfd):
    assert parse(exchange(serve().port, raw)).status == 400
    assert_no_traceback(capfd)


def test_an_over_long_target_is_a_414(serve, capfd):
    port = serve().port
    assert request(port, "/" + "a" * hosting.MAX_TARGET).status == 414
    assert request(port, "/sub/?" + "q" * hosting.MAX_TARGET).status == 414
    assert request(port, "/" + "a" * (hosting.MAX_TARGET - 1)).status == 404  # at the limit
    assert_no_traceback(capfd)


def test_a_name_too_long_for_the_system_is_a_404(serve, capfd):
    """Longer than a file name may be (255 bytes), shorter than the limit: the system refuses it."""
    answer = request(serve().port, "/" + "a" * 300 + "/index.html")
    assert (answer.status, answer.body) == (404, NOT_FOUND)
    assert_no_traceback(capfd)


def test_a_client_hanging_up_mid_answer_prints_no_traceback(serve, folder, capfd):
    (folder / "big.bin").write_bytes(b"x" * 8_000_000)  # more than the socket buffers hold
    served = serve()
    for _ in range(5):
        with socket.create_connection(("127.0.0.1", served.port)) as sock:
            sock.sendall(b"GET /big.bin HTTP/1.1\r\n\r\n")
            sock.recv(100)
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))  # close with RST
    served.stop()  # waits for the threads still writing
    assert_no_traceback(capfd)


def test_an_error_in_the_handler_is_a_500_and_one_line(serve, monkeypatch, capfd):
    def broken(path):
        raise RuntimeError("the disk caught fire")

    monkeypatch.setattr(hosting, "file_kind", broken)
    served = serve()
    assert request(served.port, "/").status == 500
    served.stop()
    err = capfd.readouterr().err
    assert "RuntimeError while answering 'GET / HTTP/1.1': the disk caught fire" in err
    assert "Traceback" not in err


def test_a_range_request_gets_the_whole_file(serve):
    """Ranges are declared unsupported, and the whole file sent with a 200 (RFC 9110 14.2)."""
    port = serve().port
    for range_header in ("bytes=0-3", "bytes=100000-", "bytes=-2", "nonsense"):
        answer = request(port, "/index.html", headers=f"Range: {range_header}\r\n")
        assert (answer.status, answer.body) == (200, HOME)
        assert answer.headers["accept-ranges"] == "none"
        assert "content-range" not in answer.headers


# -- load --------------------------------------------------------------------------------------------


def test_the_listen_queue_holds_a_burst_of_connections(folder):
    """128 connections wait in the queue before the server accepts any; with socketserver's default
    backlog of 5 the seventh connect would hang until the kernel retries it."""
    server = hosting.make_server(folder, "127.0.0.1", 0)
    assert server.request_queue_size >= 128
    sockets = []
    try:
        for _ in range(128):
            sockets.append(socket.create_connection(("127.0.0.1", server.server_port), timeout=0.5))
            sockets[-1].sendall(b"GET / HTTP/1.1\r\n\r\n")
    finally:
        thread = threading.Thread(target=server.serve_forever, args=(0.01,))  # poll fast: quick shutdowns
        thread.start()
    try:
        for sock in sockets:
            sock.settimeout(10)
            assert parse(read_all(sock)).status == 200
    finally:
        for sock in sockets:
            sock.close()
        server.shutdown()
        server.server_close()
        thread.join()


def test_200_concurrent_requests_all_succeed(serve):
    port = serve().port
    start = threading.Barrier(200)
    statuses = []

    def fetch():
        start.wait()
        try:
            with urlopen(f"http://127.0.0.1:{port}/sub/", timeout=10) as response:
                statuses.append((response.status, response.read()))
        except OSError as error:  # refused, reset or timed out: shown in the failure
            statuses.append(repr(error))

    threads = [threading.Thread(target=fetch) for _ in range(200)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert statuses == [(200, b"sub")] * 200
