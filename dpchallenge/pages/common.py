"""The result every page parser returns, and what all pages share: decoding and classification."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from urllib.parse import urljoin

from lxml import etree

from dpchallenge.pages.text import decode_body

BAN_MARKERS = ("suspicious activity detected from your address", "<h1>Attention</h1>")
_PARSER = etree.HTMLParser(remove_comments=True)
_LOGGED_IN = re.compile(r"Welcome back,\s*<a[^>]*>([^<]+)</a>", re.I)


@dataclass
class PageResult:
    """What a page gave: its kind, its records, and what it lacked or showed that was odd.

    `missing` says in words what an expected part lacked (for a log line, with the URL);
    `stats` counts the same and other page-level observations under stat-friendly names
    (`image/missing/statistics_panel`, `results/odd_rows`), to add under `dpc/`.
    `other_pages` (results pages) lists the URLs of the listing's other pages its pager links to;
    `rows` (results pages) counts the listing's rows, those that gave no entry included.
    """

    kind: str  # history | results | unfinished | invalid | image | ban | unparsable
    items: list = field(default_factory=list)
    missing: list[str] = field(default_factory=list)
    stats: dict[str, int] = field(default_factory=dict)
    other_pages: list[str] = field(default_factory=list)
    rows: int = 0

    @property
    def ok(self) -> bool:
        return self.kind not in ("ban", "unparsable")

    def count(self, name: str, n: int = 1) -> None:
        self.stats[name] = self.stats.get(name, 0) + n

    def lacks(self, page: str, what: str, text: str) -> None:
        """An expected part is absent: say so in words and count it."""
        self.missing.append(text)
        self.count(f"{page}/missing/{slug(what)}")


_NOT_SLUG = re.compile(r"[^a-z0-9]+")


def slug(label: str) -> str:
    """A label as a stat-name part: `Avg (all users)` → `avg_all_users`."""
    return _NOT_SLUG.sub("_", label.lower()).strip("_") or "blank"


@dataclass
class Page:
    """A response decoded once: its URL, text and lxml tree."""

    url: str
    text: str
    root: etree._Element | None

    @classmethod
    def from_response(
        cls, response, tree_from: str | None = None, tree_until: str | None = None
    ) -> Page:
        """Decode the body; build the tree of the text between two markers (each only if found)."""
        content_type = response.headers.get(b"Content-Type")
        text = decode_body(response.body, content_type.decode("latin-1") if content_type else None)
        begin = max(text.find(tree_from), 0) if tree_from else 0
        end = text.find(tree_until, begin) if tree_until else -1
        markup = text[begin:end] if end >= 0 else text[begin:]
        try:
            root = parse_html(markup) if markup.strip() else None
        except (ValueError, etree.ParserError):
            root = None
        return cls(url=response.url, text=text, root=root)

    def urljoin(self, href: str | None) -> str | None:
        if not href:
            return None
        href = href.strip()
        return "https:" + href if href.startswith("//") else urljoin(self.url, href)

    def xpath(self, query: str, node=None) -> list:
        target = self.root if node is None else node
        return target.xpath(query) if target is not None else []

    def find(self, path: str):
        return self.root.find(path) if self.root is not None else None

    def findall(self, path: str) -> list:
        return self.root.findall(path) if self.root is not None else []

    def first(self, query: str, node=None):
        found = self.xpath(query, node)
        return found[0] if found else None


def parse_html(markup: str):
    """A plain lxml tree: lxml.html's element classes cost a lookup per node for nothing we use."""
    return etree.fromstring(markup, _PARSER)


def is_ban(text: str) -> bool:
    return any(marker in text for marker in BAN_MARKERS)


def is_cut_short(text: str) -> bool:
    return "</html>" not in text[-512:].lower()


def logged_in_user(text: str) -> str | None:
    match = _LOGGED_IN.search(text)
    return match.group(1).strip() if match else None
