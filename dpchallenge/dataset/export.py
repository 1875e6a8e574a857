"""`scrapy export FORMAT`: one streaming pass over the crawl, a writer per format, a manifest."""

from __future__ import annotations

import gc
import importlib.metadata
import json
import os
import re
import shutil
import sys
from collections import Counter
from contextlib import contextmanager
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from pathlib import Path

from dpchallenge.dataset.ava import AvaTable, AvaTags, AvaWriter
from dpchallenge.dataset.hf import HfExport
from dpchallenge.dataset.pyiqa import PyiqaExport
from dpchallenge.dataset.rows import build_row, file_path, mos_bin
from dpchallenge.dataset.source import OutRefused, Source
from dpchallenge.dataset.splits import Balance, Splitter
from dpchallenge.dataset.writers import ImageFolderExport, ParquetExport, WebDatasetExport

WRITERS = {
    "ava": AvaWriter,
    "parquet": ParquetExport,
    "imagefolder": ImageFolderExport,
    "webdataset": WebDatasetExport,
    "pyiqa": PyiqaExport,
    "hf": HfExport,
}
IMAGE_FORMATS = {"imagefolder", "webdataset", "pyiqa"}
# the tables that list every results row, exported or left out
ENTRY_TABLES = (ParquetExport, HfExport)
ROOT = Path(__file__).resolve().parents[2]


@dataclass
class Options:
    splits: tuple[float, ...] = (0.8, 0.1, 0.1)
    seed: int = 0
    files: str = "full"
    ava_txt: str | None = None
    new_since_ava: bool = False
    balance: bool = False
    min_votes: int | None = None
    shard_size: int = 10_000
    ava_tags: str | None = None
    ava_test_list: str | None = None
    images: str = "none"
    shard_mb: int = 500


def project_version() -> str:
    pyproject = ROOT / "pyproject.toml"
    if pyproject.is_file():
        match = re.search(r'^version = "([^"]+)"', pyproject.read_text(), re.M)
        if match:
            return match.group(1)
    try:  # an installed package, away from its checkout
        return importlib.metadata.version("dpchallenge")
    except importlib.metadata.PackageNotFoundError:
        return "unknown"


def prepare_out(out: Path, marker: str = "manifest.json") -> Path:
    """A fresh folder beside `out`; `out` itself is replaced only once the export is whole."""
    if out.exists() and (not out.is_dir() or (any(out.iterdir()) and not (out / marker).is_file())):
        raise OutRefused(
            f"{out}: exists and is not an earlier export (no {marker}); not writing there"
        )
    out.parent.mkdir(parents=True, exist_ok=True)
    work = out.parent / f".{out.name}.partial"
    if work.exists():
        shutil.rmtree(work)
    work.mkdir()
    return work


def finish_out(work: Path, out: Path) -> None:
    if out.exists():
        old = out.parent / f".{out.name}.old"
        if old.exists():
            shutil.rmtree(old)
        os.replace(out, old)
        os.replace(work, out)
        shutil.rmtree(old)
    else:
        os.replace(work, out)


@contextmanager
def without_cyclic_collection():
    """The export makes millions of short-lived dicts and lists without reference cycles: the
    cycle collector, run every few hundred of them over the index of every record, took a
    third of its time and never found anything to free."""
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


