"""The exports' fixed columns and their types; docs/fields.md says what they mean."""

from __future__ import annotations

from dataclasses import fields

import pyarrow as pa

FILE_TYPE = pa.struct(
    [
        ("kind", pa.string()),
        ("url", pa.string()),
        ("path", pa.string()),
        ("sha256", pa.string()),
        ("width", pa.int32()),
        ("height", pa.int32()),
        ("bytes", pa.int64()),
        ("error", pa.string()),
    ]
)
COMMENT_TYPE = pa.struct(
    [
        ("comment_id", pa.int64()),
        ("author_id", pa.int64()),
        ("author_name", pa.string()),
        ("author_role", pa.string()),
        ("posted_at", pa.string()),
        ("edited_at", pa.string()),
        ("during_challenge", pa.bool_()),
        ("text", pa.string()),
        ("html", pa.string()),
        ("helpful", pa.bool_()),
    ]
)

# every row of images.parquet, metadata.jsonl and the .json members (docs/fields.md: meanings)
IMAGE_COLUMNS: list[tuple[str, pa.DataType]] = [
    ("image_id", pa.int64()),
    ("challenge_id", pa.int64()),
    ("challenge_name", pa.string()),
    ("challenge_kind", pa.string()),
    ("challenge_voting_end", pa.date32()),
    ("title", pa.string()),
    ("photographer_id", pa.int64()),
    ("photographer_name", pa.string()),
    ("place", pa.int32()),
    ("place_of", pa.int32()),
    ("ribbon", pa.int32()),
    ("disqualified", pa.bool_()),
    ("removed", pa.bool_()),
    ("has_image_page", pa.bool_()),
    ("mos", pa.float64()),
    ("mos_std", pa.float64()),
    ("mos_source", pa.string()),
    ("vote_counts", pa.list_(pa.int32())),
    ("vote_counts_source", pa.string()),
    ("score_distribution", pa.list_(pa.float64())),
    ("votes", pa.int64()),
    ("avg_all", pa.float64()),
    ("avg_vote", pa.float64()),
    ("avg_commenters", pa.float64()),
    ("avg_participants", pa.float64()),
    ("avg_non_participants", pa.float64()),
    ("views", pa.int64()),
    ("views_since_voting", pa.int64()),
    ("views_during_voting", pa.int64()),
    ("comment_count", pa.int64()),
    ("favorites", pa.int64()),
    ("camera", pa.string()),
    ("camera_id", pa.int64()),
    ("camera_make", pa.string()),
    ("lens", pa.string()),
    ("lens_id", pa.int64()),
    ("aperture", pa.string()),
    ("aperture_f", pa.float64()),
    ("iso", pa.string()),
    ("iso_value", pa.int64()),
    ("shutter", pa.string()),
    ("shutter_s", pa.float64()),
    ("taken_on", pa.date32()),
    ("uploaded_on", pa.date32()),
    ("extra_info", pa.string()),
    ("photographer_comment", pa.string()),
    ("photographer_comment_html", pa.string()),
    ("in_ava", pa.bool_()),
    ("ava_tag1", pa.int32()),
    ("ava_tag2", pa.int32()),
    ("galleries", pa.list_(pa.string())),
    ("thumbnail_url", pa.string()),
    ("image_url", pa.string()),
    ("url", pa.string()),
    ("files", pa.list_(FILE_TYPE)),
    ("comments", pa.list_(COMMENT_TYPE)),
    ("split", pa.string()),
    ("crawled_at", pa.string()),
    ("extra_fields", pa.string()),
]
IMAGE_SCHEMA = pa.schema([(name, kind) for name, kind in IMAGE_COLUMNS])

COMMENT_COLUMNS: list[tuple[str, pa.DataType]] = [
    ("image_id", pa.int64()),
    ("challenge_id", pa.int64()),
    ("mos", pa.float64()),
    ("split", pa.string()),
    ("comment_id", pa.int64()),
    ("author_id", pa.int64()),
    ("author_name", pa.string()),
    ("author_role", pa.string()),
    ("posted_at", pa.string()),
    ("edited_at", pa.string()),
    ("during_challenge", pa.bool_()),
    ("text", pa.string()),
    ("html", pa.string()),
    ("helpful", pa.bool_()),
]
COMMENT_SCHEMA = pa.schema([(name, kind) for name, kind in COMMENT_COLUMNS])

DATE_FIELDS = ("submission_start", "submission_end", "voting_start", "voting_end")
ANNOTATION_TYPES = {
    "int": pa.int64(),
    "float": pa.float64(),
    "bool": pa.bool_(),
    "str": pa.string(),
}


def record_schema(item_class) -> pa.Schema:
    """challenges.parquet / entries.parquet: the item's fields typed from its annotations."""
    columns = []
    for item_field in fields(item_class):
        base = str(item_field.type).split("|")[0].strip()
        kind = ANNOTATION_TYPES.get(base, pa.string())
        if item_field.name in DATE_FIELDS:
            kind = pa.date32()
        elif item_field.name in ("place", "ribbon"):
            kind = pa.int32()
        columns.append((item_field.name, kind))
    return pa.schema([*columns, ("extra_fields", pa.string())])


SCALAR_COLUMNS = [(n, k) for n, k in IMAGE_COLUMNS if not pa.types.is_list(k) and k != pa.date32()]


# The text and CSV exports' columns in file order, with the type their cells hold
AVA_TXT_COLUMNS: list[tuple[str, str]] = [
    ("index", "int"),
    ("image_id", "int"),
    *((f"count_{score}", "int") for score in range(1, 11)),
    ("tag1", "int"),
    ("tag2", "int"),
    ("challenge_id", "int"),
]
CHALLENGES_TXT_COLUMNS: list[tuple[str, str]] = [("challenge_id", "int"), ("name", "str")]
MOS_TXT_COLUMNS: list[tuple[str, str]] = [
    ("image_id", "int"),
    ("challenge_id", "int"),
    ("mos", "float"),
    ("votes", "int"),
]
PYIQA_AVA_COLUMNS: list[tuple[str, str]] = [
    ("img_name", "str"),
    ("MOS", "float"),
    *((f"c{score}", "int") for score in range(1, 11)),
    ("semantic_tag1", "int"),
    ("semantic_tag2", "int"),
    ("official_split", "int"),
]
PYIQA_DPC_COLUMNS: list[tuple[str, str]] = [
    ("img_name", "str"),
    ("MOS", "float"),
    ("votes", "int"),
    ("challenge_id", "int"),
    ("split", "str"),
]
RECONCILE_COLUMNS: list[tuple[str, str]] = [
    ("image_id", "int"),
    ("ava_challenge_id", "int"),
    ("status", "str"),
    ("site_challenge_id", "int"),
    ("ava_votes", "int"),
    ("site_votes", "int"),
    ("counts_equal", "bool"),
    ("ava_mos", "float"),
    ("site_mos", "float"),
    ("has_thumb", "bool"),
    ("has_full", "bool"),
    ("full_sha256", "str"),
    ("full_width", "int"),
    ("full_height", "int"),
]
