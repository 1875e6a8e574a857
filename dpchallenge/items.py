"""Typed records the spiders yield; field names follow SPEC.md."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass
class ChallengeItem:
    challenge_id: int
    url: str | None = None
    status: str | None = None  # finished | unfinished | invalid
    name: str | None = None
    kind: str | None = None  # member | open | speed | invitational
    rules_id: int | None = None
    rules_name: str | None = None
    extra_rules: str | None = None
    description: str | None = None
    description_html: str | None = None
    submission_start: str | None = None
    submission_end: str | None = None
    voting_start: str | None = None
    voting_end: str | None = None
    entries: int | None = None
    disqualifications: int | None = None
    votes: int | None = None
    comments: int | None = None
    avg_score: float | None = None
    highest_score: float | None = None
    median_score: float | None = None
    lowest_score: float | None = None
    # True when the results page listed fewer rows than Submissions - Disqualifications.
    results_incomplete: bool | None = None
    crawled_at: str | None = None


@dataclass
class HistoryRow:
    """One row of the challenge history list: what the list says before the results page is read."""

    challenge_id: int
    name: str | None = None
    kind: str | None = None
    rules_id: int | None = None
    rules_name: str | None = None
    extra_rules: str | None = None
    submission_start: str | None = None
    submission_end: str | None = None
    entries: int | None = None
    highest_score: float | None = None
    avg_score: float | None = None
    median_score: float | None = None
    lowest_score: float | None = None
    votes: int | None = None
    avg_votes: float | None = None
    comments: int | None = None
    avg_comments: float | None = None


@dataclass
class EntryItem:
    image_id: int
    challenge_id: int | None = None
    place: int | None = None
    ribbon: int | None = None
    disqualified: bool | None = None
    title: str | None = None
    photographer_id: int | None = None
    photographer_name: str | None = None
    avg_vote: float | None = None
    votes: int | None = None
    views: int | None = None
    views_during_voting: int | None = None
    avg_participants: float | None = None
    avg_non_participants: float | None = None
    thumbnail_url: str | None = None
    image_url: str | None = None
    thumbnail_path: str | None = None
    thumbnail_error: str | None = None  # why the thumbnail is not stored, when it is not
    image_path: str | None = None  # the full-size file, with `crawl challenges -a full_res=1`
    image_error: str | None = None
    crawled_at: str | None = None


@dataclass
class Comment:
    comment_id: int
    author_id: int | None = None
    author_name: str | None = None
    author_role: str | None = None
    posted_at: str | None = None
    edited_at: str | None = None
    during_challenge: bool | None = None
    text: str | None = None
    html: str | None = None
    helpful: bool = False


@dataclass
class ImageItem:
    image_id: int
    challenge_id: int | None = None
    challenge_name: str | None = None
    title: str | None = None
    photographer_id: int | None = None
    photographer_name: str | None = None
    camera: str | None = None
    camera_id: int | None = None
    lens: str | None = None
    lens_id: int | None = None
    aperture: str | None = None
    iso: str | None = None
    shutter: str | None = None
    aperture_f: float | None = None
    shutter_s: float | None = None
    iso_value: int | None = None
    camera_make: str | None = None
    taken_on: str | None = None
    uploaded_on: str | None = None
    extra_info: dict[str, str] = field(default_factory=dict)
    photographer_comment: str | None = None
    photographer_comment_html: str | None = None
    place: int | None = None
    place_of: int | None = None
    disqualified: bool | None = None
    avg_all: float | None = None
    avg_commenters: float | None = None
    avg_participants: float | None = None
    avg_non_participants: float | None = None
    views_since_voting: int | None = None
    views_during_voting: int | None = None
    votes: int | None = None
    comment_count: int | None = None
    favorites: int | None = None
    vote_counts: list[int] | None = None
    score_distribution: list[float] | None = None
    mos: float | None = None
    mos_std: float | None = None
    mos_source: str | None = None
    comments: list[Comment] = field(default_factory=list)
    thumbnail_url: str | None = None
    image_url: str | None = None
    files: list[dict] = field(default_factory=list)
    # [{gallery_id, name}] of the Galleries line; [] without one, None without the panel
    galleries: list[dict] | None = None
    url: str | None = None
    crawled_at: str | None = None


def entry_disqualified(entry) -> bool | None:
    """What a results row (an EntryItem or its entries.jsonl record) says about disqualification."""
    record = entry if isinstance(entry, dict) else vars(entry)
    if record.get("disqualified") is not None:
        return record["disqualified"]
    return False if record.get("place") is not None else None


def disqualified_disagreement(image: ImageItem, entry) -> str | None:
    """A flag name when the image page and its results row disagree on disqualification."""
    if entry is None or image.disqualified is None:
        return None
    row = entry_disqualified(entry)
    if row is None or row == image.disqualified:
        return None
    return "disqualified_disagrees_with_entry"
