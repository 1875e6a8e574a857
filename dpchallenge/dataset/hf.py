"""`scrapy export hf`: a Hugging Face dataset folder, one config per table, sharded Parquet.

`datasets.load_dataset(DIR, CONFIG)` reads it through the card's `configs`; the card and
croissant.json are written from the same counts once the tables are whole.
"""

from __future__ import annotations

import json
import operator
import os
from array import array
from collections import deque
from concurrent.futures import Future, ThreadPoolExecutor
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq

from dpchallenge.dataset.columns import column_array
from dpchallenge.dataset.schema import COMMENT_SCHEMA, IMAGE_SCHEMA, record_schema
from dpchallenge.dataset.splits import SPLIT_NAMES
from dpchallenge.dataset.writers import BATCH, comments_table, item_row
from dpchallenge.items import ChallengeItem, EntryItem

CONFIGS = ("images", "comments", "challenges", "entries")
IMAGE_TYPE = pa.struct([("bytes", pa.binary()), ("path", pa.string())])
MB = 1_000_000
# a batch of embedded files is written once it holds this many bytes, so memory stays bounded
IMAGE_BATCH_BYTES = 16 * MB
# Parquet's footer grows by about this much per column chunk of a row group
CHUNK_FOOTER_BYTES = 400
SPLIT_FIELD = pa.field("split", pa.string())


def hf_features(schema: pa.Schema):
    """The `datasets` features of a table: its Arrow types, the embedded files as Image."""
    import datasets

    plain = pa.schema([f for f in schema if f.name != "image"])
    features = datasets.Features.from_arrow_schema(plain)
    if "image" in schema.names:
        features = datasets.Features({"image": datasets.Image(), **features})
    return features


def with_features(schema: pa.Schema) -> pa.Schema:
    """The schema carrying `datasets`' own metadata, so the Parquet files alone type the image
    column too."""
    info = {"info": {"features": hf_features(schema).to_dict()}}
    return schema.with_metadata({"huggingface": json.dumps(info)})


def leaf_count(kind: pa.DataType) -> int:
    """The Parquet columns (column chunks) an Arrow type is stored in."""
    if pa.types.is_struct(kind):
        return sum(leaf_count(f.type) for f in kind)
    if pa.types.is_list(kind):
        return leaf_count(kind.value_type)
    return 1


def leaf_paths(schema: pa.Schema) -> list[str]:
    """Dotted paths of the Parquet columns, as use_dictionary names them."""
    paths = []

    def walk(prefix: str, kind: pa.DataType) -> None:
        if pa.types.is_struct(kind):
            for field in kind:
                walk(f"{prefix}.{field.name}", field.type)
        elif pa.types.is_list(kind):
            walk(f"{prefix}.list.element", kind.value_type)
        else:
            paths.append(prefix)

    for field in schema:
        walk(field.name, field.type)
    return paths


class Shards:
    """One split of one config: Parquet files of at most `limit` bytes, named at the end."""

    def __init__(self, folder: Path, split: str, schema: pa.Schema, limit: int):
        self.folder = folder
        self.split = split
        self.schema = schema
        self.limit = limit
        self.paths: list[Path] = []
        self.writer: pq.ParquetWriter | None = None
        self.sink = None
        self.rows_in_shard = 0
        self.count = 0
        self.nbytes = 0
        self.group_overhead = CHUNK_FOOTER_BYTES * sum(leaf_count(f.type) for f in schema)
        leaves = leaf_paths(schema)
        # JPEG bytes do not compress: zstd would cost time alone
        self.compression = {name: "none" if name == "image.bytes" else "zstd" for name in leaves}
        # a dictionary of the files' bytes would hash each file only to be dropped
        self.dictionary = [name for name in leaves if name != "image.bytes"]
        # as in writers.TableWriter: Arrow encodes without the GIL while the next batch is built
        self.encoder = ThreadPoolExecutor(max_workers=1, thread_name_prefix=f"hf-{split}")
        self.pending: deque[Future] = deque()

    def _open(self) -> None:
        self.folder.mkdir(parents=True, exist_ok=True)
        path = self.folder / f".{self.split}-{len(self.paths):05d}.partial"
        self.paths.append(path)
        self.sink = pa.OSFile(str(path), "wb")
        self.writer = pq.ParquetWriter(
            self.sink,
            self.schema,
            compression=self.compression,
            use_dictionary=self.dictionary,
            write_statistics=False,
        )
        self.rows_in_shard = 0

    def _close_shard(self) -> None:
        if self.writer is not None:
            self.writer.close()
            self.sink.close()
            self.writer = self.sink = None

    def _room(self) -> int:
        used = self.sink.tell() if self.sink is not None else 0
        return self.limit - used - self.group_overhead - 8192

    def write(self, table: pa.Table, files=None) -> None:
        """Rows to append; `files` (location, size, name) become the image column, read in
        this split's thread while the next batch is built."""
        while len(self.pending) >= 2:
            self.pending.popleft().result()
        self.pending.append(self.encoder.submit(self._write, table, files))

    def _write(self, table: pa.Table, files=None) -> None:
        if files is not None:
            columns = [image_array(files), *table.columns]
            table = pa.Table.from_arrays(columns, schema=self.schema)
        self.nbytes += table.nbytes
        self.count += table.num_rows
        while table.num_rows:
            if self.writer is None:
                self._open()
            room = self._room()
            size = table.nbytes
            if size <= room:
                take = table.num_rows
            else:
                take = self._rows_within(table, room)
                if take == 0:
                    if self.rows_in_shard:
                        self._close_shard()
                        continue
                    take = 1  # a single row larger than a shard gets a shard of its own
            self.writer.write_table(table.slice(0, take), row_group_size=take)
            self.rows_in_shard += take
            table = table.slice(take)
            if table.num_rows:
                self._close_shard()

    @staticmethod
    def _rows_within(table: pa.Table, room: int) -> int:
        low, high = 0, table.num_rows
        while low < high:
            middle = (low + high + 1) // 2
            if table.slice(0, middle).nbytes <= room:
                low = middle
            else:
                high = middle - 1
        return low

    def close(self) -> list[str]:
        try:
            while self.pending:
                self.pending.popleft().result()
        finally:
            self.encoder.shutdown()
        self._close_shard()
        total = len(self.paths)
        names = []
        for number, path in enumerate(self.paths):
            name = f"{self.split}-{number:05d}-of-{total:05d}.parquet"
            os.replace(path, self.folder / name)
            names.append(name)
        return names


