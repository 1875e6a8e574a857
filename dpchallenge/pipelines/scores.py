"""An image's score distribution and MOS from its vote counts, else the site's average."""

from __future__ import annotations

import logging
import math

from dpchallenge.items import ImageItem

logger = logging.getLogger(__name__)


def score_statistics(vote_counts: list[int] | None, avg_all: float | None) -> dict:
    """score_distribution, mos, mos_std and mos_source as SPEC.md defines them."""
    total = sum(vote_counts) if vote_counts else 0
    if total > 0:
        mos = sum(score * count for score, count in enumerate(vote_counts, start=1)) / total
        variance = (
            sum(count * (score - mos) ** 2 for score, count in enumerate(vote_counts, start=1))
            / total
        )
        return {
            "score_distribution": [round(count / total, 6) for count in vote_counts],
            "mos": round(mos, 6),
            "mos_std": round(math.sqrt(variance), 6),
            "mos_source": "vote_counts",
        }
    if avg_all is not None:
        return {
            "score_distribution": None,
            "mos": avg_all,
            "mos_std": None,
            "mos_source": "site_average",
        }
    return {"score_distribution": None, "mos": None, "mos_std": None, "mos_source": None}


class ScoreStatsPipeline:
    def __init__(self, crawler):
        self.stats = crawler.stats

    @classmethod
    def from_crawler(cls, crawler):
        return cls(crawler)

    def process_item(self, item):
        if not isinstance(item, ImageItem):
            return item
        for name, value in score_statistics(item.vote_counts, item.avg_all).items():
            setattr(item, name, value)
        if item.vote_counts and item.votes is not None and sum(item.vote_counts) != item.votes:
            self.stats.inc_value("dpc/flagged/vote_counts_disagree_with_votes")
            logger.warning(
                "image %s: vote counts sum to %d but the page says %d votes (%s)",
                item.image_id,
                sum(item.vote_counts),
                item.votes,
                item.url,
            )
        return item
