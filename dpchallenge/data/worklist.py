"""What the dataset files say is done: the rerun fetches everything else.

The files are the truth, not JOBDIR: a record counts only with the files it names in the image
store (a file known to be absent, e.g. a removed image, is settled too). The records are read
through their cached facts (dpchallenge/data/facts.py), the store through one listing per folder.
"""

from __future__ import annotations

import contextlib
import os
import pickle
from array import array
from pathlib import Path

from dpchallenge.data.facts import dataset_facts
from dpchallenge.data.files import write_atomically
from dpchallenge.data.layout import (
    CHALLENGES,
    DATASETS,
    ENTRIES,
    FILE_KINDS,
    IMAGES,
    dataset_paths,
    done_images_cache,
    stored_path,
)
from dpchallenge.data.records import read_dataset, trusted_size
from dpchallenge.data.settled import ENTRY_FILE_FIELDS, IMAGE_URL_FIELDS, known_absent
from dpchallenge.items import entry_disqualified

KINDS = FILE_KINDS


def settled_file(url, path, error) -> tuple | None:
    """What the done check needs of one file: None when there is nothing to fetch."""
    if not url or known_absent(error):
        return None
    return (path,)


def entry_facts(record: dict) -> tuple:
    """challenge id, average vote, disqualified, then each kind's file (see settled_file)."""
    files = tuple(settled_file(*(record.get(f) for f in ENTRY_FILE_FIELDS[k])) for k in KINDS)
    return (record.get("challenge_id"), record.get("avg_vote"), entry_disqualified(record), *files)


def image_facts(record: dict) -> int | tuple:
    stored = {f.get("kind"): f for f in record.get("files") or []}
    facts = []
    for kind in KINDS:
        got = stored.get(kind) or {}
        url = record.get(IMAGE_URL_FIELDS[kind])
        facts.append(settled_file(url, got.get("path") or "", got.get("error")))
    return compact_files(record.get("image_id"), tuple(facts))


# Each kind's file in one small int: nothing to fetch, at its stored path, or not stored. An
# image's facts are then a shared int, not two tuples and two strings, in memory and in the
# cache (working out the done list of 200k images took 51 MB instead of 139 MB). Files
# anywhere else keep their tuple.
NOTHING, AT_STORED_PATH, NOT_STORED = range(3)


def compact_files(image_id, files: tuple) -> int | tuple:
    code = 0
    for place, (kind, file) in enumerate(zip(KINDS, files)):
        if file is None:
            state = NOTHING
        elif not file[0]:
            state = NOT_STORED
        elif file[0] == stored_path(kind, image_id):
            state = AT_STORED_PATH
        else:
            return files
        code += state * 3**place
    return code


def expand_files(image_id, files: int | tuple) -> tuple:
    if not isinstance(files, int):
        return files
    expanded = []
    for place, kind in enumerate(KINDS):
        state = files // 3**place % 3
        if state == NOTHING:
            expanded.append(None)
        else:
            expanded.append((stored_path(kind, image_id) if state == AT_STORED_PATH else "",))
    return tuple(expanded)


class StoredFiles:
    """Which files the local image store holds, one folder listing at a time."""

    def __init__(self, images_dir: Path | None):
        self.images_dir = images_dir
        self.listed: dict[str, set[str]] = {}
        self.modified: dict[str, int | None] = {}  # each listed folder's mtime, before listing

    def holds(self, path: str | None) -> bool:
        if not path:
            return False
        if self.images_dir is None:
            return True  # a remote store (s3://, gs://) is taken on trust
        folder, _, name = path.rpartition("/")
        if folder not in self.listed:
            self.modified[folder] = folder_mtime(self.images_dir / folder)
            try:
                with os.scandir(self.images_dir / folder) as entries:
                    self.listed[folder] = {entry.name for entry in entries}
            except OSError:
                self.listed[folder] = set()
        return name in self.listed[folder]

    def settled(self, files: tuple, kinds) -> bool:
        return all(
            files[i] is None or self.holds(files[i][0]) for i, k in enumerate(KINDS) if k in kinds
        )