class Exporter:
    def __init__(self, data_dir, images_store, fmt: str, options: Options):
        self.fmt = fmt
        self.options = options
        self.images_store = Path(images_store)
        self.source = Source(data_dir)
        self.ava = AvaTable(options.ava_txt) if options.ava_txt else None
        self.tags = AvaTags(options.ava_tags) if options.ava_tags else None
        self.galleries: Counter = Counter()
        self.unmatched_galleries: Counter = Counter()
        self.splitter = Splitter(options.splits, options.seed, self.source.challenges)
        self.left_out: Counter = Counter()
        self.left_out_example: dict[str, str] = {}
        self.per_split: Counter = Counter()
        self.per_bin: dict[str, Counter] = {}
        self.stamps: list[str | None] = [None, None]
        self.comments = 0

    def rows(self):
        """Every image row with its split, why it is left out (or None), and its results row."""
        challenges = self.source.challenges
        for image_id, entry, image in self.source.pairs():
            challenge_id = (image or {}).get("challenge_id") or (entry or {}).get("challenge_id")
            challenge = challenges.get(challenge_id)
            ava = self.ava.get(image_id) if self.ava is not None else None
            row = build_row(entry, image, challenge, ava)
            row["split"] = self.splitter.split(row["challenge_id"], image_id)
            yield row, self._reason(row, challenge), entry

    def _reason(self, row: dict, challenge: dict | None) -> str | None:
        if challenge is not None and challenge.get("status") != "finished":
            return "challenge_not_finished"
        if self.options.new_since_ava and row["in_ava"]:
            return "in_ava"
        if self.options.min_votes is not None:
            votes = row["votes"]
            if votes is None or votes < self.options.min_votes:
                return "below_min_votes"
        return None

    def _leave_out(self, reason: str, row: dict) -> None:
        self.left_out[reason] += 1
        if reason not in self.left_out_example:
            self.left_out_example[reason] = self.source_line(row["image_id"])

    def source_line(self, image_id: int) -> str:
        for records in (self.source.images, self.source.entries):
            where = records.index.get(image_id)
            if where is not None:
                return f"{records.paths[where[0]]}:{where[2]}"
        return "?"

    def run(self, out: str | os.PathLike) -> dict:
        out = Path(out)
        work = prepare_out(out)
        try:
            with without_cyclic_collection():
                manifest = self._write(work)
            (work / "manifest.json").write_text(
                json.dumps(manifest, indent=2, ensure_ascii=False) + "\n"
            )
            finish_out(work, out)
        except BaseException:
            shutil.rmtree(work, ignore_errors=True)
            raise
        finally:
            self.source.close()
        return manifest

    def _balance(self) -> Balance | None:
        if not self.options.balance:
            return None
        balance = Balance(self.options.seed)
        for row, reason, _ in self.rows():
            if reason is None and row["split"] == "train":
                balance.see(mos_bin(row["mos"]), row["image_id"])
        balance.settle()
        return balance

    def _write(self, work: Path) -> dict:
        balance = self._balance()
        if self.fmt == "ava":
            writer = AvaWriter(work, self.source.challenges)
        else:
            writer = WRITERS[self.fmt](work, self.source, self.options)
        if isinstance(writer, HfExport):
            writer.splitter = self.splitter
        kind = self.options.files
        carries_files = self.fmt in IMAGE_FORMATS
        if self.fmt == "hf" and self.options.images != "none":
            kind, carries_files = self.options.images, True
        keeps_entries = isinstance(writer, ENTRY_TABLES)
        for row, reason, entry in self.rows():
            if keeps_entries and entry is not None:
                writer.add_entry(entry)
            balancing = reason is None and balance is not None and row["split"] == "train"
            if balancing and not balance.keeps(mos_bin(row["mos"]), row["image_id"]):
                reason = "balanced_out"
            if reason is None and self.fmt == "pyiqa" and row["mos"] is None:
                reason = "no_mos"
            image_file = None
            if reason is None and carries_files:
                relative = file_path(row, kind)
                if relative is None:
                    reason = f"no_{kind}_file"
                else:
                    image_file = self.images_store / relative
                    if not image_file.is_file():
                        reason = f"{kind}_file_missing"
            if reason is not None:
                self._leave_out(reason, row)
                continue
            self._tag(row)
            self._count(row)
            if self.fmt == "ava":
                writer.add(row)
            else:
                writer.add(row, image_file)
        files = writer.close()
        self.untyped = writer.untyped() if self.fmt == "imagefolder" else {}
        self.metadata_name = writer.metadata_name if self.fmt == "imagefolder" else None
        if self.fmt == "ava":
            self.per_split["AVA.txt lines"] = writer.index
        self.details = writer.details() if hasattr(writer, "details") else None
        manifest = self._manifest(files, balance)
        if isinstance(writer, HfExport):
            manifest["files"] += writer.describe(manifest)
        return manifest

    def _tag(self, row: dict) -> None:
        """Galleries counted; with --ava-tags, an image not in AVA gets its galleries' tags."""
        names = row["galleries"]
        self.galleries["null" if names is None else "listed" if names else "none"] += 1
        if self.tags is None or not names:
            return
        found, unmatched = self.tags.match(names)
        self.unmatched_galleries.update(unmatched)
        if not row["in_ava"]:
            found += [None, None]
            row["ava_tag1"], row["ava_tag2"] = found[0], found[1]

    def _count(self, row: dict) -> None:
        self.per_split[row["split"]] += 1
        self.per_bin.setdefault(row["split"], Counter())[mos_bin(row["mos"])] += 1
        self.comments += len(row["comments"])
        stamp = row["crawled_at"]
        if stamp:
            if self.stamps[0] is None or stamp < self.stamps[0]:
                self.stamps[0] = stamp
            if self.stamps[1] is None or stamp > self.stamps[1]:
                self.stamps[1] = stamp

    def _manifest(self, files: list[str], balance: Balance | None) -> dict:
        problems = self.source.problems
        options = asdict(self.options)
        options["splits"] = list(self.options.splits)
        return {
            "format": self.fmt,
            "project_version": project_version(),
            "created_at": datetime.now(UTC).isoformat(timespec="seconds"),
            "options": options,
            "source": {
                "data_dir": str(self.source.data_dir),
                "files": self.source.files(),
                "crawled_from": self.stamps[0],
                "crawled_to": self.stamps[1],
                "challenges": len(self.source.challenges),
                "entries": len(self.source.entries),
                "image_pages": len(self.source.images),
                "ava_txt_images": len(self.ava) if self.ava is not None else None,
            },
            "counts": {
                "images": sum(v for k, v in self.per_split.items() if k != "AVA.txt lines"),
                "per_split": dict(sorted(self.per_split.items())),
                "per_split_mos_bin": {
                    k: dict(sorted(v.items())) for k, v in sorted(self.per_bin.items())
                },
                "comments": self.comments,
                "balance_cap_per_bin": balance.cap if balance is not None else None,
            },
            "left_out": dict(sorted(self.left_out.items())),
            "left_out_first": dict(sorted(self.left_out_example.items())),
            "bad_lines": dict(sorted(problems.counts.items())),
            "bad_lines_first": [str(p) for p in problems.first],
            "imagefolder_untyped_columns": self.untyped or None,
            "imagefolder_metadata": self.metadata_name,
            "galleries": {
                "images_with_galleries": self.galleries["listed"],
                "images_in_no_gallery": self.galleries["none"],
                "images_not_saying": self.galleries["null"],
                "ava_tags_file": self.options.ava_tags,
                "unmatched_gallery_names": dict(self.unmatched_galleries.most_common())
                if self.tags is not None
                else None,
            },
            "details": self.details,
            "files": files,
        }


def report_problems(exporter: Exporter, manifest: dict, stream=sys.stderr) -> int:
    """One line per bad input line (the first few) and per reason for leaving images out."""
    for problem in exporter.source.problems.first:
        print(f"{problem}; skipped", file=stream)
    bad = sum(manifest["bad_lines"].values())
    if bad > len(exporter.source.problems.first):
        print(f"... {bad} bad lines in all (see manifest.json)", file=stream)
    for reason, count in manifest["left_out"].items():
        if reason.startswith("no_") or reason.endswith("_missing"):
            first = manifest["left_out_first"][reason]
            print(f"{first}: left out ({reason}); {count} image(s) in all", file=stream)
    if untyped := manifest.get("imagefolder_untyped_columns"):
        gaps = "; ".join(f"in {split}: {', '.join(columns)}" for split, columns in untyped.items())
        print(
            f"imagefolder: columns without any value {gaps}. JSON cannot type them there and"
            " datasets would refuse the splits as mismatched, so each split's metadata is"
            " metadata.parquet (typed) instead of metadata.jsonl",
            file=stream,
        )
    return 1 if bad else 0
