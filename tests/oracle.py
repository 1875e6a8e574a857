"""What the tests expect of a replica's site: the records a crawl of it should produce, and the
ids of the cases worth checking. Written from the site's model (dpchallenge/replica/model.py),
never from the parsers, so a test compares two independent accounts of the same pages."""

from __future__ import annotations

from html.parser import HTMLParser

from dpchallenge.replica import eastern
from dpchallenge.replica.model import (
    FIRST_IMAGE_ID,
    Comment,
    Entry,
    Site,
    div_round,
    edited_line,
    fixed,
)

# The numbers a reader should take from the strings above, written out by hand.
APERTURE_F = {"f/1.8": 1.8, "f/2.8": 2.8, "f/4": 4.0, "f/5.6": 5.6, "f/8": 8.0, "f/11": 11.0}
APERTURE_F["f/16"] = 16.0
SHUTTER_S = {"1/4000": 1 / 4000, "1/1000": 1 / 1000, "1/250": 1 / 250, "1/60": 1 / 60}
SHUTTER_S |= {"1/10": 1 / 10, "1/2": 1 / 2, "2": 2.0, "30": 30.0}
ISO_VALUE = {"100": 100, "200": 200, "400": 400, "800": 800, "1600": 1600, "3200": 3200}
CAMERA_MAKES = {2101: "Nikon", 2154: "Canon", 2230: "Fujifilm", 2297: "Sony", 1843: "Olympus"}
CAMERA_MAKES |= {2010: "Pentax", 1702: "Canon", 2412: "Nikon", 1555: "Panasonic"}

CHALLENGE_FIELDS = [
    "challenge_id",
    "name",
    "url",
    "status",
    "kind",
    "rules_id",
    "rules_name",
    "extra_rules",
    "description",
    "description_html",
    "submission_start",
    "submission_end",
    "voting_start",
    "voting_end",
    "entries",
    "disqualifications",
    "votes",
    "comments",
    "avg_score",
    "highest_score",
    "median_score",
    "lowest_score",
    "results_incomplete",
]


def collapse(text: str) -> str:
    return " ".join(text.split())


class _TextExtractor(HTMLParser):
    """Plain text of a body per docs/parsing.md: <br> breaks lines, quote tables drop out."""

    BREAK = "\x00"

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self.table_depth = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "table":
            self.table_depth += 1
        elif tag == "br" and not self.table_depth:
            self.parts.append(self.BREAK)

    def handle_endtag(self, tag: str) -> None:
        if tag == "table":
            self.table_depth -= 1

    def handle_data(self, data: str) -> None:
        if not self.table_depth:
            self.parts.append(data)


def html_to_text(html: str) -> str:
    """Text with line breaks kept: each <br> is a newline, each line's whitespace collapsed."""
    extractor = _TextExtractor()
    extractor.feed(html)
    extractor.close()
    lines = "".join(extractor.parts).split(_TextExtractor.BREAK)
    return "\n".join(collapse(line) for line in lines).strip()


def comment_text(comment: Comment) -> str:
    """A comment's text: its body without the edited line."""
    body = comment.html
    if comment.edited_at is not None:
        body = body.removesuffix(edited_line(comment.edited_at))
    return html_to_text(body)


# ---- the cases worth checking -------------------------------------------------------------


def all_entries(site: Site) -> list[Entry]:
    """Every entry with an image on the site (a withdrawn one has none)."""
    return [
        e
        for c in site.finished_challenges()
        for e in site.entries(c.challenge_id)
        if e.status != "withdrawn"
    ]


def finished_challenge_ids(site: Site) -> list[int]:
    return [c.challenge_id for c in site.finished_challenges()]


def unfinished_challenge_ids(site: Site) -> list[int]:
    return [c.challenge_id for c in site.challenges if not c.finished]


def withdrawn_challenge_ids(site: Site) -> list[int]:
    """Challenges whose listing holds a removed entry's row without links."""
    return [
        c.challenge_id
        for c in site.finished_challenges()
        if any(e.status == "withdrawn" for e in site.entries(c.challenge_id))
    ]


def image_ids(site: Site) -> list[int]:
    return sorted(e.image_id for e in all_entries(site))


def disqualified_image_ids(site: Site) -> list[int]:
    return sorted(e.image_id for e in all_entries(site) if e.status == "disqualified")


def removed_image_ids(site: Site) -> list[int]:
    return sorted(e.image_id for e in all_entries(site) if e.status == "removed")


def images_without_comments(site: Site) -> list[int]:
    return sorted(e.image_id for e in all_entries(site) if e.comment_count == 0)


def images_with_only_after_comments(site: Site) -> list[int]:
    return sorted(
        e.image_id for e in all_entries(site) if e.comments_after and not e.comments_during
    )


def images_with_divider(site: Site) -> list[int]:
    return sorted(e.image_id for e in all_entries(site) if e.comments_during)


