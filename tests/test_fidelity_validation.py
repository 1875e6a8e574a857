"""What the validation pipeline counts and flags, and the disqualification cross-check."""

from __future__ import annotations

import pytest
from scrapy.utils.misc import build_from_crawler
from scrapy.utils.test import get_crawler

from dpchallenge.items import (
    ChallengeItem,
    EntryItem,
    ImageItem,
    disqualified_disagreement,
    entry_disqualified,
)
from dpchallenge.pipelines.validation import ValidationPipeline


@pytest.fixture
def pipeline_and_stats():
    crawler = get_crawler()
    crawler.stats.open_spider()
    return build_from_crawler(ValidationPipeline, crawler), crawler.stats


def test_camera_settings_that_do_not_read_are_flagged(pipeline_and_stats):
    pipeline, stats = pipeline_and_stats
    pipeline.process_item(
        ImageItem(1, image_url="u", aperture="wide open", shutter="bulb", iso="Auto", camera="X1")
    )
    pipeline.process_item(
        ImageItem(
            2,
            image_url="u",
            aperture="f/8",
            aperture_f=8.0,
            camera="Nikon D60",
            camera_make="Nikon",
        )
    )
    for flag in ("aperture_unparsed", "shutter_unparsed", "iso_unparsed", "camera_make_unknown"):
        assert stats.get_value(f"dpc/flagged/{flag}") == 1, flag


def test_unknown_labels_are_counted(pipeline_and_stats):
    pipeline, stats = pipeline_and_stats
    pipeline.process_item(ImageItem(1, image_url="u", extra_info={"Location": "Lisbon"}))
    pipeline.process_item(
        ImageItem(2, image_url="u", extra_info={"Location": "Kyoto", "Rating": "PG"})
    )
    assert stats.get_value("dpc/labels/extra_info/location") == 2
    assert stats.get_value("dpc/labels/extra_info/rating") == 1


def test_a_short_results_listing_is_flagged(pipeline_and_stats):
    pipeline, stats = pipeline_and_stats
    pipeline.process_item(ChallengeItem(7, status="finished", entries=20, results_incomplete=True))
    pipeline.process_item(ChallengeItem(8, status="finished", entries=5, results_incomplete=False))
    assert stats.get_value("dpc/flagged/results_incomplete") == 1


@pytest.mark.parametrize(
    ("page", "row", "flag"),
    [
        (True, EntryItem(1, disqualified=True), None),
        (False, EntryItem(1, place=4, disqualified=False), None),
        (True, EntryItem(1, place=4, disqualified=False), "disqualified_disagrees_with_entry"),
        (
            False,
            {"image_id": 1, "place": None, "disqualified": True},
            "disqualified_disagrees_with_entry",
        ),
        (True, {"image_id": 1, "place": 3}, "disqualified_disagrees_with_entry"),  # older record
        (True, {"image_id": 1, "place": None}, None),  # removed or odd row: nothing to compare
        (None, EntryItem(1, disqualified=True), None),
        (True, None, None),
    ],
)
def test_disqualified_cross_check(page, row, flag):
    assert disqualified_disagreement(ImageItem(1, disqualified=page), row) == flag


def test_entry_disqualified_reads_old_and_new_records():
    assert entry_disqualified({"place": 2}) is False
    assert entry_disqualified({"place": None}) is None
    assert entry_disqualified(EntryItem(1, disqualified=True)) is True
