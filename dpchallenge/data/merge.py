"""Joins the workers' parts into the usual one-line-per-id files, in place and idempotently.

A part is removed only after the merged file is written and renamed into place, so a merge
stopped at any moment loses nothing, and running it again gives the same files.
"""

from __future__ import annotations

import os
from pathlib import Path

from dpchallenge.data.layout import (
    CHALLENGES,
    DATASETS,
    FAILED,
    IMAGES,
    INVALID,
    LOCK_FILE,
    dataset_paths,
    part_caches,
)
from dpchallenge.data.ledger import FailedLedger, InvalidLedger
from dpchallenge.data.records import mark_verified, read_ids, winning_lines


def merge_dataset(data_dir: Path, name: str, key: str) -> tuple[int, int]:
    """Merges one dataset's parts; returns (records in the merged file, parts removed)."""
    paths = dataset_paths(data_dir, name)
    parts = [p for p in paths[1:] if p.exists()]
    if not parts:
        return len(read_ids(paths[0], key)), 0
    target = paths[0]
    temporary = target.with_name(f".{target.name}.merge.tmp")
    records = 0
    try:
        with temporary.open("wb") as out:
            for line in winning_lines(paths, key):
                out.write(line)
                records += 1
            out.flush()
            os.fsync(out.fileno())
        os.replace(temporary, target)
    except BaseException:
        temporary.unlink(missing_ok=True)
        raise
    mark_verified(target)
    for part in parts:
        part.unlink()
    return records, len(parts)


def merge_ledgers(data_dir: Path) -> int:
    """One failed.jsonl: every part's failures, less those whose record is written since."""
    paths = dataset_paths(data_dir, FAILED)
    parts = [p for p in paths[1:] if p.exists()]
    if not parts:
        return 0
    merged = FailedLedger(paths[0])
    for part in parts:
        merged.entries.update(FailedLedger(part).entries)
    written = {
        "results": read_ids(data_dir / CHALLENGES, DATASETS[CHALLENGES]),
        "image": read_ids(data_dir / IMAGES, DATASETS[IMAGES]),
    }
    for kind, record_id in list(merged.entries):
        if record_id in written.get(kind, ()):
            del merged.entries[(kind, record_id)]
    merged.rewrite()
    for part in parts:
        part.unlink()
    return len(parts)


def remove_leftovers(data_dir: Path) -> int:
    """Removes the workers' lock files and the caches of parts no longer there; the caller holds
    the folder's lock, so no worker is running. Returns how many files went."""
    gone = [*data_dir.glob(f"{LOCK_FILE}.*")]
    for name in (*DATASETS, FAILED, INVALID):
        for cache, part in part_caches(data_dir, name):
            if part != name and not (data_dir / part).exists():
                gone.append(cache)
    for path in gone:
        path.unlink(missing_ok=True)
    return len(gone)


def merge_invalid(data_dir: Path) -> int:
    """One invalid.jsonl: every part's ids (the earliest line of each), less those written since."""
    paths = dataset_paths(data_dir, INVALID)
    parts = [p for p in paths[1:] if p.exists()]
    if not parts:
        return 0
    merged = InvalidLedger(paths[0])
    for part in parts:
        for key, entry in InvalidLedger(part).entries.items():
            merged.entries.setdefault(key, entry)
    written = read_ids(data_dir / IMAGES, DATASETS[IMAGES])
    for kind, record_id in list(merged.entries):
        if kind == "image" and record_id in written:
            del merged.entries[(kind, record_id)]
    merged.rewrite()
    for part in parts:
        part.unlink()
    return len(parts)


def merge_parts(data_dir: Path) -> dict[str, tuple[int, int]]:
    summary = {name: merge_dataset(data_dir, name, key) for name, key in DATASETS.items()}
    summary[FAILED] = (len(FailedLedger(data_dir / FAILED)), merge_ledgers(data_dir))
    merged_parts = merge_invalid(data_dir)
    summary[INVALID] = (len(InvalidLedger(data_dir / INVALID)), merged_parts)
    remove_leftovers(data_dir)
    return summary