def invalid_challenge_ids(site: Site) -> list[int]:
    """A sample of ids the site answers with "Invalid CHALLENGE_ID." (gaps, below, above)."""
    known = {c.challenge_id for c in site.challenges}
    low, high = min(known), max(known)
    gaps = [i for i in range(low, high) if i not in known]
    return sorted({1, 75, low - 1, *gaps[:10], high + 1, high + 1000})


def invalid_image_ids(site: Site) -> list[int]:
    """A sample of ids the site answers with "Invalid IMAGE_ID provided."."""
    ids: set[int] = {1, FIRST_IMAGE_ID - 1}
    for challenge in site.challenges[:3]:
        block_start = FIRST_IMAGE_ID + challenge.index * site.image_block
        valid = {e.image_id for e in site.entries(challenge.challenge_id)}
        unused = [i for i in range(block_start, block_start + site.image_block) if i not in valid]
        ids.update(unused[:3])
    ids.add(FIRST_IMAGE_ID + len(site.challenges) * site.image_block + 7)
    return sorted(ids)


def em_dash_image_ids(site: Site) -> list[int]:
    """Images whose page holds an em dash (U+2014): served as cp1252 it becomes byte 0x97."""
    found = []
    for entry in all_entries(site):
        detail = site.image_detail(entry.image_id)
        challenge = site.challenge(entry.challenge_id)
        assert detail is not None and challenge is not None
        sources = [entry.title, challenge.name]
        sources.append(detail.photographer_comment_html or "")
        sources += [c.html for c in detail.comments]
        if any("\u2014" in s for s in sources):
            found.append(entry.image_id)
    return found


def results_url(site: Site, challenge_id: int) -> str:
    return f"{site.base_url}/challenge_results.php?CHALLENGE_ID={challenge_id}&show_full=1"


def image_page_url(site: Site, image_id: int) -> str:
    return f"{site.base_url}/image.php?IMAGE_ID={image_id}"


# ---- expected records ---------------------------------------------------------------------


def expected_challenges(site: Site) -> list[dict]:
    """ChallengeItem dicts (no crawled_at) for every challenge in the model, by id."""
    return [expected_challenge(site, c.challenge_id) for c in site.challenges]


def expected_challenge(site: Site, challenge_id: int) -> dict:
    """The ChallengeItem a parser should produce for this id, including the invalid form."""
    record: dict = {name: None for name in CHALLENGE_FIELDS}
    record["challenge_id"] = challenge_id
    record["url"] = results_url(site, challenge_id)
    challenge = site.challenge(challenge_id)
    if challenge is None:
        record["status"] = "invalid"
        return record
    record.update(
        status="finished" if challenge.finished else "unfinished",
        name=collapse(challenge.name),
        kind=challenge.kind,
        rules_id=challenge.rules_id,
        rules_name=challenge.rules_name,
        extra_rules=collapse(challenge.extra_rules) if challenge.extra_rules else None,
        description=html_to_text(challenge.description_html),
        description_html=challenge.description_html,
        submission_start=challenge.submission_start.isoformat(),
        submission_end=challenge.submission_end.isoformat(),
        voting_start=challenge.voting_start.isoformat(),
        voting_end=challenge.voting_end.isoformat(),
    )
    stats = site.stats(challenge_id)
    if stats is not None:
        record.update(
            entries=stats.entries,
            disqualifications=stats.disqualifications,
            votes=stats.votes,
            comments=stats.comments,
            avg_score=float(fixed(stats.avg_score5, 5)),
            highest_score=float(fixed(stats.highest, 4)),
            median_score=float(fixed(stats.median, 4)),
            lowest_score=float(fixed(stats.lowest, 4)),
            results_incomplete=False,
        )
    return record


def expected_history_rows(site: Site) -> list[dict]:
    """HistoryRow dicts in page order (finished challenges only)."""
    rows = []
    for challenge in site.history_order():
        stats = site.stats(challenge.challenge_id)
        assert stats is not None
        rows.append(
            {
                "challenge_id": challenge.challenge_id,
                "name": collapse(challenge.name),
                "kind": challenge.kind,
                "rules_id": challenge.rules_id,
                "rules_name": challenge.rules_name,
                "extra_rules": collapse(challenge.extra_rules) if challenge.extra_rules else None,
                "submission_start": challenge.submission_start.isoformat(),
                "submission_end": challenge.submission_end.isoformat(),
                "entries": stats.entries,
                "highest_score": float(fixed(stats.highest, 4)),
                "avg_score": float(fixed(stats.avg_score4, 4)),
                "median_score": float(fixed(stats.median, 4)),
                "lowest_score": float(fixed(stats.lowest, 4)),
                "votes": stats.votes,
                "avg_votes": float(div_round(stats.votes, stats.entries)),
                "comments": stats.comments,
                "avg_comments": float(div_round(stats.comments, stats.entries)),
            }
        )
    return rows


def expected_entries(site: Site, challenge_id: int | None = None) -> list[dict]:
    """EntryItem dicts (no crawled_at, no thumbnail_path) in (challenge id, row) order."""
    ids = [challenge_id] if challenge_id is not None else finished_challenge_ids(site)
    return [
        expected_entry(site, e) for cid in ids for e in site.entries(cid) if e.status != "withdrawn"
    ]


