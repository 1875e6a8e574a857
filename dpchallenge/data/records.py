"""The JSON Lines dataset files: one whole line per record, one record per id, torn tails repaired.

One rule says which line of an id wins, wherever the lines are (one file, or a file and the
parts distributed workers wrote beside it): the newest `crawled_at`; on a tie, or where both
lack it, the later line, reading the main file first and then the parts by name. A line without
`crawled_at` is older than any line with one. Every reader (the done checks through
dpchallenge/data/facts.py, `scrapy merge`, the exports) goes by `supersedes`.

Scrapy's FEEDS cannot do this: it appends blindly, so it can neither repair a torn tail, replace a
record by id on a rerun, nor tell the spider what is already done.
"""

from __future__ import annotations

import json
import logging
import os
import re
from collections.abc import Iterator
from pathlib import Path

from dpchallenge.data.files import append_whole
from dpchallenge.data.layout import dataset_paths, verified_mark

logger = logging.getLogger(__name__)


def head_pattern(key: str) -> re.Pattern[bytes]:
    return re.compile(rb'^\{"' + re.escape(key.encode()) + rb'": (\d+)[,}]')


CRAWLED_AT = b'"crawled_at": "'


def crawled_stamp(line: bytes) -> bytes:
    """The `crawled_at` of a whole line, without decoding it; b"" when it has none.

    Inside a JSON string every quote is escaped, so the last `"crawled_at": "` is the key's.
    """
    at = line.rfind(CRAWLED_AT)
    if at < 0:
        return b""
    start = at + len(CRAWLED_AT)
    return line[start : line.find(b'"', start)]


def supersedes(stamp: bytes, held: bytes) -> bool:
    """Whether a line read after the held line of the same id wins over it (see the top)."""
    return stamp >= held


def trusted_size(path: Path) -> int:
    """Bytes at the start of the file that a clean close left verified, or 0."""
    try:
        mark = json.loads(verified_mark(path).read_text())
        stat = path.stat()
    except (OSError, ValueError):
        return 0
    if mark.get("inode") == stat.st_ino and mark.get("size", 0) <= stat.st_size:
        return int(mark["size"])
    return 0


def mark_verified(path: Path) -> None:
    try:
        stat = path.stat()
        verified_mark(path).write_text(json.dumps({"inode": stat.st_ino, "size": stat.st_size}))
    except OSError:
        pass  # only a speed-up: the next open verifies the whole file


def whole_lines(path: Path, key: str, start: int = 0) -> Iterator[tuple[int | None, bytes]]:
    """Every line (from byte `start`, a line's start) with its id, or None for a line that is
    not a whole record.

    Past the verified start of the file, a line is whole only if it parses as JSON: a torn
    write followed by a later append can start and end like a record.
    """
    head = head_pattern(key)
    trusted = trusted_size(path)
    offset = start
    with path.open("rb") as handle:
        handle.seek(start)
        for line in handle:
            match = head.match(line)
            whole = match is not None and line.endswith(b"}\n")
            if whole and offset >= trusted:
                try:
                    json.loads(line)
                except ValueError:
                    whole = False
            offset += len(line)
            yield (int(match.group(1)) if whole else None), line


def read_records(path: str | os.PathLike, key: str) -> Iterator[dict]:
    """The whole records of a dataset file (a torn or foreign line is skipped)."""
    path = Path(path)
    if not path.exists():
        return
    for record_id, line in whole_lines(path, key):
        if record_id is not None:
            try:
                yield json.loads(line)
            except ValueError:
                continue


