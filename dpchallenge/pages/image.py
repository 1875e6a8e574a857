"""The image page: /image.php?IMAGE_ID=<id>."""

from __future__ import annotations

import functools
import html
import re

from dpchallenge.items import Comment, ImageItem
from dpchallenge.pages.camera import aperture_f, camera_make, iso_value, shutter_s
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
_PROFILE_LINK = re.compile(r"(?:^|/)profile\.php\?(?:[^#]*&)?USER_ID=\d", re.I)
_EDITED = re.compile(r"Message edited by author (\d{4}-\d\d-\d\d \d\d:\d\d:\d\d)\.?")
_PLACE_OF = re.compile(r"(\d[\d,]*)\s+out of\s+(\d[\d,]*)")
_QUOTE_MARK = "Originally posted by"
# Lines every scored or disqualified image page shows (IMG); their absence is counted.
_EXPECTED_STATS = (
    "views_since_voting",
    "views_during_voting",
    "votes",
    "comment_count",
    "favorites",
)
_AVERAGES = ("avg_all", "avg_commenters", "avg_participants", "avg_non_participants")
_INT_STATS = {"views_since_voting", "views_during_voting", "votes", "comment_count", "favorites"}


@functools.lru_cache(maxsize=512)
def stat_field(label: str) -> str | None:
    """The ImageItem field of a Statistics line, by keyword: labels have been renamed before."""
    key = " ".join(label.lower().split())
    if key.startswith(("avg", "average")):
        if "non" in key and "particip" in key:
            return "avg_non_participants"
        if "particip" in key:
            return "avg_participants"
        if "comment" in key:
            return "avg_commenters"
        if "all" in key or key in ("avg", "average", "average vote", "avg vote"):
            return "avg_all"
        return None
    if "place" in key or key == "rank":
        return "place"
    if "view" in key:
        if "during" in key:
            return "views_during_voting"
        if "since" in key or "after" in key:
            return "views_since_voting"
        return None  # plain "Views": since voting, or in all? not known
    if "vote" in key:
        return "votes"
    if "comment" in key:
        return "comment_count"
    if "favo" in key:
        return "favorites"
    return None


@functools.lru_cache(maxsize=512)
def info_field(label: str) -> str | None:
    """The ImageItem field of a Photograph Information line, by keyword."""
    key = " ".join(label.lower().split())
    if "galler" in key:
        return "galleries"
    if "challenge" in key:
        return "challenge"
    if "lens" in key:
        return "lens"
    if "camera" in key:
        return "camera"
    if "aperture" in key or "f-stop" in key or "f stop" in key:
        return "aperture"
    if "iso" in key.split() or key.startswith("iso"):
        return "iso"
    if "shutter" in key or "exposure time" in key:
        return "shutter"
    if "upload" in key:
        return "uploaded_on"
    if "date" in key or "taken" in key:
        return "taken_on"
    return None


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
    main = next(
        (
            src
            for img in container.iter("img")
            if "Reuse_Prohibited_" in (src := img.get("src", ""))
        ),
        None,
    )
    panels = _panels(page)
    stats_cells = [
        cell
        for heading, cell in panels.items()
        if heading.startswith(("Statistics", "Voting Breakdown"))
    ]
    removed = main is None and any("removed" in img.get("src", "") for img in container.iter("img"))
    if item.title is None and main is None and not removed and not stats_cells:
        # the site's frame around an empty image panel: a page the site failed to fill
        return PageResult("unparsable", missing=["image panel (title, image, statistics)"])

    result = PageResult("image", [item])
    photographer = next(
        (a for a in title.itersiblings("a") if _PROFILE_LINK.search(a.get("href") or "")), None
    )
    if photographer is not None:
        item.photographer_id = id_param(photographer.get("href"), "USER_ID")
        item.photographer_name = clean(text_of(photographer))
    item.image_url = page.urljoin(main)
    if item.image_url and "/1200/" in item.image_url:
        item.thumbnail_url = item.image_url.replace("/1200/", "/120/")

    info = next((cell for heading, cell in panels.items() if "Information" in heading), None)
    if info is None:
        result.lacks("image", "photograph information panel", "no Photograph Information panel")
    _read_photo_info(page, item, info)
    comment = next((cell for heading, cell in panels.items() if "Comment" in heading), None)
    if comment is not None:
        item.photographer_comment = text_with_breaks(comment)
        item.photographer_comment_html = inner_html(comment)
    _read_statistics(item, stats_cells, removed, result)
    _read_histogram(page, item, panels, result)
    item.comments = _read_comments(page)
    return result


def _panels(page: Page) -> dict:
    """Each boxed panel's body cell, by its heading (the first words before any markup).

    Every cell of a heading row heads the cell in the same column of the row under it: the old
    markup put `Voting Breakdown` between `Photograph Information` and `Photographer's Comments`.
    """
    panels = {}
    for heading in page.findall('.//tr[@class="forum-heading"]'):
        body = heading.getnext()
        cells = body.findall("td") if body is not None and body.tag == "tr" else []
        for position, cell in enumerate(heading.findall("td")):
            label = clean(cell.text) if cell.text else None
            if label and position < len(cells) and label not in panels:
                panels[label] = cells[position]
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


