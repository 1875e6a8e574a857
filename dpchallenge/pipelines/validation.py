"""Counts every record and flags the ones that look wrong; drops none silently."""

from __future__ import annotations

import logging

from scrapy.exceptions import DropItem

from dpchallenge.items import ChallengeItem, EntryItem, ImageItem
from dpchallenge.pages.common import slug

logger = logging.getLogger(__name__)
# Raw camera settings whose number did not read: (raw field, number field, flag).
_NUMBERS = (
    ("aperture", "aperture_f", "aperture_unparsed"),
    ("shutter", "shutter_s", "shutter_unparsed"),
    ("iso", "iso_value", "iso_unparsed"),
    ("camera", "camera_make", "camera_make_unknown"),
)


def problems_of(item) -> list[str]:
    """What is wrong with a record that the parsers let through."""
    problems = []
    if isinstance(item, ImageItem):
        if item.comment_count is not None and item.comment_count != len(item.comments):
            problems.append("comment_count_disagrees_with_comments")
        if item.image_url is None:
            problems.append("no_image_url")
        if item.vote_counts is not None and len(item.vote_counts) != 10:
            problems.append("vote_counts_not_ten")
        for raw, number, flag in _NUMBERS:
            if getattr(item, raw) is not None and getattr(item, number) is None:
                problems.append(flag)
    elif isinstance(item, ChallengeItem):
        if item.status == "finished" and item.entries is None:
            problems.append("finished_without_entry_count")
        if item.results_incomplete:
            problems.append("results_incomplete")
    elif isinstance(item, EntryItem) and item.place is None:
        problems.append("entry_without_place")
    return problems


class ValidationPipeline:
    def __init__(self, crawler):
        self.stats = crawler.stats

    @classmethod
    def from_crawler(cls, crawler):
        return cls(crawler)

    def process_item(self, item):
        kind = type(item).__name__
        key = "challenge_id" if isinstance(item, ChallengeItem) else "image_id"
        if not isinstance(getattr(item, key, None), int):
            self.stats.inc_value(f"dpc/dropped/{kind}")
            raise DropItem(f"{kind} without an integer {key}: {item!r}")
        self.stats.inc_value(f"dpc/items/{kind}")
        for problem in problems_of(item):
            self.stats.inc_value(f"dpc/flagged/{problem}")
            logger.info("%s %s flagged: %s", kind, getattr(item, key), problem)
        if isinstance(item, ImageItem):
            for label in item.extra_info:
                # a line we have no field for: a new label or a redesign shows here first
                self.stats.inc_value(f"dpc/labels/extra_info/{slug(label)}")
        return item
