"""What a scraped item settled: the page it records, and each file it was stored with or not.

The failed ledger, the fleet's worker and the progress all read an item through `settled_by`,
so a file counts the same everywhere: stored, known absent (final without the file), or failed.
"""

from __future__ import annotations

from dataclasses import dataclass

from dpchallenge.items import ChallengeItem, EntryItem, ImageItem

# File failures that another fetch would not mend: the record is final without the file.
ABSENT_REASONS = ("placeholder", "HTTP 404", "HTTP 410")
ENTRY_FILE_FIELDS = {
    "thumb": ("thumbnail_url", "thumbnail_path", "thumbnail_error"),
    "full": ("image_url", "image_path", "image_error"),
}
IMAGE_URL_FIELDS = {"thumb": "thumbnail_url", "full": "image_url"}


def known_absent(reason: str | None) -> bool:
    return bool(reason) and any(marker in reason for marker in ABSENT_REASONS)


@dataclass(frozen=True)
class FileOutcome:
    kind: str
    image_id: int
    url: str | None
    path: str | None
    error: str | None

    @property
    def failed(self) -> bool:
        """Neither stored nor known absent: another run fetches it again."""
        return not self.path and not known_absent(self.error)


@dataclass(frozen=True)
class Settled:
    stage: str | None  # the progress stage the record counts in
    page: tuple[str, int] | None  # the page whose record this is: ("results", id), ("image", id)
    files_page: tuple[str, int] | None  # the page whose reading asked for these files
    files: tuple[FileOutcome, ...] = ()

    @property
    def files_failed(self) -> bool:
        return any(outcome.failed for outcome in self.files)


def entry_files(item: EntryItem) -> tuple[FileOutcome, ...]:
    """The files a results row was stored with: its thumbnail whenever it has a URL, its
    full-size file when this run asked for it (it then has a path or an error)."""
    outcomes = []
    for kind, (url_field, path_field, error_field) in ENTRY_FILE_FIELDS.items():
        url, path, error = (getattr(item, f) for f in (url_field, path_field, error_field))
        if url if kind == "thumb" else (path or error):
            outcomes.append(FileOutcome(kind, item.image_id, url, path, error))
    return tuple(outcomes)


def settled_by(item) -> Settled:
    if isinstance(item, ChallengeItem):
        page = ("results", item.challenge_id)
        return Settled("challenges", page, page)
    if isinstance(item, EntryItem):
        return Settled("entries", None, ("results", item.challenge_id), entry_files(item))
    if isinstance(item, ImageItem):
        files = tuple(
            FileOutcome(f["kind"], item.image_id, f.get("url"), f.get("path"), f.get("error"))
            for f in item.files or []
        )
        page = ("image", item.image_id)
        return Settled("images", page, page, files)
    return Settled(None, None, None)
