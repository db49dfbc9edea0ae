"""The live app serves every page, and a 404 for what is not there."""

from conftest import PROJECT, published_urls


def page_urls():
    return published_urls(PROJECT / "pages")


def test_home_page(client):
    response = client.get("/")
    assert response.status_code == 200
    assert b"<h1>Flask, briefly</h1>" in response.data


def test_every_page_is_served(client):
    urls = list(page_urls())
    assert len(urls) >= 6
    for url in urls:
        response = client.get(url)
        assert response.status_code == 200, url
        assert response.mimetype == "text/html"
        assert response.data.count(b"<h1") == 1, url


def test_missing_page_is_404_with_site_page(client):
    response = client.get("/no-such-page/")
    assert response.status_code == 404
    assert b"Page not found" in response.data
    assert b'class="site-header"' in response.data


def test_page_file_is_not_served_under_its_index_name(client):
    assert client.get("/index/").status_code == 404
    assert client.get("/structure/index/").status_code == 404
    assert client.get("/structure/").status_code == 200


def test_titles_are_distinct(client):
    titles = [client.get(url).data.split(b"<title>")[1].split(b"</title>")[0] for url in page_urls()]
    assert len(set(titles)) == len(titles)


def test_menu_follows_front_matter_order(client):
    html = client.get("/").get_data(as_text=True)
    nav = html.split('<nav class="site-nav" aria-label="Site">')[1].split("</nav>")[0]
    positions = [
        nav.index(f'href="/{path}/"') for path in ("what-is-flask", "why-flask", "structure", "resources")
    ]
    assert positions == sorted(positions)


def test_current_page_is_marked_in_menu(client):
    html = client.get("/why-flask/").get_data(as_text=True)
    assert 'href="/why-flask/" aria-current="page"' in html


def test_section_lists_its_pages(client):
    html = client.get("/structure/").get_data(as_text=True)
    assert 'href="/structure/this-site/"' in html


def test_home_links_every_page(client):
    html = client.get("/").get_data(as_text=True)
    for url in page_urls():
        assert f'href="{url}"' in html, url


def test_serve_shows_an_edited_page_without_restart(site, write_page, pages_dir):
    write_page("note.md", "title: First title")
    client = site.serve_app({"FLATPAGES_ROOT": str(pages_dir)}).test_client()
    assert b"First title" in client.get("/note/").data
    page = write_page("note.md", "title: Second title")
    # Editors can save twice within the file system's timestamp resolution.
    stat = page.stat()
    import os

    os.utime(page, ns=(stat.st_atime_ns, stat.st_mtime_ns + 10_000_000))
    assert b"Second title" in client.get("/note/").data
    write_page("added.md", "title: Added later")
    assert client.get("/added/").status_code == 200
