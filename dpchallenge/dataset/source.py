"""The crawl's records as the exports read them: every part of each file, the winning line of
each id (dpchallenge.data.records.supersedes: the one rule every reader goes by).

dpchallenge.data.records.read_records skips a torn line without saying so and gives no offsets; the
exports must name each bad line and must not hold the image records in memory, so they index
the files here (id, file, offset) and read each record again by seeking to it.
"""

from __future__ import annotations

import json
import os
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import orjson

from dpchallenge.data.layout import dataset_paths
from dpchallenge.data.records import crawled_stamp, head_pattern, supersedes


class DataError(Exception):
    """Input the export cannot use at all: one line naming the file (and line)."""


class OutRefused(DataError):
    """An --out folder that is not ours to replace: a usage error (exit 2)."""


@dataclass
class Problem:
    path: str
    line: int
    what: str

    def __str__(self) -> str:
        return f"{self.path}:{self.line}: {self.what}"


@dataclass
class Problems:
    """Lines the export could not use; the first few are kept to be shown."""

    counts: Counter = field(default_factory=Counter)
    first: list[Problem] = field(default_factory=list)
    keep: int = 20

    def add(self, path: Path, line: int, kind: str, what: str) -> None:
        self.counts[kind] += 1
        if len(self.first) < self.keep:
            self.first.append(Problem(str(path), line, what))

    def __bool__(self) -> bool:
        return bool(self.counts)


def parts(data_dir: Path, stem: str) -> list[Path]:
    """`stem.jsonl` first, then the distributed-mode parts `stem.<worker>.jsonl` by name."""
    return [path for path in dataset_paths(data_dir, f"{stem}.jsonl") if path.is_file()]


class RecordFile:
    """The records of one kind (all parts), indexed by id without decoding them."""

    def __init__(self, data_dir: Path, stem: str, key: str, problems: Problems):
        self.stem = stem
        self.key = key
        self.paths = parts(data_dir, stem)
        self.problems = problems
        self._head = head_pattern(key)
        self.index: dict[int, tuple[int, int, int]] = {}  # id -> (part, offset, line number)
        self.lines = 0
        self._build_index()
        self._handles: dict[int, object] = {}

    def _build_index(self) -> None:
        newest: dict[int, bytes] = {}
        for part, path in enumerate(self.paths):
            offset = 0
            with path.open("rb") as handle:
                for number, line in enumerate(handle, start=1):
                    match = self._head.match(line)
                    if match is None or not line.endswith(b"}\n"):
                        if line.strip():
                            self.problems.add(
                                path, number, "torn_lines", f"not a whole {self.key} record"
                            )
                    else:
                        record_id = int(match.group(1))
                        self.lines += 1
                        stamp = crawled_stamp(line)
                        if record_id in newest and not supersedes(stamp, newest[record_id]):
                            offset += len(line)
                            continue
                        newest[record_id] = stamp
                        self.index[record_id] = (part, offset, number)
                    offset += len(line)

    def __len__(self) -> int:
        return len(self.index)

    def get(self, record_id: int) -> dict | None:
        where = self.index.get(record_id)
        if where is None:
            return None
        part, offset, number = where
        handle = self._handles.get(part)
        if handle is None:
            handle = self._handles[part] = self.paths[part].open("rb")
        handle.seek(offset)
        line = handle.readline()
        try:
            record = decode(line)
        except ValueError as error:
            self.problems.add(self.paths[part], number, "bad_json", f"not valid JSON ({error})")
            return None
        if not isinstance(record, dict):
            return None
        return record

    def __iter__(self) -> Iterator[dict]:
        for record_id in sorted(self.index):
            record = self.get(record_id)
            if record is not None:
                yield record

    def close(self) -> None:
        for handle in self._handles.values():
            handle.close()
        self._handles.clear()


def decode(line: bytes):
    """orjson's decoding where it can (four times faster); the standard library's for the JSON
    that orjson refuses and the crawl's writer may produce (NaN, Infinity)."""
    try:
        return orjson.loads(line)
    except orjson.JSONDecodeError:
        return json.loads(line)


class Source:
    """A crawl's data folder: challenges in memory (few), entries and images by id on disk."""

    def __init__(self, data_dir: str | os.PathLike):
        self.data_dir = Path(data_dir)
        if not self.data_dir.is_dir():
            raise DataError(f"{self.data_dir}: no such data folder (set DPC_DATA_DIR)")
        self.problems = Problems()
        self.challenges_file = RecordFile(
            self.data_dir, "challenges", "challenge_id", self.problems
        )
        self.entries = RecordFile(self.data_dir, "entries", "image_id", self.problems)
        self.images = RecordFile(self.data_dir, "images", "image_id", self.problems)
        if not self.entries and not self.images:
            raise DataError(
                f"{self.data_dir}: no records in entries.jsonl or images.jsonl"
                " (run scrapy crawl challenges first)"
            )
        self.challenges = {c["challenge_id"]: c for c in self.challenges_file}
        self.challenges_file.close()

    def image_ids(self) -> list[int]:
        return sorted(set(self.entries.index) | set(self.images.index))

    def pairs(self) -> Iterator[tuple[int, dict | None, dict | None]]:
        """(image_id, results row or None, image record or None) for every image, by id."""
        for image_id in self.image_ids():
            entry = self.entries.get(image_id)
            image = self.images.get(image_id)
            if entry is None and image is None:
                continue
            yield image_id, entry, image

    def files(self) -> list[str]:
        return [str(p) for f in (self.challenges_file, self.entries, self.images) for p in f.paths]

    def crawl_dates(self) -> dict:
        """The first and last crawled_at of the challenge records (the cheap, complete proxy)."""
        stamps = sorted(c["crawled_at"] for c in self.challenges.values() if c.get("crawled_at"))
        return {"first": stamps[0] if stamps else None, "last": stamps[-1] if stamps else None}

    def close(self) -> None:
        self.entries.close()
        self.images.close()
