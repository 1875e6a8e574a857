"""The redesign guard: stops a long crawl cleanly when the site's pages stop reading as before.

Per page kind (history, results, image), the last DPC_DRIFT_WINDOW pages read are kept as whole
or lacking; once that many were seen, more than DPC_DRIFT_THRESHOLD of them lacking (a page that
did not parse, or lacks a panel or label that pages of its kind always have) stops the crawl
with finish reason `site_changed` and one line naming the kind, what is missing and an example
URL. What a page lacks is what its parser counts as `<kind>/missing/…`: the site's ordinary
variety (disqualified or removed entries, no comments, no camera, no histogram, the old markup,
windows-1252 pages, invalid ids) lacks nothing there. A page cut short in transit is not a
redesign and is not counted; neither is a ban page.
"""

from __future__ import annotations

from collections import Counter, deque

from scrapy.exceptions import NotConfigured

from dpchallenge.signals import page_read
from dpchallenge.stopping import stop_crawl

SITE_CHANGED = "site_changed"


class SiteDrift:
    def __init__(self, crawler, window: int, threshold: float):
        self.crawler = crawler
        self.window = window
        self.threshold = threshold
        self.recent: dict[str, deque] = {}  # kind → (lacks, url) of its last `window` pages

    @classmethod
    def from_crawler(cls, crawler):
        window = crawler.settings.getint("DPC_DRIFT_WINDOW")
        threshold = crawler.settings.getfloat("DPC_DRIFT_THRESHOLD")
        if window <= 0 or threshold <= 0:
            raise NotConfigured
        extension = cls(crawler, window, threshold)
        crawler.signals.connect(extension.page_read, signal=page_read)
        return extension

    def page_read(self, kind: str, url: str, lacks: list[str]) -> None:
        recent = self.recent.setdefault(kind, deque(maxlen=self.window))
        recent.append((tuple(lacks), url))
        if len(recent) < self.window:
            return
        lacking = [(what, url) for what, url in recent if what]
        if len(lacking) <= self.threshold * self.window:
            return
        missing = Counter(part for what, _ in lacking for part in what)
        common = ", ".join(part for part, _ in missing.most_common(3))
        example = next(url for what, url in reversed(lacking) if what)
        self.crawler.stats.set_value(f"dpc/site_changed/{kind}", common)
        stop_crawl(
            self.crawler,
            SITE_CHANGED,
            f"the site seems to have changed: {len(lacking)} of the last {self.window} {kind} "
            f"pages lack {common} (e.g. {example}); fix the parser, then DPC_REPLAY=1 rebuilds "
            "the records from the page archive",
            resume=False,
        )
