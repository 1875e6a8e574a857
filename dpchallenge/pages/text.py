"""Decoding, numbers, dates and text clean-up shared by the page parsers."""

from __future__ import annotations

import functools
import html
import re
from datetime import datetime
from zoneinfo import ZoneInfo

from lxml import etree

EASTERN = ZoneInfo("America/New_York")
_LATIN1_ALIASES = {"iso-8859-1", "latin-1", "latin1", "us-ascii", "ascii", "windows-1252", "cp1252"}
_META_CHARSET = re.compile(rb"""<meta[^>]+charset\s*=\s*["']?([\w-]+)""", re.I)
_SPACES = re.compile(r"[ \t\r\n\f\v\xa0]+")
_BREAK = "\x00"
US_TIME = "%m/%d/%Y %I:%M:%S %p"
_US_TIME = re.compile(r"(\d\d)/(\d\d)/(\d{4}) (\d\d):(\d\d):(\d\d) ([AP]M)", re.I)
_ORDINAL = re.compile(r"(\d+)(?:st|nd|rd|th)\b")


def declared_charset(body: bytes, content_type: str | None) -> str | None:
    if content_type:
        match = re.search(r"charset\s*=\s*[\"']?([\w-]+)", content_type, re.I)
        if match:
            return match.group(1).lower()
    match = _META_CHARSET.search(body[:4096])
    return match.group(1).decode("ascii").lower() if match else None


def decode_body(body: bytes, content_type: str | None = None) -> str:
    """Decode a page: a declared charset (unless a Latin-1 alias), then UTF-8, then windows-1252.

    Undeclared pages of the site are windows-1252 (0x97 em dashes), which Latin-1 would garble.
    """
    charset = declared_charset(body, content_type)
    if charset and charset not in _LATIN1_ALIASES:
        try:
            return body.decode(charset)
        except (LookupError, UnicodeDecodeError):
            pass
    try:
        return body.decode("utf-8")
    except UnicodeDecodeError:
        return body.decode("cp1252", errors="replace")


def clean(value: str | None) -> str | None:
    """Collapse whitespace (incl. &nbsp;) and strip; empty becomes None."""
    if value is None:
        return None
    value = " ".join(value.split())
    return value or None


def to_int(value: str | None) -> int | None:
    if value is None:
        return None
    match = re.search(r"\d[\d,]*", value)
    return int(match.group(0).replace(",", "")) if match else None


def to_float(value: str | None) -> float | None:
    if value is None:
        return None
    match = re.search(r"\d[\d,]*(?:\.\d+)?|\.\d+", value)
    return float(match.group(0).replace(",", "")) if match else None


@functools.cache
def _param_pattern(name: str) -> re.Pattern:
    return re.compile(rf"[?&]{name}=(\d+)")


def id_param(url: str | None, name: str) -> int | None:
    if not url:
        return None
    match = _param_pattern(name).search(url)
    return int(match.group(1)) if match else None


def parse_date(value: str | None) -> str | None:
    """`Aug. 14th 2026`, `Nov 19 2010`, `Nov 25, 2010`, `Tuesday, December 31st, 2024` → ISO."""
    if not value:
        return None
    text = _ORDINAL.sub(r"\1", clean(value) or "")
    text = text.replace(".", "").replace(",", " ")
    text = _SPACES.sub(" ", text).strip()
    parts = text.split(" ")
    if parts and parts[0].lower().rstrip("s") in _WEEKDAYS:
        parts = parts[1:]
    text = " ".join(parts)
    for fmt in ("%b %d %Y", "%B %d %Y", "%Y-%m-%d", "%m/%d/%Y"):
        try:
            return datetime.strptime(text, fmt).date().isoformat()
        except ValueError:
            continue
    if text[:4].lower() == "sept":
        return parse_date("Sep" + text[4:])
    return None


_WEEKDAYS = {"monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday"}


def parse_date_range(value: str | None) -> tuple[str | None, str | None]:
    if not value or " - " not in value:
        return None, None
    start, _, end = value.partition(" - ")
    return parse_date(start), parse_date(end)


def eastern_iso(value: datetime) -> str:
    return value.replace(tzinfo=EASTERN).isoformat()


def parse_time(value: str | None, fmt: str = US_TIME) -> str | None:
    """A site time (US Eastern) in ISO 8601 with its offset; the comment format without strptime,
    whose cost shows on a page of many comments."""
    text = clean(value)
    if not text:
        return None
    match = _US_TIME.fullmatch(text) if fmt == US_TIME else None
    if match is None:
        try:
            return eastern_iso(datetime.strptime(text, fmt))
        except ValueError:
            return None
    month, day, year, hour, minute, second, half = match.groups()
    hour_24 = int(hour) % 12 + (12 if half.upper() == "PM" else 0)
    offset = _eastern_offset(int(year), int(month), int(day), hour_24)
    return f"{year}-{month}-{day}T{hour_24:02d}:{minute}:{second}{offset}" if offset else None


@functools.lru_cache(maxsize=4096)
def _eastern_offset(year: int, month: int, day: int, hour: int) -> str | None:
    try:
        return eastern_iso(datetime(year, month, day, hour))[-6:]
    except ValueError:
        return None


def text_of(element) -> str:
    if len(element) == 0:  # most cells and links: no children to walk
        return element.text or ""
    return "".join(element.itertext())


def inner_html(element) -> str | None:
    """The markup inside an lxml element, as lxml serialises it."""
    parts = [html.escape(element.text, quote=False)] if element.text else []
    parts += [etree.tostring(child, encoding="unicode", method="html") for child in element]
    return "".join(parts).strip() or None


def text_with_breaks(element, skip=lambda el: False) -> str | None:
    """An element's text with each <br> as a line break; images drop out, links keep their text."""
    pieces: list[str] = []

    def walk(node):
        if node.text:
            pieces.append(node.text.replace("\n", " "))
        for child in node:
            if not isinstance(child.tag, str) or skip(child):  # comments, processing instructions
                pass
            elif child.tag == "br":
                pieces.append(_BREAK)
            elif child.tag == "table":
                if "".join(pieces).rstrip(" ")[-1:] not in ("", _BREAK):
                    pieces.append(_BREAK)  # each row of a table stands on a line of its own
                walk(child)
            elif child.tag == "tr":
                walk(child)
                pieces.append(_BREAK)
            elif child.tag in ("td", "th"):
                pieces.append(" ")
                walk(child)
            elif child.tag not in ("script", "style"):
                walk(child)
            if child.tail:
                pieces.append(child.tail.replace("\n", " "))

    walk(element)
    lines = [_SPACES.sub(" ", line).strip() for line in "".join(pieces).split(_BREAK)]
    return "\n".join(lines).strip() or None
