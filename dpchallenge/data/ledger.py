"""DPC_DATA_DIR/failed.jsonl: every page or file that failed and has not succeeded since."""

from __future__ import annotations

import json
import logging
import os
from datetime import UTC, datetime
from pathlib import Path

from dpchallenge.data.files import append_line, write_atomically
from dpchallenge.data.layout import INVALID, dataset_paths

logger = logging.getLogger(__name__)

# a line's keys and the type of each value (docs/fields.md says what they mean); a resolved
# line has kind, id and resolved only
FAILED_KEYS = {
    "kind": "str",
    "id": "int | None",
    "url": "str | None",
    "reason": "str",
    "time": "str",
    "resolved": "bool",
}
INVALID_KEYS = {"kind": "str", "id": "int", "url": "str", "time": "str", "resolved": "bool"}


def now_utc() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


class FailedLedger:
    """Kept across runs; appended as failures happen (so a crash keeps them), compacted at close.

    A line `{"kind", "id", "resolved": true}` drops an earlier failure; compaction removes both.
    """

    def __init__(self, path: str | os.PathLike):
        self.path = Path(path)
        self.entries: dict[tuple[str, int | None], dict] = {}
        self._dirty = False
        self._load()

    def _load(self) -> None:
        if not self.path.exists():
            return
        with self.path.open("rb") as handle:
            for line in handle:
                try:
                    entry = json.loads(line)
                    key = (entry["kind"], entry.get("id"))
                except (ValueError, KeyError, TypeError):
                    self._dirty = True  # a torn line from a crash
                    continue
                if entry.get("resolved"):
                    self.entries.pop(key, None)
                    self._dirty = True
                else:
                    self.entries[key] = entry

    def failed(self, kind: str, record_id: int | None, url: str | None, reason: str) -> None:
        entry = {"kind": kind, "id": record_id, "url": url, "reason": reason, "time": now_utc()}
        self.entries[(kind, record_id)] = entry
        self._append(entry)

    def succeeded(self, kind: str, record_id: int | None) -> None:
        if self.entries.pop((kind, record_id), None) is not None:
            self._append({"kind": kind, "id": record_id, "resolved": True})

    def ids(self, kind: str) -> set[int]:
        return {rid for (k, rid) in self.entries if k == kind and rid is not None}

    def __len__(self) -> int:
        return len(self.entries)

    def _append(self, entry: dict) -> None:
        self._dirty = True
        line = json.dumps(entry, ensure_ascii=False) + "\n"
        try:
            append_line(self.path, line.encode("utf-8"))
        except OSError as exc:  # the crawl stops for the write error elsewhere; keep going here
            logger.error("%s: could not record a failure (%s)", self.path, exc)

    def rewrite(self) -> None:
        self._dirty = True
        self.close()

    def close(self) -> None:
        if not self._dirty:
            return
        text = "".join(json.dumps(e, ensure_ascii=False) + "\n" for e in self.entries.values())
        try:
            write_atomically(self.path, text.encode("utf-8"))
        except OSError as exc:
            logger.error("%s: could not compact (%s); it stays readable", self.path, exc)


class InvalidLedger(FailedLedger):
    """DPC_DATA_DIR/invalid.jsonl: ids the site answered with its "Invalid …_ID" page, settled.

    Kept like failed.jsonl: appended as they come, compacted at close; a record written for the
    id later (a `-a refresh=1` run) resolves its line.
    """

    def invalid(self, kind: str, record_id: int, url: str | None) -> None:
        if (kind, record_id) in self.entries:
            return  # listed once
        entry = {"kind": kind, "id": record_id, "url": url, "time": now_utc()}
        self.entries[(kind, record_id)] = entry
        self._append(entry)


def settled_invalid(data_dir: str | os.PathLike, kind: str) -> set[int]:
    """The ids of `kind` that invalid.jsonl and its distributed parts list."""
    paths = dataset_paths(data_dir, INVALID)
    return {record_id for path in paths for record_id in InvalidLedger(path).ids(kind)}
