"""The challenge history list: /challenge_history.php?show_all=1."""

from __future__ import annotations

import re
from datetime import date

from dpchallenge.items import ChallengeItem, HistoryRow
from dpchallenge.pages.common import Page, PageResult, is_ban
from dpchallenge.pages.text import clean, id_param, parse_date, text_of, to_float, to_int

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
    page = Page.from_response(response)
    if is_ban(page.text):
        return PageResult("ban")
    tables = page.xpath('//table[@id="challenges"]')
    if not tables:
        return PageResult("unparsable", missing=["table#challenges"])
    rows = [tr for tr in tables[-1].iter("tr") if (tr.get("class") or "").startswith("forum-bg")]
    items = [row for row in map(_parse_row, rows) if row is not None]
    if rows and not items:
        return PageResult("unparsable", missing=["a complete history row"])
    return PageResult("history", items)


# The list has ~4,150 rows: each is read by walking its elements, not by XPath queries (7x the
# tree's own parse time) nor strptime.


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
