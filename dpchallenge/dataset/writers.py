"""The writers of the image formats: Parquet tables, imagefolder, WebDataset shards."""

from __future__ import annotations

import io
import json
import os
import shutil
import tarfile
from datetime import date
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq

from dpchallenge.dataset.schema import (
    COMMENT_COLUMNS,
    COMMENT_SCHEMA,
    IMAGE_COLUMNS,
    IMAGE_SCHEMA,
    fits,
    record_schema,
)
from dpchallenge.items import ChallengeItem, EntryItem

DATE_COLUMNS = [name for name, kind, _ in IMAGE_COLUMNS if kind == pa.date32()]
COMMENT_FIELDS = [name for name, _, _ in COMMENT_COLUMNS[4:]]
BATCH = 2000


def as_date(value):
    if not isinstance(value, str):
        return None
    try:
        return date.fromisoformat(value[:10])
    except ValueError:
        return None


class TableWriter:
    """Rows appended in batches to one Parquet file with a fixed schema."""

    def __init__(self, path: Path, schema: pa.Schema):
        self.schema = schema
        self.dates = [f.name for f in schema if f.type == pa.date32()]
        self.writer = pq.ParquetWriter(path, schema, compression="zstd")
        self.rows: list[dict] = []
        self.count = 0

    def add(self, row: dict) -> None:
        self.rows.append(row)
        if len(self.rows) >= BATCH:
            self.flush()

    def flush(self) -> None:
        if self.rows:
            for row in self.rows:
                for name in self.dates:
                    row[name] = as_date(row.get(name))
            self.writer.write_table(pa.Table.from_pylist(self.rows, schema=self.schema))
            self.count += len(self.rows)
            self.rows = []

    def close(self) -> None:
        self.flush()
        self.writer.close()


def records_table(path: Path, item_class, records) -> int:
    """challenges.parquet / entries.parquet: the item's fields typed, unknown fields as JSON."""
    schema = record_schema(item_class)
    types = {f.name: f.type for f in schema}
    writer = TableWriter(path, schema)
    for record in records:
        row = {k: fits(v, types[k]) for k, v in record.items() if k in types}
        unknown = {k: v for k, v in record.items() if k not in types}
        row["extra_fields"] = json.dumps(unknown, ensure_ascii=False) if unknown else None
        writer.add(row)
    writer.close()
    return writer.count


class ParquetExport:
    def __init__(self, out: Path, source, options):
        self.out = out
        self.source = source
        self.images = TableWriter(out / "images.parquet", IMAGE_SCHEMA)
        self.comments = TableWriter(out / "comments.parquet", COMMENT_SCHEMA)

    def add(self, row: dict, image_file: Path | None) -> None:
        for comment in row["comments"]:
            flat = {name: comment.get(name) for name in COMMENT_FIELDS}
            flat.update(
                image_id=row["image_id"],
                challenge_id=row["challenge_id"],
                mos=row["mos"],
                split=row["split"],
            )
            self.comments.add(flat)
        self.images.add(row)

    def close(self) -> list[str]:
        self.images.close()
        self.comments.close()
        records_table(
            self.out / "challenges.parquet",
            ChallengeItem,
            (self.source.challenges[k] for k in sorted(self.source.challenges)),
        )
        records_table(self.out / "entries.parquet", EntryItem, self.source.entries)
        return ["images.parquet", "comments.parquet", "challenges.parquet", "entries.parquet"]


def place_file(source: Path, target: Path) -> None:
    """A hard link where the filesystem allows, else a copy."""
    try:
        os.link(source, target)
    except OSError:
        shutil.copyfile(source, target)


def filled_paths(row: dict) -> set[str]:
    """The columns (and nested fields) that hold a value in this row."""
    paths = set()
    for name, value in row.items():
        if value is None or value == []:
            continue
        paths.add(name)
        if isinstance(value, list) and isinstance(value[0], dict):
            for element in value:
                paths.update(f"{name}.{k}" for k, v in element.items() if v is not None)
    return paths


class ImageFolderExport:
    """`<split>/metadata.jsonl` beside `<split>/<image_id>.jpg`.

    `datasets` infers each split's column types from the first rows of its metadata.jsonl, so
    each file starts with the rows that first give a value to each column (or nested field).
    """

    def __init__(self, out: Path, source, options):
        self.out = out
        self.splits: dict[str, dict] = {}

    def _split(self, name: str) -> dict:
        state = self.splits.get(name)
        if state is None:
            folder = self.out / name
            folder.mkdir()
            partial = folder / ".metadata.partial"
            state = self.splits[name] = {
                "folder": folder,
                "partial": partial,
                "handle": partial.open("wb"),
                "seen": set(),
                "first": [],
                "offset": 0,
            }
        return state

    def add(self, row: dict, image_file: Path | None) -> None:
        state = self._split(row["split"])
        name = f"{row['image_id']}.jpg"
        place_file(image_file, state["folder"] / name)
        line = (json.dumps({"file_name": name, **row}, ensure_ascii=False) + "\n").encode()
        paths = filled_paths(row)
        if not paths <= state["seen"]:
            state["seen"] |= paths
            state["first"].append(state["offset"])
        state["handle"].write(line)
        state["offset"] += len(line)

    def close(self) -> list[str]:
        written = []
        for name, state in self.splits.items():
            state["handle"].close()
            first = set(state["first"])
            target = state["folder"] / "metadata.jsonl"
            with state["partial"].open("rb") as partial, target.open("wb") as metadata:
                for offset in state["first"]:
                    partial.seek(offset)
                    metadata.write(partial.readline())
                partial.seek(0)
                offset = 0
                for line in partial:
                    if offset not in first:
                        metadata.write(line)
                    offset += len(line)
            state["partial"].unlink()
            written.append(f"{name}/metadata.jsonl")
        return written

    def untyped(self) -> dict[str, list[str]]:
        """Per split, the columns with a value in another split but none in this one."""
        every = set().union(*(state["seen"] for state in self.splits.values()))
        gaps = {name: sorted(every - state["seen"]) for name, state in self.splits.items()}
        return {name: columns for name, columns in sorted(gaps.items()) if columns}


def _member(tar: tarfile.TarFile, name: str, data: bytes) -> None:
    info = tarfile.TarInfo(name)
    info.size = len(data)
    info.mtime = 0
    info.mode = 0o644
    tar.addfile(info, io.BytesIO(data))


class WebDatasetExport:
    """`<split>-NNNNNN.tar` shards of at most `shard_size` samples: `<id>.jpg` and `<id>.json`."""

    def __init__(self, out: Path, source, options):
        self.out = out
        self.shard_size = options.shard_size
        self.open: dict[str, list] = {}  # split -> [tar, samples in it, shard number]
        self.shards: list[str] = []

    def add(self, row: dict, image_file: Path | None) -> None:
        state = self.open.get(row["split"])
        if state is None or state[1] >= self.shard_size:
            number = 0 if state is None else state[2] + 1
            if state is not None:
                state[0].close()
            name = f"{row['split']}-{number:06d}.tar"
            self.shards.append(name)
            tar = tarfile.open(self.out / name, "w")  # noqa: SIM115 (closed when the shard is full)
            state = self.open[row["split"]] = [tar, 0, number]
        tar = state[0]
        key = str(row["image_id"])
        _member(tar, f"{key}.json", json.dumps(row, ensure_ascii=False).encode())
        _member(tar, f"{key}.jpg", image_file.read_bytes())
        state[1] += 1

    def close(self) -> list[str]:
        for tar, _, _ in self.open.values():
            tar.close()
        return list(self.shards)