class Table:
    """A config: rows batched, typed a column at a time, and written to their split's shards."""

    def __init__(self, folder: Path, schema: pa.Schema, limit: int, batch_bytes: int | None):
        self.folder = folder
        self.schema = with_features(schema)
        self.values = operator.itemgetter(*self.schema.names)
        self.limit = limit
        self.batch_bytes = batch_bytes
        self.splits: dict[str, Shards] = {}
        self.pending: dict[str, list] = {}
        self.pending_bytes: dict[str, int] = {}

    def shards(self, split: str) -> Shards:
        shards = self.splits.get(split)
        if shards is None:
            shards = self.splits[split] = Shards(self.folder, split, self.schema, self.limit)
        return shards

    def add(self, row: dict, size: int = 0) -> pa.Table | None:
        split = row["split"]
        rows = self.pending.setdefault(split, [])
        rows.append(self.values(row))
        self.pending_bytes[split] = self.pending_bytes.get(split, 0) + size
        if len(rows) >= BATCH or (
            self.batch_bytes is not None and self.pending_bytes[split] >= self.batch_bytes
        ):
            return self.flush(split)
        return None

    def flush(self, split: str) -> pa.Table | None:
        rows = self.pending.pop(split, None)
        self.pending_bytes.pop(split, None)
        if not rows:
            return None
        columns = list(zip(*rows))
        files = None
        if self.schema.names[0] == "image":
            files = columns.pop(0)
        fields = self.schema if files is None else list(self.schema)[1:]
        arrays = [column_array(values, f.type) for values, f in zip(columns, fields)]
        table = pa.Table.from_arrays(arrays, schema=pa.schema(fields))
        self.shards(split).write(table, files)
        return table

    def write(self, split: str, table: pa.Table) -> None:
        self.shards(split).write(table)

    def flush_all(self) -> list[pa.Table]:
        return [t for t in (self.flush(s) for s in list(self.pending)) if t is not None]

    def close(self) -> dict[str, list[str]]:
        self.flush_all()
        return {split: shards.close() for split, shards in self.splits.items()}

    def split_sizes(self) -> dict[str, tuple[int, int]]:
        """Per split, in the usual order: (rows, Arrow bytes)."""
        return {
            name: (self.splits[name].count, self.splits[name].nbytes)
            for name in SPLIT_NAMES
            if name in self.splits and self.splits[name].count
        }


def image_array(files: list[tuple[str, int, str]]) -> pa.StructArray:
    """Image's struct of the files (location, size, name): their bytes read straight into one
    buffer that Arrow takes as it is, so each file is copied once on its way in."""
    buffer = bytearray(sum(size for _, size, _ in files))
    view = memoryview(buffer)
    offsets = array("i", [0])
    at = 0
    for location, size, _ in files:
        with open(location, "rb") as handle:
            if handle.readinto(view[at : at + size]) != size or handle.read(1):
                raise OSError(f"{location}: the file changed while it was exported")
        at += size
        offsets.append(at)
    contents = pa.Array.from_buffers(
        pa.binary(), len(files), [None, pa.py_buffer(offsets), pa.py_buffer(buffer)]
    )
    names = pa.array([name for _, _, name in files], type=pa.string())
    return pa.StructArray.from_arrays([contents, names], fields=list(IMAGE_TYPE))


