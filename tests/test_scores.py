"""Score distribution and MOS as SPEC.md defines them."""

from __future__ import annotations

import math

import pytest
from scrapy.utils.test import get_crawler

from dpchallenge.items import ImageItem
from dpchallenge.pipelines.scores import ScoreStatsPipeline, score_statistics


def test_mos_from_vote_counts():
    counts = [0, 0, 1, 2, 3, 4, 0, 0, 0, 0]  # ten votes: one 3, two 4s, three 5s, four 6s
    stats = score_statistics(counts, avg_all=4.9)
    votes = [3] + [4] * 2 + [5] * 3 + [6] * 4
    mean = sum(votes) / 10
    assert stats["mos"] == pytest.approx(mean)
    assert stats["mos_std"] == pytest.approx(math.sqrt(sum((v - mean) ** 2 for v in votes) / 10))
    assert stats["score_distribution"] == [0, 0, 0.1, 0.2, 0.3, 0.4, 0, 0, 0, 0]
    assert stats["mos_source"] == "vote_counts"


def test_site_average_without_counts():
    assert score_statistics(None, 6.152) == {
        "score_distribution": None,
        "mos": 6.152,
        "mos_std": None,
        "mos_source": "site_average",
    }


def test_nothing_for_a_disqualified_image_without_averages():
    assert set(score_statistics(None, None).values()) == {None}


def test_counts_that_disagree_with_votes_are_flagged():
    crawler = get_crawler()
    crawler.stats.open_spider()
    pipeline = ScoreStatsPipeline(crawler)
    item = ImageItem(1, votes=11, vote_counts=[1] * 10, avg_all=5.5)
    pipeline.process_item(item)
    assert item.mos == 5.5
    assert crawler.stats.get_value("dpc/flagged/vote_counts_disagree_with_votes") == 1
    pipeline.process_item(ImageItem(2, votes=10, vote_counts=[1] * 10))
    assert crawler.stats.get_value("dpc/flagged/vote_counts_disagree_with_votes") == 1
