"""The challenge results page: results, an invalid id, or an unfinished challenge's details."""

from __future__ import annotations

import re

from lxml import etree

from dpchallenge.items import ChallengeItem, EntryItem
from dpchallenge.pages.common import Page, PageResult, is_ban, is_cut_short
from dpchallenge.pages.history import kind_from_label
from dpchallenge.pages.text import (
    clean,
    id_param,
    inner_html,
    parse_date,
    parse_date_range,
    text_of,
    text_with_breaks,
    to_float,
    to_int,
)

_DETAILS_DIVIDER = '//div[@class="divider"][starts-with(normalize-space(), "Challenge Details")]'
_STAT = re.compile(r"<b>([^<:]+):\s*</b>(?:\s*<br>)?(?:\s|&nbsp;)*([^<]*?)\s*<br>", re.I)
_PLACE = re.compile(
    r"<b>(\d+)(?:st|nd|rd|th)</b>\s*place with an\s*<br>\s*average vote of\s*<b>([\d.]+)</b>", re.I
)
_VIEWS = re.compile(r"Views:</span>\s*<span[^>]*>([\d,]+)</span>", re.I)
_VIEWS_DURING = re.compile(r"\(([\d,]+) during voting\)", re.I)
_VOTES = re.compile(r"Votes:</span>\s*<span[^>]*>([\d,]+)", re.I)
_AVG_PARTICIPANTS = re.compile(r"Average Vote \(Participants\):\s*<b>([\d.]+)", re.I)
_AVG_NON_PARTICIPANTS = re.compile(r"Average Vote \(Non-Participants\):\s*<b>([\d.]+)", re.I)
_RIBBON = re.compile(r"ribbig([123])\.gif", re.I)
_ENTRY_THUMB = re.compile(r"/images_challenge/.+/120/Copyrighted_Image_Reuse_Prohibited_\d+\.jpg$")
_STAT_FIELDS = {
    "submissions": ("entries", to_int),
    "disqualifications": ("disqualifications", to_int),
    "votes": ("votes", to_int),
    "comments": ("comments", to_int),
    "average score": ("avg_score", to_float),
    "highest score": ("highest_score", to_float),
    "median score": ("median_score", to_float),
    "lowest score": ("lowest_score", to_float),
}


def full_size_url(thumbnail_url: str | None) -> str | None:
    if thumbnail_url and _ENTRY_THUMB.search(thumbnail_url):
        return thumbnail_url.replace("/120/", "/1200/")
    return None


def parse_results(response) -> PageResult:
    page = Page.from_response(response)
    challenge_id = id_param(page.url, "CHALLENGE_ID")
    if is_ban(page.text):
        return PageResult("ban")
    if challenge_id is None:
        return PageResult("unparsable", missing=["CHALLENGE_ID in the URL"])
    if "Invalid CHALLENGE_ID" in page.text:
        return PageResult("invalid", [ChallengeItem(challenge_id, url=page.url, status="invalid")])
    if is_cut_short(page.text):
        return PageResult("unparsable", missing=["end of page"])
    if "Challenge Results for " in page.text:
        return _parse_finished(page, challenge_id)
    if page.first(_DETAILS_DIVIDER) is not None:
        return _parse_unfinished(page, challenge_id)
    return PageResult("unparsable", missing=["results, invalid-id or challenge-details markers"])


def _parse_finished(page: Page, challenge_id: int) -> PageResult:
    item = ChallengeItem(challenge_id, url=page.url, status="finished")
    heading = page.first(
        '//tr[@class="forum-heading"]/td[starts-with(normalize-space(), "Challenge Results for ")]'
    )
    if heading is not None:
        item.name = clean(text_of(heading).split("Challenge Results for ", 1)[1])
    item.kind = next(
        (kind for kind in map(kind_from_label, page.xpath("//img/@title")) if kind), None
    )
    rules = page.first('//a[contains(@href, "RULES_ID=")]')
    if rules is not None:
        item.rules_id = id_param(rules.get("href"), "RULES_ID")
        item.rules_name = clean(text_of(rules))
    description = page.first('//div[b[normalize-space()="Description"]]')
    if description is not None:
        _drop_label(description)
        item.description = text_with_breaks(description)
        item.description_html = inner_html(description)
    stats_block = page.first('//div[b[starts-with(normalize-space(), "Submission Dates")]]')
    if stats_block is None:
        return PageResult("unparsable", missing=["stats block (Submission Dates …)"])
    stats_html = lxml_html(stats_block)
    for label, value in _STAT.findall(stats_html):
        label = clean(label).lower()
        value = clean(value.replace("&nbsp;", " "))
        if label == "submission dates":
            item.submission_start, item.submission_end = parse_date_range(value)
        elif label == "voting dates":
            item.voting_start, item.voting_end = parse_date_range(value)
        elif label in _STAT_FIELDS:
            name, convert = _STAT_FIELDS[label]
            setattr(item, name, convert(value))
    if item.name is None:
        title = clean(page.first("string(//title)"))
        item.name = title.removesuffix(" Challenge Results") if title else None
    rows = page.xpath('//tr[@class="forum-bg1"][td[@width="160"]]')
    entries = [_parse_entry(page, row, challenge_id) for row in rows]
    missing = ["entry image id"] if any(entry is None for entry in entries) else []
    if missing:
        return PageResult("unparsable", missing=missing)
    return PageResult("results", [item, *entries])


