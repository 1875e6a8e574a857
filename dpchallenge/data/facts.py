"""Small facts of each record of a dataset file (its files, its challenge), cached beside the file.

Deciding what is done must not mean decoding a million records with their comments at every
start: the facts of the lines a clean close left verified are kept in `.<file>.facts`, and
only the lines appended since are read. Each kind of facts (`version`) has its own cache. Which
line of an id counts is dpchallenge/data/records.py's rule, so each id's `crawled_at` is kept too.
"""

from __future__ import annotations

import contextlib
import json
import pickle
from collections.abc import Callable
from pathlib import Path

from dpchallenge.data.files import write_atomically
from dpchallenge.data.layout import dataset_paths, facts_cache
from dpchallenge.data.records import crawled_stamp, supersedes, trusted_size, whole_lines

# What a cache holds besides the facts: bumped when that changes, so older caches are rebuilt.
CACHE_FORMAT = "stamped-1"


def _load(cache: Path, version: str, inode: int, size: int) -> tuple[int, dict, dict]:
    try:
        with cache.open("rb") as handle:
            saved = pickle.load(handle)
    except Exception:  # missing, torn or from another version: read the file afresh
        return 0, {}, {}
    if saved.get("version") != version or saved.get("inode") != inode or saved["size"] > size:
        return 0, {}, {}
    return saved["size"], saved["facts"], saved["stamps"]


def _save(cache: Path, version: str, inode: int, size: int, facts: dict, stamps: dict) -> None:
    saved = {"version": version, "inode": inode, "size": size, "facts": facts, "stamps": stamps}
    with contextlib.suppress(OSError):  # only a speed-up: the next start reads the file again
        write_atomically(cache, pickle.dumps(saved, protocol=pickle.HIGHEST_PROTOCOL))


def file_facts(
    path: Path, key: str, version: str, extract: Callable[[dict], tuple]
) -> tuple[dict, dict]:
    """id → extract(record) for the winning line of each id in one file, and id → its
    crawled_at."""
    try:
        stat = path.stat()
    except FileNotFoundError:
        return {}, {}
    stamped = f"{version}/{CACHE_FORMAT}"
    cache = facts_cache(path, version)
    start, facts, stamps = _load(cache, stamped, stat.st_ino, stat.st_size)
    offset = 0
    read = False
    for record_id, line in whole_lines(path, key, start=start):
        offset += len(line)
        if record_id is not None:
            read = True
            stamp = crawled_stamp(line)
            if record_id in stamps and not supersedes(stamp, stamps[record_id]):
                continue
            facts[record_id] = extract(json.loads(line))
            stamps[record_id] = stamp
    verified = trusted_size(path)
    if read and verified == stat.st_size == start + offset:
        _save(cache, stamped, stat.st_ino, verified, facts, stamps)
    return facts, stamps


def dataset_facts(data_dir: Path, name: str, key: str, version: str, extract) -> dict:
    """The same over a dataset file and its parts, by the one rule of which line wins."""
    merged: dict = {}
    merged_stamps: dict = {}
    for path in dataset_paths(data_dir, name):
        facts, stamps = file_facts(path, key, version, extract)
        if not merged:
            merged, merged_stamps = facts, stamps
            continue
        for record_id, stamp in stamps.items():
            held = merged_stamps.get(record_id)
            if held is None or supersedes(stamp, held):
                merged[record_id] = facts[record_id]
                merged_stamps[record_id] = stamp
    return merged
