"""The image page: /image.php?IMAGE_ID=<id>."""

from __future__ import annotations

import html
import re

from dpchallenge.items import Comment, ImageItem
from dpchallenge.pages.common import Page, PageResult, is_ban, is_cut_short, parse_html
from dpchallenge.pages.text import (
    clean,
    id_param,
    inner_html,
    parse_date,
    parse_time,
    text_of,
    text_with_breaks,
    to_float,
    to_int,
)

RIGHT_COLUMN = "<!-- START RIGHT COLUMN -->"
COMMENTS_TABLE_START = '<tr class="forum-heading"><td width="150">Author</td>'
_DURING_DIVIDER = "Comments Made During the Challenge"
_COMMENT_ANCHOR = re.compile(r'<a name="(\d+)"></a>')
_COMMENT_AUTHOR = re.compile(
    r'href="/?profile\.php\?USER_ID=(\d+)"[^>]*class="fo ?"[^>]*>([^<]*)</a>'
)
_COMMENT_ROLE = re.compile(r'<img src="[^"]*/user_icon/[^"]*"[^>]*\balt="([^"]*)"')
_COMMENT_TIME = re.compile(r'<td class="textsm" height="14">\s*([^<]+?)\s*</td>')
_BODY_START = '<table cellspacing="0" cellpadding="4" class="forum-post"><tr><td valign="top">'
_BODY_END = "</td></tr></table></td></tr>"
_BODY_CLOSE = re.compile(re.escape(_BODY_END) + r'\s*<tr class="forum-bg\d"><td class="textsm">')
_LEFT_CHALLENGE_LINK = re.compile(
    r'<div id="image_challenge"[^>]*>.*?CHALLENGE_ID=(\d+)"[^>]*>([^<]+)</a>', re.S
)
# The whole comment header in one pass: role icon, author link, then the time cell.
_COMMENT_HEADER = re.compile(
    r'<a name="\d+"></a>[^<]*(?:<(?!img src="[^"]*/user_icon/)[^>]*>[^<]*)*'
    r'<img src="[^"]*/user_icon/[^"]*"[^>]*\balt="([^"]*)"[^>]*>(?:</span>)?'
    r'<a [^>]*href="/?profile\.php\?USER_ID=(\d+)"[^>]*class="fo ?"[^>]*>([^<]*)</a>'
    r'(?:[^<]*<(?!td class="textsm" height="14")[^>]*>)*[^<]*'
    r'<td class="textsm" height="14">\s*([^<]+?)\s*</td>'
)
_LABEL = re.compile(r"^\s*([^:]+?)\s*:\s*$")
_EDITED = re.compile(r"Message edited by author (\d{4}-\d\d-\d\d \d\d:\d\d:\d\d)\.?")
_PLACE_OF = re.compile(r"(\d[\d,]*)\s+out of\s+(\d[\d,]*)")
_INFO_FIELDS = {
    "aperture": "aperture",
    "iso": "iso",
    "shutter": "shutter",
    "shutter speed": "shutter",
}
_STATS = {
    "avg (all users)": ("avg_all", to_float),
    "avg (commenters)": ("avg_commenters", to_float),
    "avg (participants)": ("avg_participants", to_float),
    "avg (non-participants)": ("avg_non_participants", to_float),
    "views since voting": ("views_since_voting", to_int),
    "views during voting": ("views_during_voting", to_int),
    "votes": ("votes", to_int),
    "comments": ("comment_count", to_int),
    "favorites": ("favorites", to_int),
}


