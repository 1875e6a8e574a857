"""The data dictionary, docs/fields.md: an entry for every field, and the file up to date."""

from __future__ import annotations

import json
import re
from dataclasses import fields

import pytest
from crawling import ROOT

from dpchallenge.data.ledger import FailedLedger
from dpchallenge.dataset import dictionary
from dpchallenge.dataset.ava import AvaWriter
from dpchallenge.dataset.dictionary import BEGIN, END, generate, main, missing
from dpchallenge.dataset.schema import COMMENT_COLUMNS, IMAGE_COLUMNS
from dpchallenge.items import ChallengeItem, Comment, EntryItem, ImageItem

DOC = ROOT / "docs" / "fields.md"
UNESCAPED_PIPE = re.compile(r"(?<!\\)\|")


def test_every_field_and_column_has_meaning_origin_and_null_when():
    assert missing() == []


ENTRIES = [
    (dictionary.CHALLENGE, "extra_rules"),
    (dictionary.ENTRY, "thumbnail_error"),
    (dictionary.IMAGE, "votes"),
    (dictionary.COMMENT, "helpful"),
    (dictionary.FILE, "sha256"),
    (dictionary.EXPORT, "mos_source"),
    (dictionary.COMMENT_EXPORT, "mos"),
    (dictionary.METADATA_EXTRA, "file_name"),
]


@pytest.mark.parametrize(("table", "name"), ENTRIES)
def test_a_field_without_an_entry_is_named(monkeypatch, table, name):
    monkeypatch.delitem(table, name)
    assert [problem for problem in missing() if problem.endswith(f".{name}: no entry")]


@pytest.mark.parametrize(("table", "name"), [*ENTRIES, (dictionary.FAILED, "reason")])
def test_an_entry_with_an_empty_part_is_named(monkeypatch, table, name):
    monkeypatch.setitem(table, name, (*table[name][:-1], " "))
    assert [problem for problem in missing() if f".{name}: an empty part" in problem]


def test_an_entry_for_a_field_that_is_gone_is_named(monkeypatch):
    monkeypatch.setitem(dictionary.ENTRY, "no_such_field", ("a", "b", "c"))
    assert missing() == ["EntryItem.no_such_field: documented, but no such field"]


def test_docs_fields_md_is_up_to_date():
    doc = DOC.read_text(encoding="utf-8")
    assert doc[doc.index(BEGIN) :] == generate(), "run python -m dpchallenge.dataset.dictionary"
    assert doc.endswith(END + "\n")


def test_every_field_of_every_item_and_column_is_in_the_doc():
    doc = generate()
    for item in (ChallengeItem, EntryItem, ImageItem, Comment):
        for f in fields(item):
            assert f"| `{f.name}` |" in doc, f"{item.__name__}.{f.name}"
    for name, _, _ in IMAGE_COLUMNS + COMMENT_COLUMNS:
        assert f"| `{name}` |" in doc, name


def test_every_table_row_has_five_cells():
    for line in generate().splitlines():
        if line.startswith("|"):
            assert len(UNESCAPED_PIPE.findall(line)) == 6, line


def test_failed_jsonl_lines_have_exactly_the_documented_keys(tmp_path):
    ledger = FailedLedger(tmp_path / "failed.jsonl")
    ledger.failed("image", 921974, "https://www.dpchallenge.com/image.php?IMAGE_ID=921974", "ban")
    ledger.succeeded("image", 921974)
    failure, resolved = (json.loads(line) for line in (tmp_path / "failed.jsonl").open())
    assert set(failure) | set(resolved) == set(dictionary.FAILED)


def test_the_ava_files_have_as_many_columns_as_documented(tmp_path):
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
        ("AVA.txt", dictionary.AVA_TXT),
        ("challenges.txt", dictionary.CHALLENGES_TXT),
        ("mos.txt", dictionary.MOS_TXT),
    ):
        line = (tmp_path / name).read_text().splitlines()[0]
        assert len(line.split(" ")) == len(columns), name


def test_the_command_writes_the_file_keeping_its_intro_and_check_says_when_stale(tmp_path, capsys):
    path = tmp_path / "fields.md"
    path.write_text(f"# Intro\n\nhand-written\n\n{BEGIN}\nold\n{END}\n", encoding="utf-8")
    assert main(["--check", str(path)]) == 1
    assert "out of date" in capsys.readouterr().err
    assert main([str(path)]) == 0
    assert path.read_text(encoding="utf-8") == "# Intro\n\nhand-written\n\n" + generate()
    assert main(["--check", str(path)]) == 0


def test_the_command_refuses_to_write_a_dictionary_with_holes(tmp_path, monkeypatch, capsys):
    monkeypatch.delitem(dictionary.CHALLENGE, "extra_rules")
    path = tmp_path / "fields.md"
    assert main([str(path)]) == 1
    assert "ChallengeItem.extra_rules: no entry" in capsys.readouterr().err
    assert not path.exists()
