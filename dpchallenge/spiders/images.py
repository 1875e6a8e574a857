"""`scrapy crawl images`: an image page for every entry, with its thumbnail and full-size files."""

from __future__ import annotations

import logging

from dpchallenge.arguments import truthy
from dpchallenge.pages import parse_history, parse_image, parse_results
from dpchallenge.spiders.base import DpcSpider
from dpchallenge.store import read_ids, read_records

logger = logging.getLogger(__name__)


class ImagesSpider(DpcSpider):
    name = "images"

    def __init__(self, *args, full_res="0", thumbnails="1", **kwargs):
        super().__init__(*args, **kwargs)
        self.full_res = truthy(full_res)
        self.thumbnails = truthy(thumbnails)
        self.scheduled: set[int] = set()
        self.done: set[int] = set()

    async def start_pages(self):
        self.done = set() if self.refresh else self.done_images()
        if self.image_ids:
            for image_id in self.image_ids:
                if request := self.image_request(image_id):
                    yield request
            return
        known = self.known_entries()
        for image_id in (i for ids in known.values() for i in ids):
            if request := self.image_request(image_id):
                yield request
        for challenge_id in self.challenge_ids:
            if challenge_id not in known:  # not crawled by `challenges` yet: read its results page
                yield self.page_request(
                    self.results_url(challenge_id), self.follow_entries, "results", challenge_id
                )
        if not known and not self.challenge_ids:
            yield self.page_request(self.history_url(), self.follow_challenges, "history", None)

    def done_images(self) -> set[int]:
        """Images whose record is written with every file this run asks for."""
        path = self.data_dir / "images.jsonl"
        if not self.full_res:
            return read_ids(path, "image_id")
        return {
            record["image_id"]
            for record in read_records(path, "image_id")
            if any(f.get("kind") == "full" and f.get("path") for f in record.get("files") or [])
        }

    def known_entries(self) -> dict[int, list[int]]:
        """Entry ids the challenges spider wrote, by challenge, narrowed to -a challenge_ids."""
        wanted = set(self.challenge_ids)
        known: dict[int, list[int]] = {}
        for record in read_records(self.data_dir / "entries.jsonl", "image_id"):
            if not wanted or record.get("challenge_id") in wanted:
                known.setdefault(record.get("challenge_id"), []).append(record["image_id"])
        return known

    def image_request(self, image_id: int):
        if image_id in self.scheduled:
            return None
        self.scheduled.add(image_id)
        if image_id in self.done:
            self.crawler.stats.inc_value("dpc/skipped/image_done")
            return None
        return self.page_request(self.image_url(image_id), self.parse_image, "image", image_id)

    def follow_challenges(self, response):
        result = parse_history(response)
        if not result.ok:
            yield from self.page_failed(response, result, "history")
            return
        for row in result.items:
            yield self.page_request(
                self.results_url(row.challenge_id), self.follow_entries, "results", row.challenge_id
            )

    def follow_entries(self, response):
        result = parse_results(response)
        if not result.ok:
            yield from self.page_failed(response, result, "results")
            return
        for entry in result.items[1:]:
            if request := self.image_request(entry.image_id):
                yield request

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
        yield self.stamped(result.items[0])