def parse_image(response) -> PageResult:
    page = Page.from_response(response, tree_from=RIGHT_COLUMN, tree_until=COMMENTS_TABLE_START)
    image_id = id_param(page.url, "IMAGE_ID")
    if is_ban(page.text):
        return PageResult("ban")
    if "Invalid IMAGE_ID" in page.text:
        return PageResult("invalid")
    if image_id is None:
        return PageResult("unparsable", missing=["IMAGE_ID in the URL"])
    if is_cut_short(page.text):
        return PageResult("unparsable", missing=["end of page"])
    title = page.find('.//div[@class="imagetitle"]')
    container = page.find('.//td[@id="img_container"]')
    missing = [
        name
        for name, node in (("div.imagetitle", title), ("td#img_container", container))
        if node is None
    ]
    if missing:
        return PageResult("unparsable", missing=missing)

    item = ImageItem(image_id, url=page.url, title=clean(text_of(title)))
    photographer = next(
        (a for a in title.itersiblings("a") if "USER_ID=" in (a.get("href") or "")), None
    )
    if photographer is not None:
        item.photographer_id = id_param(photographer.get("href"), "USER_ID")
        item.photographer_name = clean(text_of(photographer))
    main = next(
        (
            src
            for img in container.iter("img")
            if "Reuse_Prohibited_" in (src := img.get("src", ""))
        ),
        None,
    )
    item.image_url = page.urljoin(main)
    if item.image_url and "/1200/" in item.image_url:
        item.thumbnail_url = item.image_url.replace("/1200/", "/120/")

    problems: list[str] = []
    panels = _panels(page)
    _read_photo_info(page, item, panels.get("Photograph Information"))
    _read_statistics(item, panels.get("Statistics"))
    _read_breakdown(page, item, panels.get("Voting Breakdown"), problems)
    item.comments = _read_comments(page)
    return PageResult("image", [item], problems)


def _panels(page: Page) -> dict:
    """Each boxed panel's body row, by its heading (the first words before any markup)."""
    panels = {}
    for heading in page.findall('.//tr[@class="forum-heading"]'):
        cell = heading.find("td")
        label = clean(cell.text) if cell is not None and cell.text else None
        body = heading.getnext()
        if label and body is not None and label not in panels:
            panels[label] = body
    return panels


def _labelled_lines(cell):
    """Yield (label, nodes) for each `<b>Label:</b> value<br>` line of a cell."""
    label, nodes = None, []
    for child in cell:
        if child.tag == "b" and _LABEL.match(text_of(child) or ""):
            if label is not None:
                yield label, nodes
            label, nodes = _LABEL.match(text_of(child)).group(1), [child.tail or ""]
        elif child.tag == "br":
            if label is not None:
                yield label, nodes
            label, nodes = None, []
        elif label is not None:
            nodes += [child, child.tail or ""]
    if label is not None:
        yield label, nodes


def _line_text(nodes) -> str | None:
    return clean("".join(node if isinstance(node, str) else text_of(node) for node in nodes))


def _line_link(nodes, param: str):
    for node in nodes:
        if isinstance(node, str):
            continue
        links = [node] if node.tag == "a" else node.xpath(".//a")
        for link in links:
            if id_param(link.get("href"), param) is not None:
                return link
    return None


def _read_photo_info(page: Page, item: ImageItem, row) -> None:
    cells = row.findall("td") if row is not None else []
    info = cells[0] if cells else None
    if info is not None:
        for label, nodes in _labelled_lines(info):
            key = label.lower()
            value = _line_text(nodes)
            if key == "challenge":
                link = _line_link(nodes, "CHALLENGE_ID")
                if link is not None:
                    item.challenge_id = id_param(link.get("href"), "CHALLENGE_ID")
                    item.challenge_name = clean(text_of(link))
            elif key in ("camera", "lens"):
                link = _line_link(nodes, f"{key.upper()}_ID")
                setattr(item, key, clean(text_of(link)) if link is not None else value)
                if link is not None:
                    setattr(item, f"{key}_id", id_param(link.get("href"), f"{key.upper()}_ID"))
            elif key == "date":
                item.taken_on = parse_date(value)
            elif key == "date uploaded":
                item.uploaded_on = parse_date(value)
            elif key in _INFO_FIELDS:
                setattr(item, _INFO_FIELDS[key], value)
            elif value is not None:
                item.extra_info[label] = value
    if item.challenge_id is None and (link := _LEFT_CHALLENGE_LINK.search(page.text)):
        item.challenge_id = int(link.group(1))
        item.challenge_name = clean(_unescape(link.group(2)))
    comment = cells[1] if len(cells) > 1 else None
    if comment is not None:
        item.photographer_comment = text_with_breaks(comment)
        item.photographer_comment_html = inner_html(comment)


