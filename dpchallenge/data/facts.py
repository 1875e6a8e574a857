"""Small facts of each record of a dataset file (its files, its challenge), cached beside the file.

Deciding what is done must not mean decoding a million records with their comments at every
start: the facts of the lines a clean close left verified are kept in `.<file>.facts`, and
only the lines appended since are read. Each kind of facts (`version`) has its own cache.
"""

from __future__ import annotations

import contextlib
import json
import pickle
from collections.abc import Callable
from pathlib import Path

from dpchallenge.data.files import write_atomically
from dpchallenge.data.records import dataset_paths, trusted_size, whole_lines


def _load(cache: Path, version: str, inode: int, size: int) -> tuple[int, dict]:
    try:
        with cache.open("rb") as handle:
            saved = pickle.load(handle)
    except Exception:  # missing, torn or from another version: read the file afresh
        return 0, {}
    if saved.get("version") != version or saved.get("inode") != inode or saved["size"] > size:
        return 0, {}
    return saved["size"], saved["facts"]


def _save(cache: Path, version: str, inode: int, size: int, facts: dict) -> None:
    saved = {"version": version, "inode": inode, "size": size, "facts": facts}
    with contextlib.suppress(OSError):  # only a speed-up: the next start reads the file again
        write_atomically(cache, pickle.dumps(saved, protocol=pickle.HIGHEST_PROTOCOL))


def file_facts(path: Path, key: str, version: str, extract: Callable[[dict], tuple]) -> dict:
    """id → extract(record) for the newest whole line of each id in one file."""
    try:
        stat = path.stat()
    except FileNotFoundError:
        return {}
    cache = path.with_name(f".{path.name}.{version}.facts")
    start, facts = _load(cache, version, stat.st_ino, stat.st_size)
    offset = 0
    read = False
    for record_id, line in whole_lines(path, key, start=start):
        offset += len(line)
        if record_id is not None:
            facts[record_id] = extract(json.loads(line))
            read = True
    verified = trusted_size(path)
    if read and verified == stat.st_size == start + offset:
        _save(cache, version, stat.st_ino, verified, facts)
    return facts


def dataset_facts(data_dir: Path, name: str, key: str, version: str, extract) -> dict:
    """The same over a dataset file and its parts; a later file's line wins."""
    merged: dict = {}
    for path in dataset_paths(data_dir, name):
        merged.update(file_facts(path, key, version, extract))
    return merged
