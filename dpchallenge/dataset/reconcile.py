"""`scrapy export reconcile`: each line of an AVA.txt against what the crawl holds of its image.

One pass over images.jsonl (and its parts) keeps a few facts of the records AVA names and
decodes no other record, so 255,530 lines against 600k records stay well inside memory.
"""

from __future__ import annotations

import csv
import json
import os
import shutil
from collections import Counter
from datetime import UTC, datetime
from pathlib import Path

import numpy as np

from dpchallenge.data.layout import FAILED, dataset_paths
from dpchallenge.data.ledger import FailedLedger, settled_invalid
from dpchallenge.data.records import head_pattern
from dpchallenge.dataset.export import finish_out, prepare_out, project_version
from dpchallenge.dataset.schema import RECONCILE_COLUMNS
from dpchallenge.dataset.source import DataError, Problems, decode, parts

COLUMNS = tuple(name for name, _ in RECONCILE_COLUMNS)
STATUSES = ("found", "invalid", "failed", "not_crawled")
SCORES = np.arange(1, 11)


class AvaLines:
    """An AVA.txt in file order: image ids, AVA's challenge ids and ten counts per line."""

    def __init__(self, path: str | Path):
        self.path = Path(path)
        if not self.path.is_file():
            raise DataError(f"{self.path}: no such AVA.txt file")
        values: list[int] = []
        with self.path.open("rb") as handle:
            for number, line in enumerate(handle, start=1):
                fields = line.split()
                if not fields:
                    continue
                if len(fields) != 15 or not all(f.isdigit() for f in fields):
                    raise DataError(
                        f"{self.path}:{number}: not an AVA.txt line (15 non-negative integers)"
                    )
                values.extend(map(int, fields))
        if not values:
            raise DataError(f"{self.path}: empty AVA.txt")
        table = np.asarray(values, dtype=np.int64).reshape(-1, 15)
        self.ids = table[:, 1]
        self.counts = table[:, 2:12]
        self.challenges = table[:, 14]
        self.votes = self.counts.sum(axis=1)
        with np.errstate(invalid="ignore", divide="ignore"):
            self.mos = (self.counts * SCORES).sum(axis=1) / self.votes

    def __len__(self) -> int:
        return len(self.ids)


def found_facts(data_dir: Path, wanted: set[int], problems: Problems) -> dict[int, tuple]:
    """id -> (crawled_at, challenge, votes, counts, mos, thumb path, full file) of the newest
    whole record of each wanted id."""
    head = head_pattern("image_id")
    facts: dict[int, tuple] = {}
    paths = parts(data_dir, "images")
    for path in paths:
        with path.open("rb") as handle:
            for number, line in enumerate(handle, start=1):
                match = head.match(line)
                if match is None or not line.endswith(b"}\n"):
                    if line.strip():
                        problems.add(path, number, "torn_lines", "not a whole image_id record")
                    continue
                image_id = int(match.group(1))
                if image_id not in wanted:
                    continue
                try:
                    record = decode(line)
                except ValueError as error:
                    problems.add(path, number, "bad_json", f"not valid JSON ({error})")
                    continue
                stamp = (record.get("crawled_at") or "") if len(paths) > 1 else ""
                if image_id in facts and facts[image_id][0] > stamp:
                    continue
                facts[image_id] = (stamp, *_record_facts(record))
    return facts


def _record_facts(record: dict) -> tuple:
    stored = {f.get("kind"): f for f in record.get("files") or [] if f.get("path")}
    full = stored.get("full")
    counts = record.get("vote_counts")
    return (
        record.get("challenge_id"),
        record.get("votes"),
        tuple(counts) if counts and len(counts) == 10 else None,
        record.get("mos"),
        (stored.get("thumb") or {}).get("path"),
        None
        if full is None
        else (full["path"], full.get("sha256"), full.get("width"), full.get("height")),
    )


def _paths(facts: tuple) -> list[str]:
    thumb, full = facts[-2:]
    return [path for path in (thumb, full and full[0]) if path]


def stored(images_store: Path, paths) -> set[str]:
    """Those of `paths` (relative to the store) that the store holds: one listing per folder,
    keeping only the names asked about (a whole store's 1.2M names took ~130 MB)."""
    wanted: dict[str, dict[str, str]] = {}
    for path in paths:
        folder, _, name = path.rpartition("/")
        wanted.setdefault(folder, {})[name] = path
    held = set()
    for folder, names in wanted.items():
        try:
            with os.scandir(images_store / folder) as entries:
                held.update(names[e.name] for e in entries if e.name in names)
        except OSError:
            continue
    return held


def _cell(value) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        return f"{value:.4f}"
    return str(value)


