"""The challenge history list: /challenge_history.php?show_all=1."""

from __future__ import annotations

from dpchallenge.items import ChallengeItem, HistoryRow
from dpchallenge.pages.common import Page, PageResult, is_ban
from dpchallenge.pages.text import clean, id_param, parse_date_range, text_of, to_float, to_int

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
    rows = page.xpath('.//tr[starts-with(@class, "forum-bg")]', tables[-1])
    items = [row for row in (_parse_row(page, tr) for tr in rows) if row is not None]
    if rows and not items:
        return PageResult("unparsable", missing=["a complete history row"])
    return PageResult("history", items)


def _parse_row(page: Page, tr) -> HistoryRow | None:
    cells = page.xpath("./td", tr)
    link = page.first('.//a[contains(@href, "CHALLENGE_ID=")]', cells[0]) if cells else None
    numbers = page.xpath('./td[@align="center"]', tr)
    challenge_id = id_param(link.get("href"), "CHALLENGE_ID") if link is not None else None
    if challenge_id is None or len(numbers) != len(_NUMBER_FIELDS):
        return None  # a row cut short (the list is often truncated mid-row)
    first = cells[0]
    rules = page.first('.//a[contains(@href, "RULES_ID=")]', first)
    icon = page.first("./img[1]", first)
    flag = page.first('.//img[contains(@src, "flag.gif")]', first)
    extra = None
    if flag is not None:
        extra = clean((flag.get("alt") or flag.get("ALT") or "").removeprefix("Extra Rules:"))
    start, end = parse_date_range(clean(page.xpath("./text()", first)[-1]))
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
