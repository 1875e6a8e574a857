"""`scrapy crawl images`: an image page for every entry, with its thumbnail and full-size files."""

from __future__ import annotations

import logging

from dpchallenge.arguments import one_of, truthy
from dpchallenge.pages import parse_history, parse_image, parse_results
from dpchallenge.spiders.base import DpcSpider
from dpchallenge.store import read_records
from dpchallenge.worklist import done_images

# -a order=…: the order of the image pages, from what entries.jsonl says of each entry.
ORDERS = {
    "challenge": lambda entries: entries,
    "lowest-first": lambda entries: sorted(
        entries, key=lambda e: (e["avg_vote"] is None, e["avg_vote"] or 0)
    ),
    "newest-first": lambda entries: sorted(entries, key=lambda e: -(e["challenge_id"] or 0)),
}

logger = logging.getLogger(__name__)


class ImagesSpider(DpcSpider):
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

    @property
    def file_kinds(self) -> set[str]:
        wanted = {"thumb": self.thumbnails, "full": self.full_res}
        return {kind for kind, on in wanted.items() if on}

    async def start_pages(self):
        self.done = set() if self.refresh else self.done_images()
        if self.image_ids:
            ids = self.image_ids
        else:
            known = self.known_entries()
            ids = [entry["image_id"] for entry in ORDERS[self.order](known)]
            missing = [c for c in self.challenge_ids if c not in {e["challenge_id"] for e in known}]
            for challenge_id in missing:  # not crawled by `challenges` yet: read its results page
                yield self.page_request(
                    self.results_url(challenge_id), self.follow_entries, "results", challenge_id
                )
            if not known and not self.challenge_ids:
                yield self.page_request(
                    self.history_url(), self.follow_challenges, "history", None, dont_filter=True
                )
        for request in self.image_requests(ids):
            yield request

    def not_done(self, ids) -> list[int]:
        wanted = []
        for image_id in ids:
            if image_id in self.scheduled:
                continue
            self.scheduled.add(image_id)
            if image_id in self.done:
                self.crawler.stats.inc_value("dpc/skipped/image_done")
            else:
                wanted.append(image_id)
        return wanted

    def done_images(self) -> set[int]:
        """Images whose record is written with every file this run asks for (or known absent)."""
        return done_images(self.data_dir, self.file_kinds, self.images_dir)

    def known_entries(self) -> list[dict]:
        """What entries.jsonl says of each entry, narrowed to -a challenge_ids."""
        wanted = set(self.challenge_ids)
        return [
            {k: record.get(k) for k in ("image_id", "challenge_id", "avg_vote")}
            for record in read_records(self.data_dir / "entries.jsonl", "image_id")
            if not wanted or record.get("challenge_id") in wanted
        ]

    def image_requests(self, ids):
        wanted = self.not_done(ids)
        self.expect("images", len(wanted))
        self.expect("files", len(wanted) * len(self.file_kinds))
        for image_id in wanted:
            yield self.page_request(self.image_url(image_id), self.parse_image, "image", image_id)

    def follow_challenges(self, response):
        result = parse_history(response)
        if not result.ok:
            yield from self.page_failed(response, result, "history")
            return
        self.parsed("history", None)
        for row in result.items:
            yield self.page_request(
                self.results_url(row.challenge_id), self.follow_entries, "results", row.challenge_id
            )

    def follow_entries(self, response):
        result = parse_results(response)
        if not result.ok:
            yield from self.page_failed(response, result, "results")
            return
        self.parsed("results", response.meta.get("dpc_id"))
        yield from self.image_requests(entry.image_id for entry in result.items[1:])

    def parse_image(self, response):
        result = parse_image(response)
        image_id = response.meta.get("dpc_id")
        if result.kind == "invalid":
            self.crawler.stats.inc_value("dpc/images/invalid_id")
            logger.warning("image %s: invalid id, no record (%s)", image_id, response.url)
            return
        if not result.ok:
            yield from self.page_failed(response, result, "image")
            return
        for problem in result.missing:
            self.crawler.stats.inc_value("dpc/pages/image/partial")
            logger.warning("image %s: %s (%s)", image_id, problem, response.url)
        self.parsed("image", image_id)
        yield self.stamped(result.items[0])