class JsonLinesStore:
    """A dataset file keyed by `key`: appends records, and on open makes the file whole again."""

    def __init__(self, path: str | os.PathLike, key: str):
        self.path = Path(path)
        self.key = key
        self._fd: int | None = None
        self._ids: set[int] = set()
        self._wrote_again = False
        self.repaired_lines = 0
        self.replaced_records = 0

    def open(self) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        if self.path.exists():
            self._ids = self._make_whole()
        self._fd = os.open(self.path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)

    def write(self, record: dict) -> None:
        """Appends one record as one write(); a failed write is undone, then raised."""
        if record.get(self.key) is None:
            raise ValueError(f"record without {self.key}")
        if record[self.key] in self._ids:
            self._wrote_again = True
        self._ids.add(record[self.key])
        ordered = {self.key: record[self.key], **record}
        line = json.dumps(ordered, ensure_ascii=False, separators=(", ", ": ")) + "\n"
        append_whole(self._fd, line.encode("utf-8"))

    def close(self) -> None:
        if self._fd is not None:
            os.fsync(self._fd)
            os.close(self._fd)
            self._fd = None
            if self._wrote_again:
                self._make_whole()
            mark_verified(self.path)

    def _make_whole(self) -> set[int]:
        """Drop torn lines and keep only the winning line of each id; rewrite only if needed.

        Returns the ids the file holds.
        """
        newest: dict[int, int] = {}
        count = broken = 0
        for index, (record_id, _line) in enumerate(whole_lines(self.path, self.key)):
            count += 1
            if record_id is None:
                broken += 1
            else:
                newest[record_id] = index
        if len(newest) != count - broken:  # an id written again: the rule picks its line
            newest = {
                record_id: index
                for record_id, (_stamp, _file, index) in newest_lines([self.path], self.key).items()
            }
        if broken == 0 and len(newest) == count:
            mark_verified(self.path)
            return set(newest)
        keep = set(newest.values())
        temporary = self.path.with_suffix(self.path.suffix + ".tmp")
        try:
            with temporary.open("wb") as out:
                for index, (_record_id, line) in enumerate(whole_lines(self.path, self.key)):
                    if index in keep:
                        out.write(line)
                out.flush()
                os.fsync(out.fileno())
            os.replace(temporary, self.path)
        except BaseException:
            temporary.unlink(missing_ok=True)
            raise
        mark_verified(self.path)
        self.repaired_lines += broken
        self.replaced_records += count - broken - len(newest)
        if broken:
            logger.warning(
                "%s: dropped %d torn or unparsable line(s); their records are fetched again",
                self.path,
                broken,
            )
        return set(newest)


def read_ids(path: str | os.PathLike, key: str) -> set[int]:
    """The ids of the whole records in a dataset file, without decoding the records."""
    path = Path(path)
    if not path.exists():
        return set()
    return {record_id for record_id, _ in whole_lines(path, key) if record_id is not None}


def newest_lines(paths: list[Path], key: str) -> dict[int, tuple[bytes, int, int]]:
    """id → (crawled_at, index in `paths`, line number) of the line that wins (see the top), in
    the order the ids first appear."""
    newest: dict[int, tuple[bytes, int, int]] = {}
    for index, path in enumerate(paths):
        if not path.exists():
            continue
        for number, (record_id, line) in enumerate(whole_lines(path, key)):
            if record_id is None:
                continue
            stamp = crawled_stamp(line)
            held = newest.get(record_id)
            if held is None or supersedes(stamp, held[0]):
                newest[record_id] = (stamp, index, number)
    return newest


def winning_lines(paths: list[Path], key: str) -> Iterator[bytes]:
    """The winning line of each id, in the order the ids first appear."""
    chosen: dict[int, set[int]] = {}
    newest = newest_lines(paths, key)
    for _stamp, index, number in newest.values():
        chosen.setdefault(index, set()).add(number)
    lines: dict[int, bytes] = {}
    for index, numbers in chosen.items():
        for number, (record_id, line) in enumerate(whole_lines(paths[index], key)):
            if number in numbers:
                lines[record_id] = line
    for record_id in newest:
        yield lines[record_id]


def read_dataset(data_dir: str | os.PathLike, name: str, key: str) -> Iterator[dict]:
    """The winning record of each id over a dataset file and its parts."""
    for line in winning_lines(dataset_paths(data_dir, name), key):
        yield json.loads(line)