def expected_entry(site: Site, entry: Entry) -> dict:
    placed = entry.status == "placed"
    removed = entry.status == "removed"
    return {
        "image_id": entry.image_id,
        "challenge_id": entry.challenge_id,
        "place": entry.place,
        "ribbon": entry.ribbon,
        "disqualified": {"placed": False, "disqualified": True}.get(entry.status),
        "title": collapse(entry.title),
        "photographer_id": entry.photographer.user_id,
        "photographer_name": entry.photographer.name,
        "avg_vote": float(fixed(entry.avg_all, 4)) if placed else None,
        "votes": entry.votes if placed else None,
        "views": entry.views,
        "views_during_voting": entry.views_during_voting,
        "avg_participants": (
            float(fixed(div_round(entry.avg_participants, 10), 3)) if placed else None
        ),
        "avg_non_participants": (
            float(fixed(div_round(entry.avg_non_participants, 10), 3)) if placed else None
        ),
        "thumbnail_url": (
            None if removed else site.entry_file_url(entry.challenge_id, entry.image_id, 120)
        ),
        "image_url": (
            None if removed else site.entry_file_url(entry.challenge_id, entry.image_id, 1200)
        ),
    }


def expected_images(site: Site, logged_in: bool = False) -> list[dict]:
    """ImageItem dicts for every valid image id, by id (fields a parser owns; see docs)."""
    records = []
    for image_id in image_ids(site):
        record = expected_image(site, image_id, logged_in)
        assert record is not None
        records.append(record)
    return records


def expected_image(site: Site, image_id: int, logged_in: bool = False) -> dict | None:
    detail = site.image_detail(image_id)
    if detail is None:
        return None
    entry = detail.entry
    challenge = site.challenge(entry.challenge_id)
    assert challenge is not None
    placed = entry.status == "placed"
    removed = entry.status == "removed"
    extra = {"Location": detail.location} if detail.location else {}
    note_html = detail.photographer_comment_html

    def avg(value: int | None) -> float | None:
        return float(fixed(value, 4)) if placed and value is not None else None

    return {
        "image_id": image_id,
        "challenge_id": challenge.challenge_id,
        "challenge_name": collapse(challenge.name),
        "title": collapse(entry.title),
        "photographer_id": entry.photographer.user_id,
        "photographer_name": entry.photographer.name,
        "camera": detail.camera[1],
        "camera_id": detail.camera[0],
        "lens": detail.lens[1] if detail.lens else None,
        "lens_id": detail.lens[0] if detail.lens else None,
        "aperture": detail.aperture,
        "iso": detail.iso,
        "shutter": detail.shutter,
        "aperture_f": APERTURE_F.get(detail.aperture),
        "shutter_s": SHUTTER_S.get(detail.shutter),
        "iso_value": ISO_VALUE.get(detail.iso),
        "camera_make": CAMERA_MAKES[detail.camera[0]],
        "taken_on": detail.taken_on.isoformat() if detail.taken_on else None,
        "uploaded_on": detail.uploaded_on.isoformat(),
        "extra_info": extra,
        "photographer_comment": html_to_text(note_html) if note_html is not None else None,
        "photographer_comment_html": note_html,
        "place": entry.place,
        "place_of": site.place_of(challenge.challenge_id) if placed else None,
        "disqualified": {"placed": False, "disqualified": True}.get(entry.status),
        "avg_all": avg(entry.avg_all),
        "avg_commenters": avg(detail.avg_commenters),
        "avg_participants": avg(entry.avg_participants),
        "avg_non_participants": avg(entry.avg_non_participants),
        "views_since_voting": entry.views,
        "views_during_voting": entry.views_during_voting,
        "votes": entry.votes,
        "comment_count": entry.comment_count,
        "favorites": entry.favorites,
        "vote_counts": (
            list(entry.vote_counts) if logged_in and challenge.shows_histogram else None
        ),
        "comments": [expected_comment(c) for c in detail.comments],
        "thumbnail_url": (
            None if removed else site.entry_file_url(entry.challenge_id, image_id, 120)
        ),
        "image_url": None if removed else site.entry_file_url(entry.challenge_id, image_id, 1200),
        "galleries": [{"gallery_id": gid, "name": name} for gid, name in detail.galleries],
        "url": image_page_url(site, image_id),
    }


def expected_comment(comment: Comment) -> dict:
    return {
        "comment_id": comment.comment_id,
        "author_id": comment.author.user_id,
        "author_name": comment.author.name,
        "author_role": comment.author.role,
        "posted_at": eastern.iso(comment.posted_at),
        "edited_at": eastern.iso(comment.edited_at) if comment.edited_at else None,
        "during_challenge": comment.during_challenge,
        "text": comment_text(comment),
        "html": comment.html,
        "helpful": comment.helpful,
    }
