"""What a scraped item settled: the page it records, and each file it was stored with or not.

The failed ledger, the fleet's worker and the progress all read an item through `settled_by`,
so a file counts the same everywhere: stored, known absent (final without the file), or failed.
"""

from __future__ import annotations

from dataclasses import dataclass

from dpchallenge.data.layout import FILE_KINDS
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


@dataclass(frozen=True)
class AskedFiles:
    """The kinds of file a run stores with each image record and with each results row."""

    image: frozenset[str] = frozenset({"thumb"})
    entry: frozenset[str] = frozenset({"thumb"})

    @classmethod
    def of(cls, spider) -> AskedFiles:
        image = frozenset(getattr(spider, "file_kinds", {"thumb"}))
        return cls(image, frozenset(getattr(spider, "entry_file_kinds", image)))


def outcomes(item, kinds: frozenset[str], stored: dict[str, dict]) -> tuple[FileOutcome, ...]:
    """Each asked kind the record has a URL for: stored, known absent or failed. A kind not
    asked for is not this run's work, though the record may keep a file from an earlier run."""
    found = []
    for kind in FILE_KINDS:
        url = getattr(item, IMAGE_URL_FIELDS[kind])
        if kind in kinds and url:
            got = stored.get(kind, {})
            found.append(FileOutcome(kind, item.image_id, url, got.get("path"), got.get("error")))
    return tuple(found)


def settled_by(item, asked: AskedFiles) -> Settled:
    if isinstance(item, ChallengeItem):
        page = ("results", item.challenge_id)
        return Settled("challenges", page, page)
    if isinstance(item, EntryItem):
        stored = {
            kind: {"path": getattr(item, fields[1]), "error": getattr(item, fields[2])}
            for kind, fields in ENTRY_FILE_FIELDS.items()
        }
        files = outcomes(item, asked.entry, stored)
        return Settled("entries", None, ("results", item.challenge_id), files)
    if isinstance(item, ImageItem):
        files = outcomes(item, asked.image, {f.get("kind"): f for f in item.files or []})
        page = ("image", item.image_id)
        return Settled("images", page, page, files)
    return Settled(None, None, None)
