"""The challenge results page: results, an invalid id, or an unfinished challenge's details."""

from __future__ import annotations

import functools
import html
import re
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from lxml import etree

from dpchallenge.items import ChallengeItem, EntryItem
from dpchallenge.pages.common import Page, PageResult, is_ban, is_cut_short, slug
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
_OUTCOME = re.compile(r"<b>\s*(Disqualified|Removed)\s*</b>", re.I)
_ENTRY_THUMB = re.compile(r"/images_challenge/.+/120/Copyrighted_Image_Reuse_Prohibited_\d+\.jpg$")
_SHOWING = re.compile(
    r"Showing results\s*<b>\s*([\d,]+)\s*-\s*([\d,]+)\s*</b>\s*of\s*<b>\s*([\d,]+)", re.I
)
_PAGER_LINKS = '//a[contains(@href, "challenge_results.php")][contains(@href, "page=")]'
_EXPECTED_STATS = (
    "submission dates",
    "voting dates",
    "entries",
    "disqualifications",
    "votes",
    "comments",
    "avg_score",
    "highest_score",
    "median_score",
    "lowest_score",
)
_CONVERT = {"entries": to_int, "disqualifications": to_int, "votes": to_int, "comments": to_int}
# Text that only a page about a challenge still running would carry (voting, or taking entries).
_PHASE_MARKERS = (
    "Submission Deadline",
    "Voting Dates:",
    "Voting Ends",
    "Voting ends",
    "Challenge Voting",
    "Vote on this challenge",
)
_ANY_DIVIDER = re.compile(r'<div class="divider"><b>[^<]*</b>\s*-\s*([^<]+)</div>')


@functools.lru_cache(maxsize=256)
def challenge_stat(label: str) -> str | None:
    """The ChallengeItem field (or date pair) of a stats-block line, by keyword."""
    key = " ".join(label.lower().split())
    if "date" in key:
        if "submission" in key or "entry" in key:
            return "submission dates"
        return "voting dates" if "vot" in key else None
    if "disqualif" in key:
        return "disqualifications"
    if "submission" in key or "entries" in key:
        return "entries"
    if "score" in key or key.startswith(("avg", "average")):
        for word, name in (
            ("high", "highest_score"),
            ("median", "median_score"),
            ("low", "lowest_score"),
            ("av", "avg_score"),
            ("mean", "avg_score"),
        ):
            if word in key:
                return name
        return None
    if "vote" in key:
        return "votes"
    if "comment" in key:
        return "comments"
    return None


def expected_rows(challenge: ChallengeItem) -> int | None:
    """How many rows a complete results listing holds at least: Submissions − Disqualifications."""
    if challenge.entries is None:
        return None
    return challenge.entries - (challenge.disqualifications or 0)


def results_incomplete(challenge: ChallengeItem, rows: int) -> bool | None:
    """Whether `rows` entries (over all pages read) fall short of the challenge; None: unknown."""
    expected = expected_rows(challenge)
    return None if expected is None else rows < expected


def full_results_url(url: str) -> str:
    """The same challenge's results with every row on one page (`show_full=1`, no `page`)."""
    parts = urlsplit(url)
    query = [(k, v) for k, v in parse_qsl(parts.query) if k not in ("page", "show_full")]
    return urlunsplit(parts._replace(query=urlencode([*query, ("show_full", "1")])))


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
    if page.first(_DETAILS_DIVIDER) is not None or any(m in page.text for m in _PHASE_MARKERS):
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
        stats_block = page.first('//div[b[contains(normalize-space(), "Submission")]]')
    if stats_block is None:
        return PageResult("unparsable", missing=["stats block (Submission Dates …)"])
    result = PageResult("results", [item])
    seen = set()
    for label, value in _STAT.findall(lxml_html(stats_block)):
        name = challenge_stat(label)
        value = clean(value.replace("&nbsp;", " "))
        if name is None or name in seen:
            if name is None:
                result.count(f"results/unknown_label/{slug(label)}")
            continue
        seen.add(name)
        if name == "submission dates":
            item.submission_start, item.submission_end = parse_date_range(value)
        elif name == "voting dates":
            item.voting_start, item.voting_end = parse_date_range(value)
        else:
            setattr(item, name, _CONVERT.get(name, to_float)(value))
    for name in _EXPECTED_STATS:
        if name not in seen:
            result.lacks("results", f"label {name}", f"no {name} line in the stats block")
    if item.name is None:
        title = clean(page.first("string(//title)"))
        item.name = title.removesuffix(" Challenge Results") if title else None
    rows = _entry_rows(page, heading)
    # Every row the page shows counts against Submissions − Disqualifications, those without an
    # entry (a removed one without links, an odd one) included: Submissions counts them too.
    result.rows = len(rows)
    for position, row in enumerate(rows, start=1):
        entry, odd = _parse_entry(page, row, challenge_id)
        if entry is not None:
            result.items.append(entry)
        elif odd is None:
            result.count("results/removed_without_link")
        if odd:
            result.count("results/odd_rows")
            result.missing.append(f"challenge {challenge_id}, results row {position}: {odd}")
    _read_pager(page, challenge_id, result)
    listed = len(rows)
    item.results_incomplete = results_incomplete(item, listed)
    if result.other_pages:
        result.count("results/paged")
    elif item.results_incomplete:
        result.count("results/short_page")
        result.missing.append(
            f"challenge {challenge_id}: {listed} rows listed, fewer than Submissions − "
            f"Disqualifications ({expected_rows(item)}), and no pager"
        )
    return result


