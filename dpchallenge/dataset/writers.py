"""The writers of the image formats: Parquet tables, imagefolder, WebDataset shards."""

from __future__ import annotations

import io
import json
import operator
import os
import shutil
import tarfile
from collections import deque
from concurrent.futures import Future, ThreadPoolExecutor
from pathlib import Path

import orjson
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from dpchallenge.dataset.columns import column_array
from dpchallenge.dataset.schema import COMMENT_COLUMNS, COMMENT_SCHEMA, IMAGE_SCHEMA, record_schema
from dpchallenge.items import ChallengeItem, EntryItem

IMAGE_KEYS = [name for name, _ in COMMENT_COLUMNS[:4]]
METADATA_SCHEMA = pa.schema([("file_name", pa.string()), *IMAGE_SCHEMA])
BATCH = 2000


class TableWriter:
    """Rows appended in batches to one Parquet file with a fixed schema, typed a column at a time.

    Arrow encodes and compresses a batch without holding the GIL, so that happens in a thread of
    the file's own while the next batch is built (at most two batches wait).
    """

    def __init__(self, path: Path, schema: pa.Schema):
        self.schema = schema
        self.values = operator.itemgetter(*schema.names)
        self.writer = pq.ParquetWriter(path, schema, compression="zstd")
        self.encoder = ThreadPoolExecutor(max_workers=1, thread_name_prefix=path.name)
        self.pending: deque[Future] = deque()
        self.rows: list[tuple] = []
        self.count = 0

    def add(self, row: dict) -> pa.Table | None:
        """Append a row holding every column; returns the batch when one was written."""
        self.rows.append(self.values(row))
        if len(self.rows) >= BATCH:
            return self.flush()
        return None

    def flush(self) -> pa.Table | None:
        if not self.rows:
            return None
        columns = zip(*self.rows)
        arrays = [column_array(values, f.type) for values, f in zip(columns, self.schema)]
        table = pa.Table.from_arrays(arrays, schema=self.schema)
        self.write(table)
        self.rows = []
        return table

    def write(self, table: pa.Table) -> None:
        while len(self.pending) >= 2:
            self.pending.popleft().result()
        self.pending.append(self.encoder.submit(self.writer.write_table, table))
        self.count += table.num_rows

    def close(self) -> pa.Table | None:
        try:
            table = self.flush()
            while self.pending:
                self.pending.popleft().result()
        finally:
            self.encoder.shutdown()
        self.writer.close()
        return table


class RecordTable(TableWriter):
    """challenges.parquet / entries.parquet: the item's fields typed, unknown fields as JSON."""

    def __init__(self, path: Path, item_class):
        super().__init__(path, record_schema(item_class))
        self.empty = dict.fromkeys(self.schema.names)
        self.known = self.empty.keys() - {"extra_fields"}

    def add(self, record: dict) -> pa.Table | None:
        return super().add(item_row(record, self.empty, self.known))


def item_row(record: dict, empty: dict, known) -> dict:
    """The record with every column of `empty`, the fields not `known` as JSON in extra_fields."""
    row = {**empty, **record, "extra_fields": None}
    unknown = record.keys() - known
    if unknown:
        extra = {k: record[k] for k in sorted(unknown)}
        row["extra_fields"] = json.dumps(extra, ensure_ascii=False)
    return row


def comments_table(images: pa.Table) -> pa.Table:
    """comments.parquet's rows for a batch of images.parquet: one per comment, with its image."""
    lists = images.column("comments").combine_chunks()
    parents = pc.list_parent_indices(lists)
    image_columns = [images.column(name).take(parents) for name in IMAGE_KEYS]
    comment_columns = pc.list_flatten(lists).flatten()
    return pa.Table.from_arrays([*image_columns, *comment_columns], schema=COMMENT_SCHEMA)


class ParquetExport:
    def __init__(self, out: Path, source, options):
        self.out = out
        self.source = source
        self.images = TableWriter(out / "images.parquet", IMAGE_SCHEMA)
        self.comments = TableWriter(out / "comments.parquet", COMMENT_SCHEMA)
        self.entries = RecordTable(out / "entries.parquet", EntryItem)

    def add_entry(self, entry: dict) -> None:
        """Every results row the crawl holds, exported or left out."""
        self.entries.add(entry)

    def add(self, row: dict, image_file: Path | None) -> None:
        self._comments_of(self.images.add(row))

    def _comments_of(self, images: pa.Table | None) -> None:
        if images is not None:
            self.comments.write(comments_table(images))

    def close(self) -> list[str]:
        self._comments_of(self.images.close())
        self.comments.close()
        self.entries.close()
        challenges = RecordTable(self.out / "challenges.parquet", ChallengeItem)
        for challenge_id in sorted(self.source.challenges):
            challenges.add(self.source.challenges[challenge_id])
        challenges.close()
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
    JSON cannot type a column that is null in every row of a split, and `datasets` refuses
    splits whose types differ; when some split has such a column, every split's metadata is
    written as metadata.parquet instead, typed by the export's schema.
    """

    def __init__(self, out: Path, source, options):
        self.out = out
        self.splits: dict[str, dict] = {}
        self.metadata_name = "metadata.jsonl"

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
        typed = bool(self.untyped())
        if typed:
            self.metadata_name = "metadata.parquet"
        written = []
        for name, state in self.splits.items():
            state["handle"].close()
            target = state["folder"] / self.metadata_name
            if typed:
                typed_metadata(state["partial"], target)
            else:
                first_rows_first(state["partial"], state["first"], target)
            state["partial"].unlink()
            written.append(f"{name}/{self.metadata_name}")
        return written

    def untyped(self) -> dict[str, list[str]]:
        """Per split, the columns with a value in another split but none in this one."""
        every = set().union(*(state["seen"] for state in self.splits.values()))
        gaps = {name: sorted(every - state["seen"]) for name, state in self.splits.items()}
        return {name: columns for name, columns in sorted(gaps.items()) if columns}


def first_rows_first(partial: Path, first: list[int], target: Path) -> None:
    """The lines at the offsets `first`, then every other line, in order."""
    firsts = set(first)
    with partial.open("rb") as lines, target.open("wb") as metadata:
        for offset in first:
            lines.seek(offset)
            metadata.write(lines.readline())
        lines.seek(0)
        offset = 0
        for line in lines:
            if offset not in firsts:
                metadata.write(line)
            offset += len(line)


def typed_metadata(partial: Path, target: Path) -> None:
    table = TableWriter(target, METADATA_SCHEMA)
    with partial.open("rb") as lines:
        for line in lines:
            table.add(orjson.loads(line))
    table.close()


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
