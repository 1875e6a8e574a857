"""The data dictionary, docs/fields.md, edited by hand: checked here against the code's fields."""

from __future__ import annotations

import json
import re
from dataclasses import fields
from types import SimpleNamespace

import pyarrow as pa
import pytest
from crawling import ROOT

from dpchallenge.data.ledger import FAILED_KEYS, INVALID_KEYS, FailedLedger
from dpchallenge.dataset import card, croissant, dictionary
from dpchallenge.dataset.ava import AvaWriter
from dpchallenge.dataset.dictionary import arrow_name, read_dictionary
from dpchallenge.dataset.hf import HfExport, item_table_schema
from dpchallenge.dataset.schema import (
    AVA_TXT_COLUMNS,
    CHALLENGES_TXT_COLUMNS,
    COMMENT_COLUMNS,
    COMMENT_SCHEMA,
    FILE_TYPE,
    IMAGE_COLUMNS,
    IMAGE_SCHEMA,
    MOS_TXT_COLUMNS,
    PYIQA_AVA_COLUMNS,
    PYIQA_DPC_COLUMNS,
    RECONCILE_COLUMNS,
    record_schema,
)
from dpchallenge.dataset.source import DataError
from dpchallenge.dataset.writers import METADATA_SCHEMA
from dpchallenge.items import ChallengeItem, Comment, EntryItem, ImageItem

DOC = ROOT / "docs" / "fields.md"
IMAGES = "images.parquet, imagefolder metadata.jsonl, webdataset .json"
HF = "export hf: data/<config>/*.parquet"
# the JSON Lines files' nested objects hold JSON numbers, whatever the Arrow width
JSON_NAMES = {pa.string(): "str", pa.int32(): "int", pa.int64(): "int", pa.bool_(): "bool"}
PARSE = {"int": int, "float": float, "str": str}


def arrow_types(columns) -> dict[str, str]:
    return {name: arrow_name(kind) for name, kind in columns}


def positional(columns) -> dict[str, str]:
    return {f"{n}: {name}": kind for n, (name, kind) in enumerate(columns, start=1)}


def hf_added(tmp_path) -> dict[str, str]:
    """The columns of export hf's configs that the other exports' tables lack."""
    export = HfExport(tmp_path, None, SimpleNamespace(images="thumb", shard_mb=1))
    export.ids.close()
    base = {
        "images": IMAGE_SCHEMA,
        "comments": COMMENT_SCHEMA,
        "challenges": record_schema(ChallengeItem),
        "entries": record_schema(EntryItem),
    }
    return {
        f.name: arrow_name(f.type)
        for name, table in export.tables.items()
        for f in table.schema
        if f.name not in base[name].names
    }


def code_types(tmp_path) -> dict[str, dict[str, str]]:
    """{section of fields.md: {field: type}}: every field and column, typed as the code types it."""
    sections = {
        f"{file}.jsonl": {f.name: str(f.type) for f in fields(item)}
        for file, item in (
            ("challenges", ChallengeItem),
            ("entries", EntryItem),
            ("images", ImageItem),
        )
    }
    sections["images.jsonl `comments[]`"] = {f.name: str(f.type) for f in fields(Comment)}
    sections["images.jsonl `files[]`"] = {f.name: JSON_NAMES[f.type] for f in FILE_TYPE}
    sections["failed.jsonl"] = FAILED_KEYS
    sections["invalid.jsonl"] = INVALID_KEYS
    sections[IMAGES] = arrow_types(IMAGE_COLUMNS)
    sections["imagefolder metadata.jsonl: the added column"] = {
        f.name: arrow_name(f.type) for f in METADATA_SCHEMA if f.name not in IMAGE_SCHEMA.names
    }
    sections["comments.parquet"] = arrow_types(COMMENT_COLUMNS)
    for file, item in (("challenges", ChallengeItem), ("entries", EntryItem)):
        sections[f"{file}.parquet"] = {f.name: arrow_name(f.type) for f in record_schema(item)}
    sections["AVA.txt"] = positional(AVA_TXT_COLUMNS)
    sections["challenges.txt"] = positional(CHALLENGES_TXT_COLUMNS)
    sections["mos.txt"] = positional(MOS_TXT_COLUMNS)
    sections["reconcile.csv"] = positional(RECONCILE_COLUMNS)
    sections["meta_info/meta_info_AVADataset.csv"] = positional(PYIQA_AVA_COLUMNS)
    sections["meta_info/meta_info_DPCDataset.csv"] = positional(PYIQA_DPC_COLUMNS)
    sections[HF] = hf_added(tmp_path)
    return sections


