"""One export row per image: the results row and the image page joined, AVA's facts added."""

from __future__ import annotations

import json
import math
from dataclasses import fields

import pyarrow as pa

from dpchallenge.dataset.columns import fits, python_types
from dpchallenge.dataset.schema import COMMENT_TYPE, FILE_TYPE, IMAGE_COLUMNS, SCALAR_COLUMNS
from dpchallenge.items import EntryItem, ImageItem

COLUMN_NAMES = [name for name, _ in IMAGE_COLUMNS]
FILE_KEYS = [f.name for f in FILE_TYPE]
COMMENT_KEYS = [f.name for f in COMMENT_TYPE]
FILE_KEY_SET = frozenset(FILE_KEYS)
EMPTY_FILE = dict.fromkeys(FILE_KEYS)
# the files a results row stored: its thumbnail, and with `crawl challenges -a full_res=1` the
# full-size file
ENTRY_FILES = (("thumb", "thumbnail_url", "thumbnail_path"), ("full", "image_url", "image_path"))
COMMENT_KEY_SET = frozenset(COMMENT_KEYS)
IMAGE_FIELDS = {f.name for f in fields(ImageItem)}
KNOWN_IMAGE_FIELDS = IMAGE_FIELDS | set(COLUMN_NAMES)
KNOWN_ENTRY_FIELDS = {f.name for f in fields(EntryItem)} | set(COLUMN_NAMES)
# a float column's integers become floats in the rows, so that `datasets`, reading the JSON of
# an imagefolder, infers one type for the column in every split
SCALAR_CHECKS = [
    (name, frozenset((float,)) if pa.types.is_floating(kind) else python_types(kind), kind)
    for name, kind in SCALAR_COLUMNS
]
DATE_COLUMNS = ("taken_on", "uploaded_on", "challenge_voting_end")
CHECKED_COLUMNS = [name for name, _, _ in SCALAR_CHECKS] + list(DATE_COLUMNS)
RIGHT_PATTERNS: set[tuple[type, ...]] = set()
EMPTY_ROW = dict.fromkeys(COLUMN_NAMES)
NOT_ON_IMAGE_PAGE = dict.fromkeys(name for name in COLUMN_NAMES if name not in IMAGE_FIELDS)
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


def counts_statistics(counts: list[int]) -> tuple[float, float, list[float]] | None:
    """MOS = Σ i·nᵢ / Σ nᵢ, the population standard deviation, and the normalised counts."""
    total = sum(counts)
    if total <= 0:
        return None
    mean = sum(score * n for score, n in enumerate(counts, start=1)) / total
    variance = sum(n * (score - mean) ** 2 for score, n in enumerate(counts, start=1)) / total
    return round(mean, 6), round(math.sqrt(variance), 6), [round(n / total, 6) for n in counts]


def as_keys(record: dict, keys: list[str], key_set: frozenset[str]) -> dict:
    """The record with exactly these keys (null where it has none)."""
    if record.keys() == key_set:
        return record
    return dict(zip(keys, map(record.get, keys)))


def build_row(entry: dict | None, image: dict | None, challenge: dict | None, ava) -> dict:
    """The export columns of one image; `ava` is (counts, tag1, tag2) or None."""
    entry = entry or {}
    page = image or {}
    row = {**EMPTY_ROW, **page, **NOT_ON_IMAGE_PAGE}
    unknown = {k: entry[k] for k in entry.keys() - KNOWN_ENTRY_FIELDS}
    for name in page.keys() - KNOWN_IMAGE_FIELDS:
        unknown[name] = row.pop(name)
    if "image_id" not in page:
        row["image_id"] = entry.get("image_id")
    for name in SHARED:
        if row[name] is None:
            row[name] = entry.get(name)
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

    counts = page.get("vote_counts")
    if counts:
        row["vote_counts_source"] = "site"
    else:
        row["vote_counts"] = row["score_distribution"] = None
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

    row["files"] = [as_keys(f, FILE_KEYS, FILE_KEY_SET) for f in page.get("files") or ()]
    for kind, url_field, path_field in ENTRY_FILES:
        if entry.get(path_field) and not any(f.get("kind") == kind for f in row["files"]):
            row["files"].append(
                {**EMPTY_FILE, "kind": kind, "url": entry.get(url_field), "path": entry[path_field]}
            )
    row["comments"] = [
        as_keys(c, COMMENT_KEYS, COMMENT_KEY_SET) for c in page.get("comments") or ()
    ]
    row["galleries"] = gallery_names(page.get("galleries"))
    row["crawled_at"] = page.get("crawled_at") or entry.get("crawled_at")
    row["extra_fields"] = (
        json.dumps(unknown, ensure_ascii=False, sort_keys=True) if unknown else None
    )
    check_types(row)
    return row


def gallery_names(galleries) -> list[str] | None:
    """The names of the record's galleries ({gallery_id, name} each), in page order."""
    if not isinstance(galleries, list):
        return None
    return [g["name"] for g in galleries if isinstance(g, dict) and isinstance(g.get("name"), str)]


def check_types(row: dict) -> None:
    """Every scalar column's value of its type or None, and dates as text or None.

    Rows of one crawl share a few patterns of value types, so a pattern seen to be right
    is remembered and the check per column skipped.
    """
    pattern = tuple(map(type, map(row.__getitem__, CHECKED_COLUMNS)))
    if pattern in RIGHT_PATTERNS:
        return
    for name, allowed, kind in SCALAR_CHECKS:
        value = row[name]
        if value is not None and type(value) not in allowed:
            row[name] = fits(value, kind)
    for name in DATE_COLUMNS:
        if type(row[name]) is not str:
            row[name] = None
    if len(RIGHT_PATTERNS) < 4096:
        RIGHT_PATTERNS.add(tuple(map(type, map(row.__getitem__, CHECKED_COLUMNS))))


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
