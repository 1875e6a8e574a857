"""What the dataset files say is done: the rerun fetches everything else.

The files are the truth, not JOBDIR: a record counts only with the files it points at in place.
"""

from __future__ import annotations

from collections import Counter
from pathlib import Path

from dpchallenge.store import read_dataset

FILE_URL_FIELDS = {"thumb": "thumbnail_url", "full": "image_url"}
# File failures that another fetch would not mend: the record is final without the file.
ABSENT_REASONS = ("placeholder", "HTTP 404", "HTTP 410")


def known_absent(reason: str | None) -> bool:
    return bool(reason) and any(marker in reason for marker in ABSENT_REASONS)


def file_in_place(images_dir: Path | None, path: str, size: int | None = None) -> bool:
    """The file exists (with its recorded size); a remote store is taken on trust."""
    if images_dir is None:
        return True
    try:
        stat = (images_dir / path).stat()
    except OSError:
        return False
    return size is None or stat.st_size == size


def file_settled(images_dir: Path | None, path, size, error) -> bool:
    return (bool(path) and file_in_place(images_dir, path, size)) or known_absent(error)


ENTRY_FILE_FIELDS = {
    "thumb": ("thumbnail_url", "thumbnail_path", "thumbnail_error"),
    "full": ("image_url", "image_path", "image_error"),
}


def entry_settled(entry: dict, kinds: set[str], images_dir: Path | None) -> bool:
    for kind in kinds:
        url, path, error = (entry.get(name) for name in ENTRY_FILE_FIELDS[kind])
        if url and not file_settled(images_dir, path, None, error):
            return False
    return True


def done_challenges(
    data_dir: Path, images_dir: Path | None, kinds: frozenset[str] = frozenset({"thumb"})
) -> set[int]:
    """Challenges whose record is final and whose entries were all written with their files.

    Entries go through the thumbnail downloads and may land after their challenge, so a
    challenge counts as done only once the entries file holds as many rows as it has entries.
    """
    settled: dict[int, tuple[int, bool]] = {}  # image id: challenge, thumbnail settled
    for entry in read_dataset(data_dir, "entries.jsonl", "image_id"):
        settled[entry["image_id"]] = (
            entry.get("challenge_id"),
            entry_settled(entry, kinds, images_dir),
        )
    rows: Counter = Counter(challenge_id for challenge_id, _ in settled.values())
    unsettled = {challenge_id for challenge_id, ok in settled.values() if not ok}
    done = set()
    for record in read_dataset(data_dir, "challenges.jsonl", "challenge_id"):
        challenge_id, status = record["challenge_id"], record.get("status")
        if status == "invalid" or (
            status == "finished"
            and rows[challenge_id] >= (record.get("entries") or 0)
            and challenge_id not in unsettled
        ):
            done.add(challenge_id)
    return done


def image_settled(record: dict, kinds: set[str], images_dir: Path | None) -> bool:
    files = {f.get("kind"): f for f in record.get("files") or []}
    for kind in kinds:
        if not record.get(FILE_URL_FIELDS[kind]):
            continue  # the page shows no such file (a removed image)
        stored = files.get(kind)
        if stored is None or not file_settled(
            images_dir, stored.get("path"), stored.get("bytes"), stored.get("error")
        ):
            return False
    return True


def done_images(data_dir: Path, kinds: set[str], images_dir: Path | None) -> set[int]:
    """Images whose record is written with every file of `kinds` in place or known absent."""
    return {
        record["image_id"]
        for record in read_dataset(data_dir, "images.jsonl", "image_id")
        if image_settled(record, kinds, images_dir)
    }


def images_dir_of(settings) -> Path | None:
    """The local image store, or None for a remote one (s3://, gs://)."""
    store = settings.get("IMAGES_STORE") or str(Path(settings.get("DPC_DATA_DIR")) / "images")
    if "://" in store and not store.startswith("file://"):
        return None
    return Path(store.removeprefix("file://"))
