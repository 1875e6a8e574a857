"""Joins the workers' parts into the usual one-line-per-id files, in place and idempotently.

A part is removed only after the merged file is written and renamed into place, so a merge
stopped at any moment loses nothing, and running it again gives the same files.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

from dpchallenge.data.folder import LOCK_FILE
from dpchallenge.data.ledger import INVALID_NAME, LEDGER_NAME, FailedLedger, InvalidLedger
from dpchallenge.data.records import dataset_paths, mark_verified, read_ids, whole_lines

DATASETS = (
    ("challenges.jsonl", "challenge_id"),
    ("entries.jsonl", "image_id"),
    ("images.jsonl", "image_id"),
)


def _newest_lines(paths: list[Path], key: str) -> dict[int, tuple[str, int, int]]:
    """id → (crawled_at, file index, byte offset) of its newest whole line; ties go to the later."""
    newest: dict[int, tuple[str, int, int]] = {}
    for index, path in enumerate(paths):
        if not path.exists():
            continue
        offset = 0
        for record_id, line in whole_lines(path, key):
            if record_id is not None:
                crawled_at = json.loads(line).get("crawled_at") or ""
                place = (crawled_at, index, offset)
                if record_id not in newest or place >= newest[record_id]:
                    newest[record_id] = place
            offset += len(line)
    return newest


def merge_dataset(data_dir: Path, name: str, key: str) -> tuple[int, int]:
    """Merges one dataset's parts; returns (records in the merged file, parts removed)."""
    paths = dataset_paths(data_dir, name)
    parts = [p for p in paths[1:] if p.exists()]
    if not parts:
        return len(read_ids(paths[0], key)), 0
    newest = _newest_lines(paths, key)
    handles = [path.open("rb") if path.exists() else None for path in paths]
    target = paths[0]
    temporary = target.with_name(f".{target.name}.merge.tmp")
    try:
        with temporary.open("wb") as out:
            for _crawled_at, index, offset in newest.values():
                handle = handles[index]
                handle.seek(offset)
                out.write(handle.readline())
            out.flush()
            os.fsync(out.fileno())
        os.replace(temporary, target)
    except BaseException:
        temporary.unlink(missing_ok=True)
        raise
    finally:
        for handle in handles:
            if handle is not None:
                handle.close()
    mark_verified(target)
    for part in parts:
        part.unlink()
    return len(newest), len(parts)


def merge_ledgers(data_dir: Path) -> int:
    """One failed.jsonl: every part's failures, less those whose record is written since."""
    paths = dataset_paths(data_dir, LEDGER_NAME)
    parts = [p for p in paths[1:] if p.exists()]
    if not parts:
        return 0
    merged = FailedLedger(paths[0])
    for part in parts:
        merged.entries.update(FailedLedger(part).entries)
    written = {
        "results": read_ids(data_dir / "challenges.jsonl", "challenge_id"),
        "image": read_ids(data_dir / "images.jsonl", "image_id"),
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
    for name in (*(name for name, _ in DATASETS), LEDGER_NAME, INVALID_NAME):
        stem, _, suffix = name.partition(".")
        for cache in data_dir.glob(f".{stem}.*.{suffix}.*"):
            part = cache.name[1:].split(f".{suffix}.", 1)[0] + f".{suffix}"
            if part != name and not (data_dir / part).exists():
                gone.append(cache)
    for path in gone:
        path.unlink(missing_ok=True)
    return len(gone)


def merge_invalid(data_dir: Path) -> int:
    """One invalid.jsonl: every part's ids (the earliest line of each), less those written since."""
    paths = dataset_paths(data_dir, INVALID_NAME)
    parts = [p for p in paths[1:] if p.exists()]
    if not parts:
        return 0
    merged = InvalidLedger(paths[0])
    for part in parts:
        for key, entry in InvalidLedger(part).entries.items():
            merged.entries.setdefault(key, entry)
    written = read_ids(data_dir / "images.jsonl", "image_id")
    for kind, record_id in list(merged.entries):
        if kind == "image" and record_id in written:
            del merged.entries[(kind, record_id)]
    merged.rewrite()
    for part in parts:
        part.unlink()
    return len(parts)


def merge_parts(data_dir: Path) -> dict[str, tuple[int, int]]:
    summary = {name: merge_dataset(data_dir, name, key) for name, key in DATASETS}
    summary[LEDGER_NAME] = (len(FailedLedger(data_dir / LEDGER_NAME)), merge_ledgers(data_dir))
    merged_parts = merge_invalid(data_dir)
    summary[INVALID_NAME] = (len(InvalidLedger(data_dir / INVALID_NAME)), merged_parts)
    remove_leftovers(data_dir)
    return summary
