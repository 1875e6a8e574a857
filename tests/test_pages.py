"""Every fixture page through its parser, compared field by field with its expected JSON."""

from __future__ import annotations

import dataclasses
import json

import pytest
from conftest import FIXTURES, page_response

from dpchallenge.pages import parse_history, parse_image, parse_results

PARSERS = {"history": parse_history, "results": parse_results, "image": parse_image}
PIPELINE_FIELDS = {
    "crawled_at",
    "thumbnail_path",
    "thumbnail_error",
    "image_path",
    "image_error",
    "files",
    "score_distribution",
    "mos",
    "mos_std",
    "mos_source",
}
CASES = sorted(path.stem for path in (FIXTURES / "pages").glob("*.json"))


def as_expected(item) -> dict:
    record = {
        name: value
        for name, value in dataclasses.asdict(item).items()
        if name not in PIPELINE_FIELDS
    }
    return {"type": type(item).__name__, **record}


def test_there_are_cases():
    assert len(CASES) >= 15


@pytest.mark.parametrize("case", CASES)
def test_fixture_page(case):
    spec = json.loads((FIXTURES / "pages" / f"{case}.json").read_text(encoding="utf-8"))
    body = (FIXTURES / "pages" / f"{case}.html").read_bytes()
    response = page_response(body, spec["url"], spec.get("headers"))
    result = PARSERS[spec["parser"]](response)
    expected = spec["expected"]
    assert result.kind == expected["kind"], result.missing
    if expected["kind"] == "unparsable":
        assert result.missing
    else:
        assert result.missing == expected.get("missing", [])
    if "stats" in expected:
        assert result.stats == expected["stats"]
    if "other_pages" in expected:
        assert result.other_pages == expected["other_pages"]
    items = [as_expected(item) for item in result.items]
    assert len(items) == len(expected["items"])
    for got, want in zip(items, expected["items"], strict=True):
        for name in want:
            assert got.get(name) == want[name], f"{case}: {want.get('type')} field {name}"
        assert set(got) == set(want), f"{case}: fields differ"


def test_cp1252_fixture_really_is_undeclared_windows_1252():
    body = (FIXTURES / "pages" / "image_cp1252.html").read_bytes()
    assert b"\x97" in body
    assert b"charset" not in body.lower()


def test_comment_header_in_unexpected_markup_is_read_field_by_field():
    """A header the one-pass pattern does not fit (no role icon, extra markup) still parses."""
    body = (FIXTURES / "pages" / "image_basic.html").read_bytes()
    spec = json.loads((FIXTURES / "pages" / "image_basic.json").read_text(encoding="utf-8"))
    changed = body.replace(b'class="fo ">', b'class="fo " data-x="1">', 1)
    changed = changed.replace(b"/images/user_icon/", b"/images/other_icon/", 1)
    assert changed != body
    [image] = parse_image(page_response(changed, spec["url"])).items
    first = spec["expected"]["items"][0]["comments"][0]
    got = image.comments[0]
    assert got.author_role is None
    assert (got.comment_id, got.author_id, got.posted_at, got.text) == (
        first["comment_id"],
        first["author_id"],
        first["posted_at"],
        first["text"],
    )


def test_a_portfolio_link_alone_names_no_photographer():
    """Only the profile link names the photographer: without it the fields are null, not a guess."""
    body = (FIXTURES / "pages" / "image_portfolio_link.html").read_bytes()
    spec = json.loads((FIXTURES / "pages" / "image_portfolio_link.json").read_text("utf-8"))
    profile = b'\t<a class="u" href="/profile.php?USER_ID=40404">dunefield</a>\n'
    assert profile in body and b"portfolio.php?USER_ID=40404" in body
    [image] = parse_image(page_response(body.replace(profile, b""), spec["url"])).items
    assert (image.photographer_id, image.photographer_name) == (None, None)
