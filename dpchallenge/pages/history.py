"""The challenge history list: /challenge_history.php?show_all=1."""

from __future__ import annotations

import re
from datetime import date
from html import unescape

from dpchallenge.items import ChallengeItem, HistoryRow
from dpchallenge.pages.common import Page, PageResult, is_ban, parse_html
from dpchallenge.pages.text import (
    clean,
    decode_body,
    id_param,
    parse_date,
    text_of,
    to_float,
    to_int,
)

KINDS = {
    "member challenge": "member",
    "open challenge": "open",
    "speed challenge": "speed",
    "invitational challenge": "invitational",
}
_NUMBER_FIELDS = (
    ("entries", to_int),
    ("highest_score", to_float),
    ("avg_score", to_float),
    ("median_score", to_float),
    ("lowest_score", to_float),
    ("votes", to_int),
    ("avg_votes", to_float),
    ("comments", to_int),
    ("avg_comments", to_float),
)


def kind_from_label(label: str | None) -> str | None:
    return KINDS.get((clean(label) or "").lower())


def parse_history(response) -> PageResult:
    content_type = response.headers.get(b"Content-Type")
    text = decode_body(response.body, content_type.decode("latin-1") if content_type else None)
    if is_ban(text):
        return PageResult("ban")
    chunks = _row_chunks(text)
    if chunks is None:  # not the markup the fast path knows: the whole tree decides
        page = Page.from_response(response)
        tables = page.xpath('//table[@id="challenges"]')
        if not tables:
            return PageResult("unparsable", missing=["table#challenges"])
        rows = [tr for tr in tables[-1].iter("tr") if _is_row(tr)]
        parsed = map(_parse_row, rows)
    else:
        rows = chunks
        parsed = map(_parse_chunk, chunks)
    items = [row for row in parsed if row is not None]
    if rows and not items:
        return PageResult("unparsable", missing=["a complete history row"])
    return PageResult("history", items)


def _is_row(tr) -> bool:
    return (tr.get("class") or "").startswith("forum-bg")


# The whole list (~4,150 rows, 2.7 MB) is read without building its tree, which alone takes
# longer than the whole parse may: each row that has exactly the site's markup is read by one
# regular expression, any other row through lxml as before, and a page whose table is not laid
# out as the site's goes through the tree whole. Both ways give the same records.
_TABLE = re.compile(r'<table id="challenges"[^>]*>')
_TAG = re.compile(r"<(?:tr\b|table|!--|script)", re.I)  # rows, and what the fast path refuses
_ROW = re.compile(
    r'<tr class="forum-bg\d"><td><img src="(?P<icon>[^"<>]*)" width="\d+" height="\d+" border="0" '
    r'style="margin-right: 3px;" ALT="(?P<kind>[^"<>]*)"> '
    r'<a href="/challenge_results\.php\?CHALLENGE_ID=(?P<id>\d+)" class=i>(?P<name>[^<]*)</a> '
    r'\(<a style="font-style: italic;" class="u" '
    r'href="challenge_rules\.php\?RULES_ID=(?P<rules_id>\d+)">(?P<rules>[^<]*)</a>\)'
    r'(?:<img src="/images/flag\.gif" width="14" height="16" border="0" '
    r'style="margin-left: 3px;" ALT="(?P<extra>[^"<>]*)">)?'
    r"<br>(?P<dates>[^<]*\S[^<]*)</td>"
    r'(?P<numbers>(?:<td align="center">[^<&]*</td>){9})</tr>\s*'
)
_NUMBER = re.compile(r'<td align="center">([^<]*)</td>')
# Entities lxml and html.unescape read alike, and a bare `& `; a row with any other `&` goes
# through lxml.
_ODD_AMPERSAND = re.compile(r"&(?!(?:amp|lt|gt|quot|#(?:3[2-9]|[4-9]\d|1[01]\d|12[0-6]));|\s)")


def _row_chunks(text: str) -> list[str] | None:
    """The markup of each row of the last table#challenges, or None if the page is laid out
    otherwise (another table, a comment or a script inside it, or tags in capitals)."""
    tables = list(_TABLE.finditer(text))
    if not tables:
        return None
    begin = tables[-1].end()
    end = text.find("</table>", begin)
    region = text[begin:] if end < 0 else text[begin:end]
    starts = []
    for match in _TAG.finditer(region):
        if match[0] != "<tr":
            return None
        starts.append(match.start())
    if "<!--" in text[:begin] and text.rfind("<!--", 0, begin) > text.rfind("-->", 0, begin):
        return None  # the table is inside a comment
    chunks = [region[a:b] for a, b in zip(starts, [*starts[1:], len(region)])]
    return [chunk for chunk in chunks if chunk.startswith('<tr class="forum-bg')]


