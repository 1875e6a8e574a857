"""One export row per image: the results row and the image page joined, AVA's facts added."""

from __future__ import annotations

import json
import math
from dataclasses import fields

from dpchallenge.dataset.schema import (
    COMMENT_TYPE,
    FILE_TYPE,
    IMAGE_COLUMNS,
    SCALAR_COLUMNS,
    fits,
)
from dpchallenge.items import EntryItem, ImageItem

COLUMN_NAMES = [name for name, _, _ in IMAGE_COLUMNS]
FILE_KEYS = [f.name for f in FILE_TYPE]
COMMENT_KEYS = [f.name for f in COMMENT_TYPE]
KNOWN_IMAGE_FIELDS = {f.name for f in fields(ImageItem)} | set(COLUMN_NAMES)
KNOWN_ENTRY_FIELDS = {f.name for f in fields(EntryItem)} | set(COLUMN_NAMES)
# image-page fields that fall back to the results row's value
SHARED = (
    "challenge_id",
    "title",
    "photographer_id",
    "photographer_name",
    "place",
    "disqualified",
    "votes",
    "avg_participants",
    "avg_non_participants",
    "views_during_voting",
    "thumbnail_url",
    "image_url",
)
IMAGE_ONLY = (
    "challenge_name",
    "place_of",
    "avg_all",
    "avg_commenters",
    "views_since_voting",
    "comment_count",
    "favorites",
    "camera",
    "camera_id",
    "camera_make",
    "lens",
    "lens_id",
    "aperture",
    "aperture_f",
    "iso",
    "iso_value",
    "shutter",
    "shutter_s",
    "taken_on",
    "uploaded_on",
    "photographer_comment",
    "photographer_comment_html",
    "url",
)


def counts_statistics(counts: list[int]) -> tuple[float, float, list[float]] | None:
    """MOS = Σ i·nᵢ / Σ nᵢ, the population standard deviation, and the normalised counts."""
    total = sum(counts)
    if total <= 0:
        return None
    mean = sum(score * n for score, n in enumerate(counts, start=1)) / total
    variance = sum(n * (score - mean) ** 2 for score, n in enumerate(counts, start=1)) / total
    return round(mean, 6), round(math.sqrt(variance), 6), [round(n / total, 6) for n in counts]


def build_row(entry: dict | None, image: dict | None, challenge: dict | None, ava) -> dict:
    """The export columns of one image; `ava` is (counts, tag1, tag2) or None."""
    entry = entry or {}
    page = image or {}
    row = dict.fromkeys(COLUMN_NAMES)
    row["image_id"] = page.get("image_id", entry.get("image_id"))
    for name in SHARED:
        value = page.get(name)
        row[name] = entry.get(name) if value is None else value
    for name in IMAGE_ONLY:
        row[name] = page.get(name)
    row["ribbon"] = entry.get("ribbon")
    row["avg_vote"] = entry.get("avg_vote")
    row["views"] = entry.get("views")
    if entry:
        row["removed"] = entry.get("thumbnail_url") is None and entry.get("image_url") is None
    row["has_image_page"] = image is not None
    if challenge:
        row["challenge_name"] = row["challenge_name"] or challenge.get("name")
        row["challenge_kind"] = challenge.get("kind")
        row["challenge_voting_end"] = challenge.get("voting_end")
    extra = page.get("extra_info")
    row["extra_info"] = json.dumps(extra, ensure_ascii=False, sort_keys=True) if extra else None

    row["mos"], row["mos_std"], row["mos_source"] = (
        page.get("mos"),
        page.get("mos_std"),
        page.get("mos_source"),
    )
    counts = page.get("vote_counts")
    if counts:
        row["vote_counts"] = counts
        row["score_distribution"] = page.get("score_distribution")
        row["vote_counts_source"] = "site"
    row["in_ava"] = ava is not None
    if ava is not None:
        ava_counts, tag1, tag2 = ava
        row["ava_tag1"], row["ava_tag2"] = tag1 or None, tag2 or None
        stats = counts_statistics(ava_counts) if not counts else None
        if stats is not None:
            row["vote_counts"] = list(ava_counts)
            row["mos"], row["mos_std"], row["score_distribution"] = stats
            row["mos_source"] = "vote_counts"
            row["vote_counts_source"] = "ava"
    if row["mos"] is None and entry.get("avg_vote") is not None:
        row["mos"], row["mos_source"] = entry["avg_vote"], "results_average"

    row["files"] = [{k: f.get(k) for k in FILE_KEYS} for f in page.get("files") or ()]
    if entry.get("thumbnail_path") and not any(f.get("kind") == "thumb" for f in row["files"]):
        row["files"].append(
            {
                **dict.fromkeys(FILE_KEYS),
                "kind": "thumb",
                "url": entry.get("thumbnail_url"),
                "path": entry["thumbnail_path"],
            }
        )
    row["comments"] = [{k: c.get(k) for k in COMMENT_KEYS} for c in page.get("comments") or ()]
    row["crawled_at"] = page.get("crawled_at") or entry.get("crawled_at")
    unknown = {k: v for k, v in entry.items() if k not in KNOWN_ENTRY_FIELDS}
    unknown.update((k, v) for k, v in page.items() if k not in KNOWN_IMAGE_FIELDS)
    row["extra_fields"] = (
        json.dumps(unknown, ensure_ascii=False, sort_keys=True) if unknown else None
    )
    for name, kind in SCALAR_COLUMNS:
        row[name] = fits(row[name], kind)
    for name in ("taken_on", "uploaded_on", "challenge_voting_end"):
        if not isinstance(row[name], str):
            row[name] = None
    return row


def file_path(row: dict, kind: str) -> str | None:
    """The stored file of that kind (relative to the image store), or None."""
    for entry in row["files"]:
        if entry.get("kind") == kind and entry.get("path"):
            return entry["path"]
    return None


def mos_bin(mos: float | None) -> str:
    """Bins of width 1 over the 1-10 scale ("5-6" holds 5 <= mos < 6; 10 falls in "9-10")."""
    if mos is None:
        return "none"
    low = min(max(int(mos), 1), 9)
    return f"{low}-{low + 1}"


MOS_BINS = [f"{low}-{low + 1}" for low in range(1, 10)]