def problems(doc, tmp_path) -> list[str]:
    """Each field without a row, row with another type than the code's, row of a field that is
    gone, and empty cell."""
    documented = read_dictionary(doc)
    found = []
    expected = code_types(tmp_path)
    for section, types in expected.items():
        rows = documented.get(section, {})
        for name, kind in types.items():
            row = rows.get(name)
            if row is None:
                found.append(f"{section}: {name}: no row")
            elif row.type != kind:
                found.append(f"{section}: {name}: type {row.type}, the code's {kind}")
        found += [f"{section}: {name}: no such field" for name in rows.keys() - types.keys()]
    found += [f"{section}: a table of no known file" for section in documented.keys() - expected]
    for section, rows in documented.items():
        for name, row in rows.items():
            if not name or not all(part.strip() for part in row):
                found.append(f"{section}: {name}: an empty cell")
    return found


def test_every_field_and_column_has_its_row_with_the_code_s_type(tmp_path):
    assert problems(DOC, tmp_path) == []


def edited(tmp_path, section: str, name: str, change) -> object:
    """A copy of fields.md with the row of `name` in `section` changed (None: deleted)."""
    lines = DOC.read_text(encoding="utf-8").splitlines(keepends=True)
    start = lines.index(f"## {section}\n")
    at = next(n for n in range(start, len(lines)) if lines[n].startswith(f"| `{name}` |"))
    replaced = change(lines[at])
    lines[at : at + 1] = [] if replaced is None else [replaced]
    copy = tmp_path / "fields.md"
    copy.write_text("".join(lines), encoding="utf-8")
    return copy


ROWS = [
    ("challenges.jsonl", "extra_rules"),
    ("entries.jsonl", "thumbnail_error"),
    ("images.jsonl", "votes"),
    ("images.jsonl `comments[]`", "helpful"),
    ("images.jsonl `files[]`", "sha256"),
    ("failed.jsonl", "reason"),
    ("invalid.jsonl", "url"),
    (IMAGES, "mos_source"),
    ("imagefolder metadata.jsonl: the added column", "file_name"),
    ("comments.parquet", "mos"),
    ("challenges.parquet", "extra_fields"),
    ("entries.parquet", "place"),
    ("AVA.txt", "15: challenge_id"),
    ("mos.txt", "3: mos"),
    ("reconcile.csv", "7: counts_equal"),
    ("meta_info/meta_info_AVADataset.csv", "2: MOS"),
    ("meta_info/meta_info_DPCDataset.csv", "5: split"),
    (HF, "split"),
]


@pytest.mark.parametrize(("section", "name"), ROWS)
def test_a_field_without_a_row_is_named(tmp_path, section, name):
    copy = edited(tmp_path, section, name, lambda line: None)
    assert problems(copy, tmp_path) == [f"{section}: {name}: no row"]


@pytest.mark.parametrize(("section", "name"), ROWS)
def test_a_row_with_another_type_is_named(tmp_path, section, name):
    kind = read_dictionary(DOC)[section][name].type
    copy = edited(tmp_path, section, name, lambda line: line.replace(" | `", " | `x", 1))
    assert problems(copy, tmp_path) == [f"{section}: {name}: type x{kind}, the code's {kind}"]


@pytest.mark.parametrize(("section", "name"), ROWS)
def test_a_row_with_an_empty_cell_is_named(tmp_path, section, name):
    copy = edited(tmp_path, section, name, lambda line: line[: line.rindex(" | ")] + " |  |\n")
    assert problems(copy, tmp_path) == [f"{section}: {name}: an empty cell"]