def item_table_schema(item_class) -> pa.Schema:
    return record_schema(item_class).append(SPLIT_FIELD)


class HfExport:
    def __init__(self, out: Path, source, options):
        self.out = out
        self.source = source
        self.options = options
        self.splitter = None  # set by the exporter: challenges and entries follow its splits
        self.embeds = options.images != "none"
        limit = options.shard_mb * MB
        data = out / "data"
        image_schema = IMAGE_SCHEMA
        if self.embeds:
            image_schema = pa.schema([("image", IMAGE_TYPE), *IMAGE_SCHEMA])
        self.tables = {
            "images": Table(
                data / "images", image_schema, limit, IMAGE_BATCH_BYTES if self.embeds else None
            ),
            "comments": Table(data / "comments", COMMENT_SCHEMA, limit, None),
            "challenges": Table(data / "challenges", item_table_schema(ChallengeItem), limit, None),
            "entries": Table(data / "entries", item_table_schema(EntryItem), limit, None),
        }
        self.ids = (out / "ids.txt").open("w", encoding="ascii", newline="\n")
        self.facts = {"vote_counts": {}, "images": 0, "files": {}}
        self.entry_rows = {
            "challenges": RecordRows(ChallengeItem),
            "entries": RecordRows(EntryItem),
        }

    def _split_of(self, challenge_id, image_id) -> str:
        return self.splitter.split(challenge_id, image_id or 0)

    def add_entry(self, entry: dict) -> None:
        row = self.entry_rows["entries"].row(entry)
        row["split"] = self._split_of(entry.get("challenge_id"), entry.get("image_id"))
        self.tables["entries"].add(row)

    def add(self, row: dict, image_file: Path | None) -> None:
        self.ids.write(f"{row['image_id']}\n")
        source = row["vote_counts_source"] or "none"
        per_split = self.facts["vote_counts"].setdefault(row["split"], {})
        per_split[source] = per_split.get(source, 0) + 1
        for stored in row["files"]:
            if stored.get("sha256"):
                kind = stored.get("kind")
                self.facts["files"][kind] = self.facts["files"].get(kind, 0) + 1
        size = 0
        if self.embeds:
            location = os.fspath(image_file)
            size = os.stat(location).st_size
            row["image"] = (location, size, f"{row['image_id']}.jpg")
        batch = self.tables["images"].add(row, size)
        if batch is not None:
            self._comments_of(row["split"], batch)

    def _comments_of(self, split: str, images: pa.Table) -> None:
        comments = comments_table(images.select(IMAGE_SCHEMA.names))
        if comments.num_rows:
            table = self.tables["comments"]
            table.write(split, comments.cast(table.schema))

    def close(self) -> list[str]:
        images = self.tables["images"]
        for split in list(images.pending):
            batch = images.flush(split)
            if batch is not None:
                self._comments_of(split, batch)
        self.ids.close()
        rows = self.entry_rows["challenges"]
        for challenge_id in sorted(self.source.challenges):
            row = rows.row(self.source.challenges[challenge_id])
            row["split"] = self._split_of(challenge_id, None)
            self.tables["challenges"].add(row)
        self.shard_names = {name: table.close() for name, table in self.tables.items()}
        files = ["ids.txt"]
        for name, splits in self.shard_names.items():
            files += [f"data/{name}/{shard}" for shards in splits.values() for shard in shards]
        return files

    def configs(self) -> dict[str, dict]:
        """Each config with rows: its schema, features and (rows, bytes) per split."""
        found = {}
        for name in CONFIGS:
            table = self.tables[name]
            sizes = table.split_sizes()
            if sizes:
                found[name] = {"schema": table.schema, "splits": sizes}
        return found

    def describe(self, manifest: dict) -> list[str]:
        """The dataset card and croissant.json, from the tables written and the manifest."""
        from dpchallenge.dataset.card import write_card
        from dpchallenge.dataset.croissant import write_croissant

        configs = self.configs()
        write_card(self.out, configs, manifest, self.facts)
        write_croissant(self.out, configs, manifest)
        return ["README.md", "croissant.json"]

    def details(self) -> dict:
        return {
            "configs": {
                name: {split: rows for split, (rows, _) in info["splits"].items()}
                for name, info in self.configs().items()
            },
            "images_embedded": self.options.images,
            "shard_mb": self.options.shard_mb,
        }


class RecordRows:
    """challenges.jsonl / entries.jsonl records shaped as the Parquet export's rows."""

    def __init__(self, item_class):
        self.empty = dict.fromkeys(record_schema(item_class).names)
        self.known = self.empty.keys() - {"extra_fields"}

    def row(self, record: dict) -> dict:
        return item_row(record, self.empty, self.known)
