"""Static files: hashed addresses cached for a year only when the bytes match, gzip, 304s; validators on pages."""

from __future__ import annotations

import gzip
import hashlib
import re
import subprocess
from pathlib import Path

from config import BASE_DIR
from tests.factories import PASSWORD, make_user
from tests.servers import Gunicorn, app_env
from tests.test_deploy import _answers, _free_port, _https, _render_site, database_url, nginx_path  # noqa: F401
from tests.waiting import wait_until
from tests.web import WebClient

STYLESHEET = Path(BASE_DIR, "static", "app.css")
LINKED = re.compile(r'href="(/static/app\.css\?v=([0-9a-f]+))"')


def test_pages_link_the_stylesheet_by_the_hash_of_its_bytes(client):
    html = client.get("/sign-in").get_data(as_text=True)
    url, digest = LINKED.search(html).groups()
    assert digest == hashlib.sha256(STYLESHEET.read_bytes()).hexdigest()[:16]
    assert (
        f'src="/static/app.js?v={hashlib.sha256(Path(BASE_DIR, "static", "app.js").read_bytes()).hexdigest()[:16]}"'
        in html
    )


def test_the_hashed_stylesheet_is_immutable_for_a_year_gzipped_and_answers_304(client):
    url, digest = LINKED.search(client.get("/sign-in").get_data(as_text=True)).groups()
    response = client.get(url, headers={"Accept-Encoding": "gzip, deflate, br"})
    assert response.status_code == 200
    assert response.headers["Cache-Control"] == "public, max-age=31536000, immutable"
    assert response.headers["Content-Encoding"] == "gzip" and "Accept-Encoding" in response.headers["Vary"]
    assert gzip.decompress(response.data) == STYLESHEET.read_bytes()
    assert len(response.data) < STYLESHEET.stat().st_size / 2
    again = client.get(url, headers={"Accept-Encoding": "gzip", "If-None-Match": response.headers["ETag"]})
    assert again.status_code == 304 and again.data == b""
    plain = client.get(url)  # a client that takes no gzip gets the bytes as they are
    assert "Content-Encoding" not in plain.headers and plain.data == STYLESHEET.read_bytes()


def test_a_stale_or_missing_hash_gets_the_current_file_revalidated_not_kept(client):
    for url in ("/static/app.css?v=0123456789abcdef", "/static/app.css"):
        response = client.get(url)
        assert response.status_code == 200 and response.data == STYLESHEET.read_bytes()
        assert response.headers["Cache-Control"] == "public, no-cache"
    for url in ("/static/../config.py", "/static/missing.css", "/static/%2e%2e/wsgi.py"):
        assert client.get(url).status_code == 404


def test_a_changed_file_gets_a_new_address(app, tmp_path):
    from coordinator.web.static_files import StaticFiles

    (tmp_path / "a.css").write_text("body { color: red }")
    files = StaticFiles(str(tmp_path))
    first = files.get("a.css").digest
    (tmp_path / "a.css").write_text("body { color: blue; }")
    assert files.get("a.css").digest != first


def test_a_public_page_answers_304_when_nothing_changed_and_signed_in_pages_stay_no_store(app, client):
    first = client.get("/")
    assert first.status_code == 200 and first.headers["Cache-Control"] == "no-cache" and first.headers["ETag"]
    assert client.get("/", headers={"If-None-Match": first.headers["ETag"]}).status_code == 304
    user = make_user()
    signed_in = WebClient(app.test_client())
    signed_in.sign_in(user.email, PASSWORD)
    account = signed_in.get("/account")
    assert account.headers["Cache-Control"] == "no-store" and "ETag" not in account.headers


def test_nginx_sends_hashed_files_to_the_app_and_serves_the_rest_from_disk(nginx_path, database_url, tmp_path):  # noqa: F811
    http_port, https_port = _free_port(), _free_port()
    with Gunicorn(app_env(database_url, TRUSTED_PROXIES="1", PUBLIC_BASE_URL="https://care.example.org")) as app:
        main = _render_site(tmp_path, app.url.removeprefix("http://"), http_port, https_port)
        nginx = subprocess.Popen([nginx_path, "-c", str(main), "-p", str(tmp_path)], stderr=subprocess.PIPE)
        try:
            assert wait_until(lambda: (tmp_path / "nginx.pid").exists(), seconds=20), "nginx did not start"
            status, _, page = _https(https_port, "GET", "/sign-in")
            url = LINKED.search(page.decode()).group(1)
            status, headers, body = _https(https_port, "GET", url)
            assert status == 200 and body == STYLESHEET.read_bytes()
            assert headers["Cache-Control"] == "public, max-age=31536000, immutable"
            status, headers, body = _https(https_port, "GET", "/static/app.css")
            assert status == 200 and body == STYLESHEET.read_bytes()
            assert headers["Cache-Control"] == "public, no-cache" and headers["ETag"]
            assert headers.get_all("Strict-Transport-Security") == ["max-age=63072000; includeSubDomains"]
        finally:
            nginx.terminate()
            nginx.wait(timeout=20)
            nginx.stderr.close()
    assert wait_until(lambda: any("static" in line for line in app.stdout), seconds=5)  # the hashed one
