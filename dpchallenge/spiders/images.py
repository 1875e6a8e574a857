"""`scrapy crawl images`: an image page for every entry, with its thumbnail and full-size files."""

from __future__ import annotations

import asyncio
import contextlib
import logging

from scrapy import signals

from dpchallenge.data.ledger import settled_invalid
from dpchallenge.data.worklist import done_challenges, done_images, results_row, results_rows
from dpchallenge.items import disqualified_disagreement
from dpchallenge.pages import parse_image
from dpchallenge.spiders.arguments import one_of, truthy
from dpchallenge.spiders.base import DpcSpider
from dpchallenge.spiders.challenges import ResultsPages

# -a order=…: the order of the image pages, from what entries.jsonl says of each entry.
# Each entry is (image_id, (challenge_id, avg_vote, disqualified)).
ORDERS = {
    "challenge": lambda entries: entries,
    "lowest-first": lambda entries: sorted(entries, key=lambda e: (e[1][1] is None, e[1][1] or 0)),
    "newest-first": lambda entries: sorted(entries, key=lambda e: -(e[1][0] or 0)),
}

# Image requests the scheduler may hold ahead of the downloader before start() waits for it.
FEED_AHEAD = 1000

logger = logging.getLogger(__name__)


class ImagesSpider(ResultsPages):
    name = "images"
    arguments = {
        **DpcSpider.arguments,
        "full_res": truthy,
        "thumbnails": truthy,
        "order": one_of(*ORDERS),
    }
    defaults = {**DpcSpider.defaults, "full_res": "0", "thumbnails": "1", "order": "challenge"}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.scheduled: set[int] = set()
        self.done: set[int] = set()
        self.invalid: set[int] = set()  # ids invalid.jsonl settles: not asked again
        self.results_rows: dict[int, tuple] = {}  # image id -> (challenge, avg vote, disqualified)

    @property
    def file_kinds(self) -> set[str]:
        wanted = {"thumb": self.thumbnails, "full": self.full_res}
        return {kind for kind, on in wanted.items() if on}

    @property
    def entry_file_kinds(self) -> set[str]:
        """What `crawl challenges` stores with an entry: its thumbnail (unless -a thumbnails=0)."""
        return self.file_kinds & {"thumb"}

    async def start_pages(self):
        self.done = set() if self.refresh else self.done_images()
        self.invalid = set() if self.refresh else settled_invalid(self.data_dir, "image")
        if self.image_ids:
            ids = self.image_ids
            self.known_entries(only=set(ids))
        else:
            known = self.known_entries()
            ids = [image_id for image_id, _ in ORDERS[self.order](known)]
            # entries.jsonl lists only the challenges read to the end: a run stopped early (a
            # full disk) leaves some entries of a challenge, or none, so every challenge not
            # done has its results pages read (and written), whatever entries are known.
            done = self.done_challenges() if self.challenge_ids else set()
            missing = [c for c in self.challenge_ids if c not in done]
            if missing:
                self.expect("challenges", len(missing))
                for request in self.results_of(missing):
                    yield request
            if not self.challenge_ids:  # the history list skips the challenges done
                yield self.page_request(
                    self.history_url(), self.parse_history, "history", None, dont_filter=True
                )
        ahead = 0
        for request in self.image_requests(ids):
            # Scrapy reads start() whole, the reactor waiting, unless start() awaits: 127k ids
            # to fetch took 20 s to the first request and held every request in memory.
            if self.crawler.engine.needs_backout():
                if ahead >= FEED_AHEAD:
                    await self.crawler.signals.wait_for(signals.scheduler_empty)
                    ahead = 0
                else:
                    await asyncio.sleep(0)
            ahead += 1
            yield request

    def not_done(self, ids) -> list[int]:
        wanted = []
        skipped = invalid = 0
        for image_id in ids:
            if image_id in self.scheduled:
                continue
            self.scheduled.add(image_id)
            if image_id in self.done:
                skipped += 1
            elif image_id in self.invalid:
                invalid += 1
            else:
                wanted.append(image_id)
        if skipped:
            self.crawler.stats.inc_value("dpc/skipped/image_done", skipped)
        if invalid:
            self.crawler.stats.inc_value("dpc/skipped/image_invalid", invalid)
        return wanted

    def done_challenges(self) -> set[int]:
        """Kept under -a refresh=1, which fetches the image pages again, not the results pages
        of the challenges done (without -a thumbnails, their entries would lose theirs)."""
        return done_challenges(self.data_dir, self.images_dir, frozenset(self.entry_file_kinds))

    def done_images(self) -> set[int]:
        """Images whose record is written with every file this run asks for (or known absent)."""
        return done_images(self.data_dir, self.file_kinds, self.images_dir)

    def closed(self, reason: str) -> None:
        # After the dataset files closed verified: worked out now, the done list is kept for the
        # next start, which then reads no record. The run's sets of every id are let go first,
        # so that their memory holds the list instead of adding to the peak.
        self.scheduled, self.done, self.results_rows, self.invalid = set(), set(), {}, set()
        with contextlib.suppress(OSError):
            self.done_images()

    def known_entries(self, only: set[int] | None = None) -> list[tuple]:
        """What entries.jsonl says of each entry, narrowed to -a challenge_ids (or `only`).

        Keeps, for the disqualification cross-check, what each results row says of it.
        """
        self.results_rows = results_rows(self.data_dir)
        known = self.results_rows.items()
        if only is not None:
            known = ((i, row) for i, row in known if i in only)
        if self.challenge_ids:
            wanted = set(self.challenge_ids)
            known = ((i, row) for i, row in known if row[0] in wanted)
        return list(known)

    def request_for(self, kind, record_id):
        if kind == "image":
            url, callback = self.image_url(record_id), self.parse_image
        elif kind == "history":
            url, callback = self.history_url(), self.parse_history
        else:
            return super().request_for(kind, record_id)
        return self.page_request(url, callback, kind, record_id, dont_filter=True)

    def work_left(self):
        return super().work_left() + [("image", image_id) for image_id in sorted(self.scheduled)]

    def not_written(self, pages):
        done = self.done_images() | settled_invalid(self.data_dir, "image")
        pages = super().not_written(pages)
        return [(kind, i) for kind, i in pages if kind != "image" or i not in done]

    def expect_less(self, page, request):
        if page == "image":
            self.expect("files", -len(self.file_kinds))
        super().expect_less(page, request)

    def image_requests(self, ids):
        wanted = self.not_done(ids)
        self.expect("images", len(wanted))
        self.expect("files", len(wanted) * len(self.file_kinds))
        for image_id in wanted:
            yield self.page_request(self.image_url(image_id), self.parse_image, "image", image_id)

    def entries_read(self, entries):
        """The image pages of a results page's entries, cross-checked against its rows."""
        for entry in entries:
            self.results_rows[entry.image_id] = results_row(vars(entry))
        yield from self.image_requests(entry.image_id for entry in entries)

    def parse_image(self, response):
        result = parse_image(response)
        image_id = response.meta.get("dpc_id")
        if result.kind == "invalid":
            self.crawler.stats.inc_value("dpc/images/invalid_id")
            logger.warning("image %s: invalid id, no record (%s)", image_id, response.url)
            self.expect("images", -1)
            self.expect("files", -len(self.file_kinds))
            self.without_record("image", image_id, self.image_url(image_id))
            return
        if not result.ok:
            yield from self.page_failed(response, result, "image")
            return
        self.count_page(result, "image", response.url)
        for problem in result.missing:
            self.crawler.stats.inc_value("dpc/pages/image/partial")
            logger.warning("image %s: %s (%s)", image_id, problem, response.url)
        image = result.items[0]
        urls = {"thumb": image.thumbnail_url, "full": image.image_url}
        self.expect("files", sum(1 for k in self.file_kinds if urls[k]) - len(self.file_kinds))
        results_row = self.results_rows.get(image_id)
        row = {"disqualified": results_row[2]} if results_row is not None else None
        if flag := disqualified_disagreement(image, row):
            self.crawler.stats.inc_value(f"dpc/flagged/{flag}")
            logger.warning("image %s: %s (%s)", image_id, flag.replace("_", " "), response.url)
        yield self.stamped(image)
