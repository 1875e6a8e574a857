"""Decoding and the site's number, date and time formats."""

from __future__ import annotations

import pytest

from dpchallenge.pages.text import (
    decode_body,
    parse_date,
    parse_date_range,
    parse_time,
    to_float,
    to_int,
)


def test_declared_utf8_is_used():
    assert decode_body("Café — ok".encode(), "text/html; charset=utf-8") == "Café — ok"


def test_undeclared_windows_1252_keeps_its_em_dashes():
    body = "Shot at dusk \u2014 no flash, café".encode("cp1252")
    assert b"\x97" in body
    assert decode_body(body, "text/html") == "Shot at dusk — no flash, café"


def test_a_latin1_declaration_is_read_as_windows_1252():
    body = "a \u2014 b".encode("cp1252")
    assert decode_body(body, "text/html; charset=ISO-8859-1") == "a — b"


def test_meta_charset_counts_when_the_header_has_none():
    body = '<meta charset="utf-8"><p>é</p>'.encode()
    assert decode_body(body, None).endswith("<p>é</p>")


@pytest.mark.parametrize(
    ("text", "number"),
    [("23,001", 23001), ("1,867", 1867), ("4881", 4881), (" 3 (view)", 3), ("N/A", None)],
)
def test_counts_lose_their_thousands_separators(text, number):
    assert to_int(text) == number


def test_averages_keep_their_decimals():
    assert to_float("5.50554") == 5.50554
    assert to_float("1,234.5") == 1234.5
    assert to_float(None) is None


@pytest.mark.parametrize(
    ("text", "iso"),
    [
        ("Aug. 14th 2026", "2026-08-14"),
        ("May. 15th 2026", "2026-05-15"),
        ("Nov 19 2010", "2010-11-19"),
        ("Nov 25, 2010", "2010-11-25"),
        ("Tuesday, December 31st, 2024", "2024-12-31"),
        ("Dec. 1st 2024", "2024-12-01"),
        ("Sept. 2nd 2019", "2019-09-02"),
        ("not a date", None),
    ],
)
def test_the_sites_date_formats(text, iso):
    assert parse_date(text) == iso


def test_date_ranges():
    assert parse_date_range("Nov 26 2010 - Dec 2 2010") == ("2010-11-26", "2010-12-02")
    assert parse_date_range("") == (None, None)


def test_comment_times_get_the_eastern_offset_of_their_date():
    assert parse_time("02/03/2013 08:14:44 PM") == "2013-02-03T20:14:44-05:00"
    assert parse_time("07/02/2012 08:54:45 PM") == "2012-07-02T20:54:45-04:00"
    assert parse_time("12/02/2010 12:05:00 AM") == "2010-12-02T00:05:00-05:00"
