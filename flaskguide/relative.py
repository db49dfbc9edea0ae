"""``build --relative``: rewrite every link so the site works opened from disk (``file://``).

Frozen-Flask's own relative mode only reaches ``url_for`` in templates; links written in pages
and URLs built elsewhere would stay absolute. Rewriting each finished page covers them all.
"""

from __future__ import annotations

import posixpath
import re

from flask import Flask, Response, request

# Every attribute that holds a URL, and a redirect page's refresh (templates/redirect.html).
LINK = re.compile(r'(\s(?:href|src|action|data-bundle)="|\scontent="0; url=)([^"]*)(")')


def relative(url: str, page_dir: str, script_root: str, folder_only: bool = False) -> str:
    """``/guide/why/`` seen from ``/guide/structure/`` -> ``../why/index.html``."""
    path, hash_mark, fragment = url.partition("#")
    if not path or path.startswith("//") or ":" in path.split("/")[0]:
        return url  # a fragment, another host, or a scheme such as https: or mailto:
    if path.startswith("/"):
        site_path = path[len(script_root) :] if path.startswith(script_root + "/") else path
        target = posixpath.relpath(site_path, page_dir)
        path = target + "/" if site_path.endswith("/") and target != "." else target
    if (path.endswith("/") or path in (".", "..")) and not folder_only:
        path = "index.html" if path == "." else posixpath.join(path, "index.html")
    if ":" in path.split("/")[0]:
        path = "./" + path  # "colon:x/" would read as a URL scheme, "colon:"
    return path + hash_mark + fragment


def rewrite(html: str, page_path: str, script_root: str) -> str:
    page_dir = page_path if page_path.endswith("/") else posixpath.dirname(page_path) or "/"
    return LINK.sub(
        lambda m: m[1] + relative(m[2], page_dir, script_root, folder_only="data-bundle" in m[1]) + m[3], html
    )


def init_app(app: Flask) -> None:
    @app.after_request
    def relative_links(response: Response) -> Response:
        if response.mimetype == "text/html" and not response.direct_passthrough:
            html = response.get_data(as_text=True)
            response.set_data(rewrite(html, request.path, request.script_root))
        return response
