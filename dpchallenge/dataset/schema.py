"""The exports' fixed columns, their Arrow types and meaning: the data dictionary's source."""

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

# (name, type, meaning): every row of images.parquet, metadata.jsonl and the .json members
IMAGE_COLUMNS: list[tuple[str, pa.DataType, str]] = [
    ("image_id", pa.int64(), "the site's image id (IMAGE_ID in the page URL)"),
    ("challenge_id", pa.int64(), "the challenge the image was entered in"),
    ("challenge_name", pa.string(), "the challenge's name (its theme)"),
    (
        "challenge_kind",
        pa.string(),
        "member | open | speed | invitational; null without a challenge record",
    ),
    (
        "challenge_voting_end",
        pa.date32(),
        "the last voting day of the challenge; null without a challenge record",
    ),
    ("title", pa.string(), "the image's title"),
    ("photographer_id", pa.int64(), "the photographer's USER_ID"),
    ("photographer_name", pa.string(), "the photographer's name"),
    ("place", pa.int32(), "final place in the challenge; null when disqualified or removed"),
    (
        "place_of",
        pa.int32(),
        "the number of placed entries the place is out of (image page); null without it",
    ),
    ("ribbon", pa.int32(), "1, 2 or 3 for the ribbon places, else null (results row)"),
    ("disqualified", pa.bool_(), "true for a disqualified entry; null when neither page says"),
    (
        "removed",
        pa.bool_(),
        "true when the results row links no image (the site's removed-image placeholder);"
        " null without a results row",
    ),
    (
        "has_image_page",
        pa.bool_(),
        "true when the image page was crawled; false: only the results row is known",
    ),
    (
        "mos",
        pa.float64(),
        "mean opinion score 1-10: from vote_counts when known, else the site's average",
    ),
    (
        "mos_std",
        pa.float64(),
        "population standard deviation of the votes; null without vote_counts",
    ),
    (
        "mos_source",
        pa.string(),
        "vote_counts | site_average | results_average; null when there is no score",
    ),
    ("vote_counts", pa.list_(pa.int32()), "ten counts, for scores 1..10, or null"),
    (
        "vote_counts_source",
        pa.string(),
        "site (the Voting Breakdown) | ava (the --ava-txt file); null without counts",
    ),
    ("score_distribution", pa.list_(pa.float64()), "vote_counts normalised to sum to 1, or null"),
    ("votes", pa.int64(), "number of votes the site reports (image page, else results row)"),
    ("avg_all", pa.float64(), "the site's Avg (all users), from the image page"),
    ("avg_vote", pa.float64(), "the average vote on the results row"),
    ("avg_commenters", pa.float64(), "the site's Avg (commenters)"),
    ("avg_participants", pa.float64(), "average vote of challenge participants"),
    ("avg_non_participants", pa.float64(), "average vote of non-participants"),
    ("views", pa.int64(), "views on the results row"),
    ("views_since_voting", pa.int64(), "views since voting ended (image page)"),
    ("views_during_voting", pa.int64(), "views during voting"),
    ("comment_count", pa.int64(), "the page's comment count"),
    ("favorites", pa.int64(), "how many members made it a favourite"),
    ("camera", pa.string(), "camera as the photographer entered it"),
    ("camera_id", pa.int64(), "the site's camera id"),
    (
        "camera_make",
        pa.string(),
        "the camera's maker, as the crawl derived it; null in older crawls",
    ),
    ("lens", pa.string(), "lens as entered"),
    ("lens_id", pa.int64(), "the site's lens id"),
    ("aperture", pa.string(), "aperture as entered (f/2.8)"),
    (
        "aperture_f",
        pa.float64(),
        "the aperture's f-number (2.8); null when absent or unreadable, or in older crawls",
    ),
    ("iso", pa.string(), "ISO as entered"),
    (
        "iso_value",
        pa.int64(),
        "ISO as a number; null when absent or unreadable, or in older crawls",
    ),
    ("shutter", pa.string(), "shutter speed as entered (1/250)"),
    (
        "shutter_s",
        pa.float64(),
        "shutter speed in seconds (0.004); null when absent or unreadable, or in older crawls",
    ),
    ("taken_on", pa.date32(), "date taken, as entered"),
    ("uploaded_on", pa.date32(), "date uploaded"),
    (
        "extra_info",
        pa.string(),
        "JSON object of the Photograph Information and Statistics lines without a column, or null",
    ),
    ("photographer_comment", pa.string(), "the photographer's comment as text"),
    ("photographer_comment_html", pa.string(), "the photographer's comment as served"),
    (
        "in_ava",
        pa.bool_(),
        "true when the --ava-txt file holds the image; false otherwise (also without --ava-txt)",
    ),
    (
        "ava_tag1",
        pa.int32(),
        "AVA's first semantic tag (for an image not in AVA, with --ava-tags: its first gallery"
        " that names an AVA tag); null when there is none",
    ),
    ("ava_tag2", pa.int32(), "AVA's second semantic tag; likewise"),
    (
        "galleries",
        pa.list_(pa.string()),
        "the names of the site's galleries the image is in, in page order; [] when none,"
        " null when the image page did not say (or was not crawled)",
    ),
    ("thumbnail_url", pa.string(), "the thumbnail's URL on the site"),
    ("image_url", pa.string(), "the full-size file's URL on the site"),
    ("url", pa.string(), "the image page's URL; null without an image page"),
    (
        "files",
        pa.list_(FILE_TYPE),
        "stored files: kind thumb|full, url, path (relative to the image store), sha256,"
        " width, height, bytes, error",
    ),
    (
        "comments",
        pa.list_(COMMENT_TYPE),
        "every comment, newest first (see comments.parquet for the fields)",
    ),
    ("split", pa.string(), "train | validation | test, assigned by challenge"),
    ("crawled_at", pa.string(), "when the image page (else the results row) was fetched, ISO 8601"),
    (
        "extra_fields",
        pa.string(),
        "JSON object of record fields this schema does not know (newer crawls), or null",
    ),
]
IMAGE_SCHEMA = pa.schema([(name, kind) for name, kind, _ in IMAGE_COLUMNS])

COMMENT_COLUMNS: list[tuple[str, pa.DataType, str]] = [
    ("image_id", pa.int64(), "the image commented on"),
    ("challenge_id", pa.int64(), "its challenge"),
    ("mos", pa.float64(), "the image's MOS (as in images.parquet)"),
    ("split", pa.string(), "the image's split"),
    ("comment_id", pa.int64(), "the site's comment id"),
    ("author_id", pa.int64(), "the commenter's USER_ID"),
    ("author_name", pa.string(), "the commenter's name"),
    ("author_role", pa.string(), "Member | Registered User | Site Council ..."),
    ("posted_at", pa.string(), "when posted, ISO 8601 with the US Eastern offset"),
    ("edited_at", pa.string(), "when last edited, or null"),
    ("during_challenge", pa.bool_(), "true when posted during voting"),
    ("text", pa.string(), "the commenter's own words: no quote, no edit line"),
    ("html", pa.string(), "the body as served"),
    ("helpful", pa.bool_(), "the photographer found it helpful"),
]
COMMENT_SCHEMA = pa.schema([(name, kind) for name, kind, _ in COMMENT_COLUMNS])

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


SCALAR_COLUMNS = [
    (n, k) for n, k, _ in IMAGE_COLUMNS if not pa.types.is_list(k) and k != pa.date32()
]