def _parse_entry(page: Page, row, challenge_id: int) -> EntryItem | None:
    title = page.first('.//a[@class="i"]', row)
    image_id = id_param(page.first('.//a[contains(@href, "IMAGE_ID=")]/@href', row), "IMAGE_ID")
    if image_id is None:
        return None
    thumb = page.first("./td[1]//img/@src", row)
    thumbnail_url = page.urljoin(thumb)
    if thumbnail_url and "images_challenge/" not in thumbnail_url:
        thumbnail_url = None  # a placeholder such as /images/removed.gif, not this entry's image
    user = page.first('.//a[contains(@href, "USER_ID=")]', row)
    row_html = lxml_html(row)
    entry = EntryItem(
        image_id=image_id,
        challenge_id=challenge_id,
        title=clean(text_of(title)) if title is not None else None,
        photographer_id=id_param(user.get("href"), "USER_ID") if user is not None else None,
        photographer_name=clean(text_of(user)) if user is not None else None,
        thumbnail_url=thumbnail_url,
        image_url=full_size_url(thumbnail_url),
    )
    if match := _PLACE.search(row_html):
        entry.place, entry.avg_vote = int(match.group(1)), float(match.group(2))
    if match := _RIBBON.search(row_html):
        entry.ribbon = int(match.group(1))
    entry.views = _first_int(_VIEWS, row_html)
    entry.views_during_voting = _first_int(_VIEWS_DURING, row_html)
    entry.votes = _first_int(_VOTES, row_html)
    entry.avg_participants = _first_float(_AVG_PARTICIPANTS, row_html)
    entry.avg_non_participants = _first_float(_AVG_NON_PARTICIPANTS, row_html)
    return entry


def _parse_unfinished(page: Page, challenge_id: int) -> PageResult:
    item = ChallengeItem(challenge_id, url=page.url, status="unfinished")
    divider = page.first(_DETAILS_DIVIDER)
    name = clean(text_of(divider))
    item.name = clean(name.split("-", 1)[1]) if name and "-" in name else None
    for row in page.xpath("//tr[td[1]/b and count(td) >= 2]"):
        label = clean(row.xpath("string(./td[1])")).rstrip(":").lower()
        cell = row.xpath("./td[2]")[0]
        value = clean(text_of(cell))
        if label == "challenge type":
            item.kind = kind_from_label(value)
        elif label == "challenge rules":
            rules = page.first('.//a[contains(@href, "RULES_ID=")]', cell)
            item.rules_id = id_param(rules.get("href"), "RULES_ID") if rules is not None else None
            item.rules_name = value
        elif label == "challenge details":
            item.description = text_with_breaks(cell)
            item.description_html = inner_html(cell)
        elif label == "submission deadline" and value:
            deadline, _, began = value.partition("(began")
            item.submission_end = parse_date(deadline)
            item.submission_start = parse_date(began.rstrip(")"))
        elif label == "voting dates":
            item.voting_start, item.voting_end = parse_date_range(value)
    return PageResult("unfinished", [item])


def _drop_label(element) -> None:
    """Remove the leading `<b>Description</b><br>` so only the description itself remains."""
    label = element.find("b")
    if label is None:
        return
    following = label.getnext()
    element.text = None
    element.remove(label)  # the whitespace around the label is not part of the description
    if following is not None and following.tag == "br":
        element.text = following.tail
        element.remove(following)


def lxml_html(element) -> str:
    return etree.tostring(element, encoding="unicode", method="html")


def _first_int(pattern: re.Pattern, text: str) -> int | None:
    match = pattern.search(text)
    return to_int(match.group(1)) if match else None


def _first_float(pattern: re.Pattern, text: str) -> float | None:
    match = pattern.search(text)
    return to_float(match.group(1)) if match else None