def _parse_chunk(chunk: str) -> HistoryRow | None:
    match = _ROW.fullmatch(chunk)
    if match is None or "flag.gif" in match["icon"] or _ODD_AMPERSAND.search(chunk):
        root = parse_html(f"<table>{chunk}</table>")
        tr = next((tr for tr in root.iter("tr") if _is_row(tr)), None) if root is not None else None
        return _parse_row(tr) if tr is not None else None
    start, end = _date_range(clean(unescape(match["dates"])))
    extra = match["extra"]
    row = HistoryRow(
        challenge_id=int(match["id"]),
        name=clean(unescape(match["name"])),
        kind=kind_from_label(unescape(match["kind"])),
        rules_id=int(match["rules_id"]),
        rules_name=clean(unescape(match["rules"])),
        extra_rules=None if extra is None else clean(unescape(extra).removeprefix("Extra Rules:")),
        submission_start=start,
        submission_end=end,
    )
    for (name, convert), value in zip(_NUMBER_FIELDS, _NUMBER.findall(match["numbers"])):
        setattr(row, name, _PLAIN[convert](value))
    return row


def _plain_int(value: str) -> int | None:
    """to_int, without its regular expression for a plain `716`."""
    return int(value) if value.isascii() and value.isdigit() else to_int(value)


def _plain_float(value: str) -> float | None:
    """to_float, without its regular expression for a plain `7.4722` or `20`."""
    head, dot, tail = value.partition(".")
    if head.isascii() and head.isdigit() and (not dot or (tail.isascii() and tail.isdigit())):
        return float(value)
    return to_float(value)


_PLAIN = {to_int: _plain_int, to_float: _plain_float}


# A row in the tree is read by walking its elements, not by XPath queries (7x the tree's own
# parse time); dates without strptime.


def _first(elements, attribute: str, part: str):
    return next((el for el in elements if part in (el.get(attribute) or "")), None)


def _parse_row(tr) -> HistoryRow | None:
    cells = [child for child in tr if child.tag == "td"]
    link = _first(cells[0].iter("a"), "href", "CHALLENGE_ID=") if cells else None
    numbers = [cell for cell in cells if cell.get("align") == "center"]
    challenge_id = id_param(link.get("href"), "CHALLENGE_ID") if link is not None else None
    if challenge_id is None or len(numbers) != len(_NUMBER_FIELDS):
        return None  # a row cut short (the list is often truncated mid-row)
    first = cells[0]
    rules = _first(first.iter("a"), "href", "RULES_ID=")
    icon = next((child for child in first if child.tag == "img"), None)
    flag = _first(first.iter("img"), "src", "flag.gif")
    extra = None
    if flag is not None:
        extra = clean((flag.get("alt") or flag.get("ALT") or "").removeprefix("Extra Rules:"))
    texts = [first.text] + [child.tail for child in first]
    start, end = _date_range(clean([text for text in texts if text][-1]))
    row = HistoryRow(
        challenge_id=challenge_id,
        name=clean(text_of(link)),
        kind=kind_from_label(icon.get("alt") if icon is not None else None),
        rules_id=id_param(rules.get("href"), "RULES_ID") if rules is not None else None,
        rules_name=clean(text_of(rules)) if rules is not None else None,
        extra_rules=extra,
        submission_start=start,
        submission_end=end,
    )
    for (name, convert), cell in zip(_NUMBER_FIELDS, numbers):
        setattr(row, name, convert(text_of(cell)))
    return row


_MONTHS = {
    name: number
    for number, name in enumerate(
        ("jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"), 1
    )
}
_LIST_DATE = re.compile(r"([A-Za-z]{3})\.? (\d{1,2})(?:st|nd|rd|th) (\d{4})")


def _date(value: str) -> str | None:
    """The list's own `Aug. 14th 2026` without strptime; any other form as parse_date reads it."""
    match = _LIST_DATE.fullmatch(value.strip())
    month = _MONTHS.get(match.group(1).lower()) if match else None
    if month is None:
        return parse_date(value)
    try:
        return date(int(match.group(3)), month, int(match.group(2))).isoformat()
    except ValueError:
        return parse_date(value)


def _date_range(value: str | None) -> tuple[str | None, str | None]:
    if not value or " - " not in value:
        return None, None
    start, _, end = value.partition(" - ")
    return _date(start), _date(end)


# What only the history list says about a challenge; the results page wins where both speak.
HISTORY_ONLY = ("extra_rules", "kind", "name", "rules_id", "rules_name")


def fill_from_history(challenge: ChallengeItem, history) -> list[str]:
    """Fill the fields only the history list shows, where the results page left them null.

    `history` is a HistoryRow, its `vars()` dict, or the challenge's challenges.jsonl record.
    Returns the names filled.
    """
    if history is None or challenge.status == "invalid":
        return []
    source = history if isinstance(history, dict) else vars(history)
    filled = []
    for name in HISTORY_ONLY:
        if getattr(challenge, name) is None and source.get(name) is not None:
            setattr(challenge, name, source[name])
            filled.append(name)
    return filled