def _read_photo_info(page: Page, item: ImageItem, info) -> None:
    if info is not None:
        item.galleries = _galleries(info)
        for label, nodes in _labelled_lines(info):
            name = info_field(label)
            value = _line_text(nodes)
            if name == "challenge":
                link = _line_link(nodes, "CHALLENGE_ID")
                if link is not None:
                    item.challenge_id = id_param(link.get("href"), "CHALLENGE_ID")
                    item.challenge_name = clean(text_of(link))
            elif name in ("camera", "lens"):
                link = _line_link(nodes, f"{name.upper()}_ID")
                setattr(item, name, clean(text_of(link)) if link is not None else value)
                if link is not None:
                    setattr(item, f"{name}_id", id_param(link.get("href"), f"{name.upper()}_ID"))
            elif name in ("taken_on", "uploaded_on"):
                setattr(item, name, parse_date(value))
            elif name == "galleries":
                continue
            elif name is not None:
                setattr(item, name, value)
            elif value is not None:
                item.extra_info[clean(label)] = value
    if item.challenge_id is None and (link := _LEFT_CHALLENGE_LINK.search(page.text)):
        item.challenge_id = int(link.group(1))
        item.challenge_name = clean(_unescape(link.group(2)))
    item.aperture_f = aperture_f(item.aperture)
    item.shutter_s = shutter_s(item.shutter)
    item.iso_value = iso_value(item.iso)
    item.camera_make = camera_make(item.camera)


def _galleries(info) -> list[dict]:
    """The `Galleries:` line's links, in page order, up to the next label (commas or `<br>`s)."""
    galleries: list[dict] = []
    reading = False
    for child in info:
        if child.tag == "b" and (label := _LABEL.match(text_of(child) or "")):
            reading = info_field(label.group(1)) == "galleries"
            continue
        if not reading:
            continue
        for link in child.iter("a"):
            gallery_id = id_param(link.get("href"), "GALLERY_ID")
            if gallery_id is not None:
                galleries.append({"gallery_id": gallery_id, "name": clean(text_of(link))})
    return galleries


def _read_statistics(item: ImageItem, cells: list, removed: bool, result: PageResult) -> None:
    """Stats lines by label, from whichever panel holds them (Statistics or Voting Breakdown)."""
    if not cells:
        result.lacks("image", "statistics panel", "no Statistics (or Voting Breakdown) panel")
        return
    seen: set[str] = set()
    place_text = None
    for cell in cells:
        for label, nodes in _labelled_lines(cell):
            name, value = stat_field(label), _line_text(nodes)
            if name is None or name in seen:
                if name is None and value is not None:
                    item.extra_info[clean(label)] = value
                continue
            seen.add(name)
            if name == "place":
                place_text = value or ""
            else:
                setattr(item, name, (to_int if name in _INT_STATS else to_float)(value))
    if place_text is not None:
        match = _PLACE_OF.search(place_text)
        if match:
            item.place, item.place_of = to_int(match.group(1)), to_int(match.group(2))
            item.disqualified = False
        elif "disqualified" in place_text.lower():
            item.disqualified = True
    elif not seen.intersection(_AVERAGES) and item.views_since_voting is not None and not removed:
        item.disqualified = True  # a scored page without Place or averages: disqualified
    elif seen.intersection(_AVERAGES):
        result.lacks("image", "label place", "no Place line beside the averages")
    if not seen:
        result.lacks("image", "statistics lines", "a Statistics panel without a known line")
        return
    for name in _EXPECTED_STATS:
        if name not in seen:
            result.lacks("image", f"label {name}", f"no {name} line in Statistics")


def _read_histogram(page: Page, item: ImageItem, panels: dict, result: PageResult) -> None:
    """The ten vote counts, wherever their divs stand above the comments."""
    divs = []
    if "breakdown_vote_count" in page.text:
        divs = page.xpath('//div[@class="breakdown_vote_count"]')
    if not divs:
        has_panel = any(heading.startswith("Voting Breakdown") for heading in panels)
        if has_panel:
            result.lacks("image", "histogram counts", "a Voting Breakdown panel without counts")
        who = "logged_in" if "Welcome back," in page.text else "anonymous"
        result.count(f"image/histogram/absent_{who}")
        return
    counts = [to_int(text_of(div)) for div in divs]
    if len(counts) == 10 and None not in counts:
        item.vote_counts = counts
        result.count("image/histogram/shown")
    else:
        readable = sum(n is not None for n in counts)
        result.lacks(
            "image", "histogram counts", f"vote histogram with {readable} readable counts, not 10"
        )


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
        text = text_with_breaks(fragment, skip=_is_quote)
    if text and edited:
        text = _EDITED.sub("", text).strip() or None
    comment.text = text


def _is_quote(element) -> bool:
    """Only a quoted comment's table leaves the text; other tables in a body are the words."""
    return element.tag == "table" and _QUOTE_MARK in "".join(element.itertext())


def _unescape(value: str) -> str:
    return html.unescape(value) if "&" in value else value
