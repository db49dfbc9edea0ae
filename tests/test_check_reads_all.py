"""``check`` reads everything a build publishes: srcset, stylesheets, redirects, alt text and
links by page file, each problem named by the file an author edits and its line."""

from conftest import PROJECT, make_app

from flaskguide.assets import Fingerprints
from flaskguide.check import check_output, refresh_target, srcset_urls

HOME = ("index.md", "title: Home\ndescription: Home.")
FAVICON = Fingerprints(str(PROJECT / "static")).hashed("img/favicon.svg")  # read, never written


def lines_of(output: str) -> set[str]:
    return set(output.splitlines())


def test_srcset_urls():
    assert srcset_urls("a.png") == ["a.png"]
    assert srcset_urls(" a.png 1x,  b.png 2x ") == ["a.png", "b.png"]
    assert srcset_urls("a.png 640w,b.png 1280w") == ["a.png", "b.png"]
    assert srcset_urls("a.png, b.png 2x") == ["a.png", "b.png"]
    assert srcset_urls("a.png,b.png 2x") == ["a.png,b.png"]  # the standard's reading: a URL runs to a space
    assert srcset_urls("data:image/png;base64,AA== 1x, c.png 2x") == ["data:image/png;base64,AA==", "c.png"]
    assert srcset_urls("") == []


def test_refresh_target():
    assert refresh_target("0; url=/new/") == "/new/"
    assert refresh_target("0;URL='/new/#x'") == "/new/#x"
    assert refresh_target('5, url="https://example.com/"') == "https://example.com/"
    assert refresh_target("0; /new/") == "/new/"
    assert refresh_target("30") is None


def test_every_srcset_candidate_is_checked(run_cli, write_page):
    write_page(*HOME, body="[a](a/)\n")
    write_page(
        "a.md",
        "title: A\ndescription: A.",
        f"""
        <picture>
        <source srcset="/static/{FAVICON} 1x, /static/img/wide-gone.svg 2x">
        <img src="/static/{FAVICON}" alt="An icon" srcset="/static/img/gone.svg 640w,/static/{FAVICON} 320w">
        </picture>
        """,
    )
    result = run_cli("check", SITE_TRUST_HTML=True)
    assert result.exit_code == 1
    assert lines_of(result.output) >= {
        "pages/a.md:7: broken image: nothing is published at /static/img/wide-gone.svg",
        "pages/a.md:8: broken image: nothing is published at /static/img/gone.svg",
    }
    assert "2 problems found" in result.output


def test_an_image_without_alt_text_is_a_problem_and_html_alt_empty_is_not(run_cli, write_page):
    write_page(*HOME, body="[a](a/)\n")
    write_page(
        "a.md",
        "title: A\ndescription: A.",
        f"""
        <img src="/static/img/favicon.svg">

        <img src="/static/{FAVICON}" alt="">

        ![](/static/img/favicon.svg)
        """,
    )
    result = run_cli("check")
    assert result.exit_code == 1
    advice = '(describe it in ![...](...), or write <img src="..." alt=""> for a decorative image)'
    found = lines_of(result.output)
    assert f"pages/a.md:6: image without alt text: /static/img/favicon.svg {advice}" in found
    # Markdown's empty brackets are a description forgotten; HTML's alt="" is a decorative image.
    assert f"pages/a.md:10: image without alt text: /static/img/favicon.svg {advice}" in found
    assert "2 problems found" in result.output


def test_stylesheet_references_are_named_by_their_source_line(project_copy, run_cli, write_page):
    css = project_copy / "static/css/site.css"
    before = css.read_text("utf-8").count("\n")
    with css.open("a", encoding="utf-8") as handle:
        handle.write(
            '\n.a { background: url("../img/missing.svg") }\n'
            "/* url(../img/commented-out.svg) */\n"
            '@import "gone.css";\n'
            ".b { background: url(/static/img/favicon.svg), url(https://example.com/font.woff2) }\n"
        )
    write_page(*HOME)
    result = run_cli("check", "--external")
    assert result.exit_code == 1
    assert lines_of(result.output) >= {
        f"static/css/site.css:{before + 2}: broken reference: nothing is published at ../img/missing.svg",
        f"static/css/site.css:{before + 4}: broken reference: nothing is published at gone.css",
        f"  static/css/site.css:{before + 5}: https://example.com/font.woff2",
    }
    assert "commented-out" not in result.output and "favicon" not in result.output
    assert "2 problems found" in result.output