def test_a_row_for_a_field_that_is_gone_is_named(tmp_path):
    def add(line):
        return line + "| `no_such_field` | `int` | a | b | c |\n"

    copy = edited(tmp_path, "entries.jsonl", "image_id", add)
    assert problems(copy, tmp_path) == ["entries.jsonl: no_such_field: no such field"]


def test_a_row_that_is_not_five_cells_is_refused_naming_its_line(tmp_path):
    copy = edited(tmp_path, "entries.jsonl", "title", lambda line: line.replace(" | ", " \\| ", 1))
    lines = copy.read_text(encoding="utf-8").splitlines()
    number = 1 + next(n for n, line in enumerate(lines) if line.startswith("| `title` \\|"))
    with pytest.raises(DataError, match=re.escape(f"fields.md:{number}: a table row of 4")):
        read_dictionary(copy)


def test_a_cell_keeps_its_escaped_pipes():
    assert read_dictionary(DOC)["challenges.jsonl"]["kind"].meaning == (
        "member | open | speed | invitational"
    )


def test_the_card_and_croissant_describe_the_columns_from_the_dictionary():
    documented = read_dictionary(DOC)
    meanings = card.field_meanings("challenges")
    assert meanings["extra_rules"] == documented["challenges.parquet"]["extra_rules"].meaning
    assert meanings["split"] == documented[HF]["split"].meaning
    assert card.field_meanings("images")["split"] == documented[IMAGES]["split"].meaning
    described = croissant.record_set("comments", COMMENT_SCHEMA)["field"]
    assert described[0]["description"] == documented["comments.parquet"]["image_id"].meaning


def test_without_the_docs_folder_the_card_points_to_the_project_s_fields_md(tmp_path, monkeypatch):
    monkeypatch.setattr(dictionary, "DOC_PATH", tmp_path / "no" / "fields.md")
    assert card.field_meanings("images") is None
    configs = {
        "challenges": {"splits": {"train": (1, 100)}, "schema": item_table_schema(ChallengeItem)}
    }
    manifest = {
        "source": {},
        "counts": {"images": 0, "comments": 0},
        "options": {"splits": "0.8,0.1,0.1", "seed": 0},
        "created_at": "2026-12-06T00:00:00+00:00",
        "project_version": "0",
    }
    text = card.body(configs, manifest, {"vote_counts": {}, "files": {}})
    assert "docs/fields.md in the crawler's source" in text
    assert "| `extra_rules` | string |\n" in text
    described = croissant.record_set("challenges", item_table_schema(ChallengeItem))["field"]
    assert described[0]["description"] == "challenge_id"


def test_failed_jsonl_lines_have_the_keys_and_types_the_dictionary_checks(tmp_path):
    ledger = FailedLedger(tmp_path / "failed.jsonl")
    ledger.failed("history", None, None, "HTTP 503")
    ledger.failed("image", 921974, "https://www.dpchallenge.com/image.php?IMAGE_ID=921974", "ban")
    ledger.succeeded("image", 921974)
    lines = [json.loads(line) for line in (tmp_path / "failed.jsonl").open()]
    assert set().union(*lines) == set(FAILED_KEYS)
    for line in lines:
        for key, value in line.items():
            kind = "None" if value is None else type(value).__name__
            assert kind in FAILED_KEYS[key].split(" | "), key


def test_the_ava_files_hold_the_columns_the_dictionary_checks(tmp_path):
    writer = AvaWriter(tmp_path, {1303: {"status": "finished", "name": "Posthumous Ribbon"}})
    writer.add(
        {
            "image_id": 921974,
            "challenge_id": 1303,
            "vote_counts": list(range(1, 11)),
            "ava_tag1": 15,
            "ava_tag2": None,
            "mos": 6.152,
            "votes": 171,
        }
    )
    writer.close()
    for name, columns in (
        ("AVA.txt", AVA_TXT_COLUMNS),
        ("challenges.txt", CHALLENGES_TXT_COLUMNS),
        ("mos.txt", MOS_TXT_COLUMNS),
    ):
        values = (tmp_path / name).read_text().splitlines()[0].split(" ")
        assert len(values) == len(columns), name
        for value, (column, kind) in zip(values, columns):
            try:
                PARSE[kind](value)
            except ValueError:
                pytest.fail(f"{name} {column}: {value!r} is not {kind}")