def _read_statistics(item: ImageItem, row) -> None:
    cell = row.find("td") if row is not None else None
    if cell is None:
        return
    for label, nodes in _labelled_lines(cell):
        key, value = label.lower(), _line_text(nodes)
        if key == "place":
            match = _PLACE_OF.search(value or "")
            if match:
                item.place, item.place_of = to_int(match.group(1)), to_int(match.group(2))
                item.disqualified = False
            elif "disqualified" in (value or "").lower():
                item.disqualified = True
        elif key in _STATS:
            name, convert = _STATS[key]
            setattr(item, name, convert(value))


def _read_breakdown(page: Page, item: ImageItem, row, problems: list[str]) -> None:
    if row is None:
        return
    counts = [
        to_int(text_of(div)) for div in page.xpath('.//div[@class="breakdown_vote_count"]', row)
    ]
    if len(counts) == 10 and None not in counts:
        item.vote_counts = counts
    else:
        problems.append(f"Voting Breakdown with {len(counts)} readable counts, not 10")


def _read_comments(page: Page) -> list[Comment]:
    """Comments, read from the source with patterns: the bulk of the page, and of its parse time."""
    text = page.text
    start = text.find(COMMENTS_TABLE_START)
    if start < 0:
        return []
    divider = text.find(_DURING_DIVIDER, start)
    anchors = [(m.start(), int(m.group(1))) for m in _COMMENT_ANCHOR.finditer(text, start)]
    ends = [position for position, _ in anchors[1:]] + [len(text)]
    return [
        _parse_comment(text, comment_id, begin, end, start <= divider < begin)
        for (begin, comment_id), end in zip(anchors, ends)
    ]


def _parse_comment(text: str, comment_id: int, begin: int, end: int, during: bool) -> Comment:
    comment = Comment(comment_id=comment_id, during_challenge=during)
    body_start = text.find(_BODY_START, begin, end)
    header_end = body_start if body_start >= 0 else end
    if header := _COMMENT_HEADER.match(text, begin, header_end):
        role, author_id, author_name, posted = header.groups()
        comment.author_role = clean(_unescape(role))
        comment.author_id = int(author_id)
        comment.author_name = clean(_unescape(author_name))
        comment.posted_at = parse_time(posted)
    else:
        _parse_comment_header(text, begin, header_end, comment)
    if body_start >= 0:
        body_start += len(_BODY_START)
        closing = _BODY_CLOSE.search(text, body_start, end)
        body_end = closing.start() if closing else text.rfind(_BODY_END, body_start, end)
        if body_end >= 0:
            body = text[body_start:body_end]
            comment.html = body.strip() or None
            _read_body_text(body, comment)
            comment.helpful = text.find("helpful.gif", body_end, end) >= 0
    return comment


def _parse_comment_header(text: str, begin: int, end: int, comment: Comment) -> None:
    """Each header field on its own, for markup the one-pass pattern does not fit."""
    if author := _COMMENT_AUTHOR.search(text, begin, end):
        comment.author_id = int(author.group(1))
        comment.author_name = clean(_unescape(author.group(2)))
    if role := _COMMENT_ROLE.search(text, begin, end):
        comment.author_role = clean(_unescape(role.group(1)))
    if posted := _COMMENT_TIME.search(text, begin, end):
        comment.posted_at = parse_time(posted.group(1))


def _read_body_text(body: str, comment: Comment) -> None:
    edited = _EDITED.search(body) if "edited by author" in body else None
    if edited:
        comment.edited_at = parse_time(edited.group(1), "%Y-%m-%d %H:%M:%S")
    if "<" not in body:
        text = clean(_unescape(body))
    else:
        fragment = parse_html(f"<div>{body}</div>").find("body/div")
        text = text_with_breaks(fragment, skip=lambda el: el.tag == "table")
    if text and edited:
        text = _EDITED.sub("", text).strip() or None
    comment.text = text


def _unescape(value: str) -> str:
    return html.unescape(value) if "&" in value else value