def test_links_by_page_file_name_the_file_that_is_missing(run_cli, write_page):
    write_page(*HOME, body="[guide](guide/)\n")
    write_page("guide/index.md", "title: Guide\ndescription: Guide.", "[a](a.md) [b](b.md)\n")
    write_page(
        "guide/a.md",
        "title: A\ndescription: A.",
        "[missing](missing.md)\n\n[to b](b.md#nowhere)\n\n[draft](draft.md)\n\n[fine](b.md#there)\n\n"
        "[up](../index.md) [gone up](../gone.md#x)\n",
    )
    write_page("guide/b.md", "title: B\ndescription: B.", "## There\n")
    write_page("guide/draft.md", "title: Draft\ndescription: D.\ndraft: true")
    result = run_cli("check")
    assert result.exit_code == 1
    assert lines_of(result.output) >= {
        "pages/guide/a.md:5: broken link: no page file guide/missing.md (written missing.md)",
        "pages/guide/a.md:7: broken fragment: /guide/b/ has no id 'nowhere' for b.md#nowhere",
        "pages/guide/a.md:9: broken link: the page file guide/draft.md is not published (a draft, or dated "
        "after today) (written draft.md)",
        "pages/guide/a.md:13: broken link: no page file gone.md (written ../gone.md#x)",
    }
    assert "4 problems found" in result.output


def write_redirects(out, lines: str) -> None:
    (out / "_redirects").write_text(lines, "utf-8")
    for name, target in (("old", "/gone/"), ("moved", "/a/")):
        (out / name).mkdir()
        (out / name / "index.html").write_text(
            f'<!doctype html><meta http-equiv="refresh" content="0; url={target}">'
            f'<link rel="canonical" href="{target}"><title>Moved</title>',
            "utf-8",
        )


def test_redirect_pages_and_the_redirects_file_must_lead_somewhere(site, pages_dir, write_page, tmp_path):
    write_page(*HOME, body="[a](a/)\n")
    write_page("a.md", "title: A\ndescription: A.")
    app = make_app(site, pages_dir, tmp_path)
    out = tmp_path / "out"
    site.build_site(app, out)
    write_redirects(
        out,
        "# moved pages\n/old-a/ /a/ 301\n\n/x/ /nowhere/ 301\nnonsense\n/ext/ https://example.com/ 302\n"
        "/blog/* /a/:splat 301\n",
    )
    with app.app_context():
        report = check_output(site.site_of(app), out)
    assert sorted(report.problems) == [
        "_redirects:4: broken redirect: nothing is published at /nowhere/ (from /x/)",
        "_redirects:5: not a redirect: write FROM TO [STATUS]",
        "old/index.html: broken redirect: nothing is published at /gone/",
    ]
    assert "_redirects:6: https://example.com/" in report.external


def test_redirects_under_a_subpath(site, pages_dir, write_page, tmp_path):
    write_page(*HOME, body="[a](a/)\n")
    write_page("a.md", "title: A\ndescription: A.")
    app = make_app(site, pages_dir, tmp_path, SITE_URL="http://127.0.0.1/sub/")
    out = tmp_path / "out"
    site.build_site(app, out)
    (out / "_redirects").write_text("/sub/old/ /sub/a/ 301\n/sub/x/ /a/ 301\n", "utf-8")
    (out / "old").mkdir()
    (out / "old/index.html").write_text('<meta http-equiv="refresh" content="0; url=/sub/a/">', "utf-8")
    with app.app_context():
        report = check_output(site.site_of(app), out)
    # /a/ is outside the site's base path: on the host, nothing is there.
    assert report.problems == ["_redirects:2: broken redirect: nothing is published at /a/ (from /sub/x/)"]


def test_the_redirects_a_build_writes_for_aliases_are_read(site, pages_dir, write_page, tmp_path):
    write_page(*HOME, body="[a](a.md)\n")
    write_page("a.md", "title: A\ndescription: A.\naliases: [/old/]")
    app = make_app(site, pages_dir, tmp_path, SITE_URL="http://127.0.0.1/sub/")
    out = tmp_path / "out"
    site.build_site(app, out)
    with app.app_context():
        assert check_output(site.site_of(app), out).problems == []
    (out / "a/index.html").unlink()  # as if the host lost the page the old URL leads to
    with app.app_context():
        problems = set(check_output(site.site_of(app), out).problems)
    assert problems >= {
        "old/index.html: broken redirect: nothing is published at /sub/a/",
        "_redirects:1: broken redirect: nothing is published at /sub/a/ (from /sub/old/)",
    }
