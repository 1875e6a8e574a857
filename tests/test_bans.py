"""What counts as the site's ban page."""

from __future__ import annotations

from conftest import FIXTURES, SAMPLES, page_response

from dpchallenge.middlewares.bans import looks_banned

URL = "https://www.dpchallenge.com/image.php?IMAGE_ID=1"


def test_the_ban_page_is_a_ban():
    body = (FIXTURES / "pages" / "ban.html").read_bytes()
    assert looks_banned(page_response(body, URL), 1024)


def test_the_ban_text_inside_a_long_page_is_a_ban():
    padding = b"<!-- " + b"x" * 5000 + b" -->"
    body = b"<html><body><h1>Attention</h1><p>Page cannot be served due to suspicious activity "
    body += b"detected from your address.</p>" + padding + b"</body></html>"
    assert looks_banned(page_response(body, URL), 1024)


def test_a_suspiciously_short_page_is_a_ban():
    assert looks_banned(page_response(b"<html><body>busy</body></html>", URL), 1024)


def test_real_pages_are_not_bans():
    for name in ("image_basic.html", "results_invalid.html", "image_invalid.html"):
        body = (FIXTURES / "pages" / name).read_bytes()
        assert not looks_banned(page_response(body, URL), 1024), name
    capture = SAMPLES / "challenge_results_invalid_id_75.html"
    if capture.exists():  # the smallest real page seen: 3.6 KB
        assert not looks_banned(page_response(capture.read_bytes(), URL), 1024)


def test_an_error_status_is_left_to_the_retry_middleware():
    response = page_response(b"", URL).replace(status=503)
    assert not looks_banned(response, 1024)