class Reconciler:
    def __init__(self, data_dir, images_store, ava_txt):
        self.data_dir = Path(data_dir)
        if not self.data_dir.is_dir():
            raise DataError(f"{self.data_dir}: no such data folder (set DPC_DATA_DIR)")
        self.ava = AvaLines(ava_txt)
        self.images_store = Path(images_store)
        self.problems = Problems()

    def run(self, out) -> dict:
        out = Path(out)
        work = prepare_out(out)
        try:
            manifest = self._write(work / "reconcile.csv")
            (work / "manifest.json").write_text(
                json.dumps(manifest, indent=2, ensure_ascii=False) + "\n"
            )
            finish_out(work, out)
        except BaseException:
            shutil.rmtree(work, ignore_errors=True)
            raise
        return manifest

    def _write(self, path: Path) -> dict:
        ava = self.ava
        found = found_facts(self.data_dir, set(ava.ids.tolist()), self.problems)
        held = stored(self.images_store, (p for f in found.values() for p in _paths(f)))
        invalid = settled_invalid(self.data_dir, "image")
        failed = set()
        for ledger in dataset_paths(self.data_dir, FAILED):
            failed |= FailedLedger(ledger).ids("image")
        status_counts: Counter = Counter(dict.fromkeys(STATUSES, 0))
        sums: Counter = Counter()
        vote_changes: list[int] = []
        mos_changes: list[float] = []
        with path.open("w", encoding="ascii", newline="") as handle:
            writer = csv.writer(handle, lineterminator="\n")
            writer.writerow(COLUMNS)
            for at, image_id in enumerate(ava.ids.tolist()):
                ava_votes = int(ava.votes[at])
                ava_mos = float(ava.mos[at]) if ava_votes else None
                row = [image_id, int(ava.challenges[at]), None, None, ava_votes]
                facts = found.get(image_id)
                if facts is None:
                    status = (
                        "invalid"
                        if image_id in invalid
                        else "failed"
                        if image_id in failed
                        else "not_crawled"
                    )
                    row += [None, None, ava_mos, None, None, None, None, None, None]
                else:
                    status = "found"
                    _, challenge, votes, counts, mos, thumb, full = facts
                    equal = None if counts is None else counts == tuple(ava.counts[at].tolist())
                    has_thumb = thumb in held
                    has_full = full is not None and full[0] in held
                    full_facts = full[1:] if has_full else (None, None, None)
                    row[3] = challenge
                    row += [votes, equal, ava_mos, mos, has_thumb, has_full, *full_facts]
                    sums["with_counts"] += counts is not None
                    sums["counts_equal"] += equal is True
                    sums["counts_differ"] += equal is False
                    sums["challenge_differs"] += challenge != row[1]
                    sums["with_thumb"] += has_thumb
                    sums["with_full"] += has_full
                    if votes is not None:
                        vote_changes.append(votes - ava_votes)
                    if mos is not None and ava_mos is not None:
                        mos_changes.append(mos - ava_mos)
                row[2] = status
                status_counts[status] += 1
                writer.writerow([_cell(value) for value in row])
        return self._manifest(status_counts, sums, vote_changes, mos_changes)

    def _manifest(self, status_counts, sums, vote_changes, mos_changes) -> dict:
        changes = np.asarray(vote_changes, dtype=np.int64)
        mos = np.asarray(mos_changes, dtype=np.float64)
        return {
            "format": "reconcile",
            "project_version": project_version(),
            "created_at": datetime.now(UTC).isoformat(timespec="seconds"),
            "ava_txt": str(self.ava.path),
            "data_dir": str(self.data_dir),
            "lines": len(self.ava),
            "distinct_ids": len(np.unique(self.ava.ids)),
            "status": dict(status_counts),
            "found": {
                "images": status_counts["found"],
                "with_counts": sums["with_counts"],
                "counts_equal": sums["counts_equal"],
                "counts_differ": sums["counts_differ"],
                "challenge_differs": sums["challenge_differs"],
                "with_votes": len(changes),
                "median_vote_change": _number(np.median(changes)) if len(changes) else None,
                "mean_vote_change": round(float(changes.mean()), 4) if len(changes) else None,
                "votes_grew": int((changes > 0).sum()),
                "votes_same": int((changes == 0).sum()),
                "votes_fewer": int((changes < 0).sum()),
                "with_both_mos": len(mos),
                "median_mos_change": round(float(np.median(mos)), 4) if len(mos) else None,
                "median_abs_mos_change": round(float(np.median(abs(mos))), 4) if len(mos) else None,
                "with_thumb": sums["with_thumb"],
                "with_full": sums["with_full"],
            },
            "bad_lines": dict(sorted(self.problems.counts.items())),
            "bad_lines_first": [str(p) for p in self.problems.first],
            "files": ["reconcile.csv"],
        }


def _number(value) -> int | float:
    value = float(value)
    return int(value) if value.is_integer() else value


def write_reconcile(data_dir, images_store, ava_txt, out) -> tuple[dict, Problems]:
    reconciler = Reconciler(data_dir, images_store, ava_txt)
    return reconciler.run(out), reconciler.problems