def _entry_rows(page: Page, heading) -> list:
    """The rows of the results table: every row after its heading, odd ones included."""
    table = heading.getparent().getparent() if heading is not None else None
    if table is not None and table.tag == "table":
        return page.xpath('./tr[starts-with(@class, "forum-bg")]', table)
    return page.xpath('//tr[@class="forum-bg1"][td[@width="160"]]')


def _read_pager(page: Page, challenge_id: int, result: PageResult) -> None:
    """Links to the listing's other pages (`page=N`), in page order."""
    current = id_param(page.url, "page") or 1
    pages = {}
    for link in page.xpath(
        '//a[contains(@href, "challenge_results.php")][contains(@href, "page=")]'
    ):
        href = link.get("href")
        number = id_param(href, "page")
        if number and number != current and id_param(href, "CHALLENGE_ID") == challenge_id:
            pages.setdefault(number, page.urljoin(href))
    result.other_pages = [pages[n] for n in sorted(pages)]
    showing = _SHOWING.search(page.text)
    if showing and not result.other_pages:
        last, total = to_int(showing.group(2)), to_int(showing.group(3))
        if last is not None and total is not None and last < total:
            result.count("results/pager_without_links")
            result.missing.append(f"challenge {challenge_id}: rows 1-{last} of {total} shown")


def _parse_entry(page: Page, row, challenge_id: int) -> tuple[EntryItem | None, str | None]:
    """A row's entry (None without an image id) and, for a row that is odd, what was odd."""
    title = page.first('.//a[@class="i"]', row)
    image_id = id_param(page.first('.//a[contains(@href, "IMAGE_ID=")]/@href', row), "IMAGE_ID")
    if image_id is None:
        thumb = (page.first("./td[1]//img/@src", row) or "").rsplit("/", 1)[-1]
        if "removed" in thumb.lower():
            return None, None  # a removed entry whose row links nowhere: nothing to record
        return None, "no IMAGE_ID link"
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
    odd = None
    if match := _PLACE.search(row_html):
        entry.place, entry.avg_vote = int(match.group(1)), float(match.group(2))
        entry.disqualified = False
    elif match := _OUTCOME.search(row_html):
        entry.disqualified = True if match.group(1).lower() == "disqualified" else None
    else:
        odd = "neither a place nor Disqualified/Removed"
    if match := _RIBBON.search(row_html):
        entry.ribbon = int(match.group(1))
    entry.views = _first_int(_VIEWS, row_html)
    if entry.views is None and odd is None:
        odd = "no Views"
    entry.views_during_voting = _first_int(_VIEWS_DURING, row_html)
    entry.votes = _first_int(_VOTES, row_html)
    entry.avg_participants = _first_float(_AVG_PARTICIPANTS, row_html)
    entry.avg_non_participants = _first_float(_AVG_NON_PARTICIPANTS, row_html)
    return entry, odd


def _parse_unfinished(page: Page, challenge_id: int) -> PageResult:
    item = ChallengeItem(challenge_id, url=page.url, status="unfinished")
    divider = page.first(_DETAILS_DIVIDER)
    name = clean(text_of(divider)) if divider is not None else None
    item.name = clean(name.split("-", 1)[1]) if name and "-" in name else None
    if item.name is None and (match := _ANY_DIVIDER.search(page.text)):
        item.name = clean(html.unescape(match.group(1)))
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