def entries_facts(data_dir: Path) -> dict[int, tuple]:
    return dataset_facts(data_dir, ENTRIES, DATASETS[ENTRIES], "entries-1", entry_facts)


def results_rows(data_dir: Path) -> dict[int, tuple]:
    """image id -> (challenge id, average vote, disqualified) of each results row, in file order."""
    return dataset_facts(data_dir, ENTRIES, DATASETS[ENTRIES], "results-rows-1", results_row)


def results_row(record: dict) -> tuple:
    return record.get("challenge_id"), record.get("avg_vote"), entry_disqualified(record)


def done_challenges(
    data_dir: Path, images_dir: Path | None, kinds: frozenset[str] = frozenset({"thumb"})
) -> set[int]:
    """Challenges whose record is final and whose entries were all written with their files.

    A challenge's record is written after its entries (pipelines/order.py), and a finished one
    whose listing fell short is flagged `results_incomplete`: so a finished record that is not
    flagged means its entries are in the file, whatever rows without an entry Submissions counts.
    """
    store = StoredFiles(images_dir)
    unsettled: set[int] = set()
    for challenge_id, _vote, _dq, *files in entries_facts(data_dir).values():
        if not store.settled(tuple(files), kinds):
            unsettled.add(challenge_id)
    done = set()
    for record in read_dataset(data_dir, CHALLENGES, DATASETS[CHALLENGES]):
        challenge_id, status = record["challenge_id"], record.get("status")
        if status == "invalid" or (
            status == "finished"
            and not record.get("results_incomplete")
            and challenge_id not in unsettled
        ):
            done.add(challenge_id)
    return done


def done_images(data_dir: Path, kinds: set[str], images_dir: Path | None) -> set[int]:
    """Images whose record is written with every file of `kinds` in place or known absent.

    The answer is kept in `.done-images.<kinds>` while the image files (by inode and size, all
    verified by a clean close) and the store's folders (by mtime: a file added or removed
    changes it) stay as they were, so a start with every record done reads no record.
    """
    data_dir = Path(data_dir)
    cache = done_images_cache(data_dir, kinds)
    sources = _verified_sources(data_dir, IMAGES)
    key = ("done-images-2", sources, str(images_dir))
    if sources is not None and (done := _load_done(cache, key, images_dir)) is not None:
        return done
    store = StoredFiles(images_dir)
    facts = dataset_facts(data_dir, IMAGES, DATASETS[IMAGES], "images-2", image_facts)
    done = {
        image_id
        for image_id, files in facts.items()
        if store.settled(expand_files(image_id, files), kinds)
    }
    if sources is not None and sources == _verified_sources(data_dir, IMAGES):
        saved = {"key": key, "folders": store.modified, "ids": array("q", sorted(done))}
        with contextlib.suppress(OSError):  # only a speed-up
            write_atomically(cache, pickle.dumps(saved, protocol=pickle.HIGHEST_PROTOCOL))
    return done


def folder_mtime(folder: Path) -> int | None:
    try:
        return folder.stat().st_mtime_ns
    except OSError:
        return None


def _verified_sources(data_dir: Path, name: str) -> list[tuple] | None:
    """(name, inode, size) of the file and its parts, or None when one has unverified lines."""
    sources = []
    for path in dataset_paths(data_dir, name):
        try:
            stat = path.stat()
        except FileNotFoundError:
            continue
        if trusted_size(path) != stat.st_size:
            return None
        sources.append((path.name, stat.st_ino, stat.st_size))
    return sources


def _load_done(cache: Path, key: tuple, images_dir: Path | None) -> set[int] | None:
    try:
        with cache.open("rb") as handle:
            saved = pickle.load(handle)
        if saved["key"] != key:
            return None
        for folder, mtime in saved["folders"].items():
            if folder_mtime(images_dir / folder) != mtime:
                return None
        return set(saved["ids"])
    except Exception:  # missing, torn or from another version: work it out afresh
        return None
