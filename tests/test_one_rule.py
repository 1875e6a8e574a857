"""Which line of an id wins: one rule (newest crawled_at, then the later line) for every reader."""

from __future__ import annotations

import json

from dpchallenge.data.merge import merge_parts
from dpchallenge.data.records import JsonLinesStore, read_dataset
from dpchallenge.data.worklist import done_images, results_rows
from dpchallenge.dataset.source import Source

NEWER = "2026-03-02T10:00:00+00:00"
OLDER = "2026-03-01T10:00:00+00:00"


def image(title, crawled_at, stored):
    thumb = {"kind": "thumb", "url": "http://x/t/5.jpg", "path": None, "error": "HTTP 503"}
    if stored:
        thumb.update(path="thumbs/5.jpg", error=None)
    return {
        "image_id": 5,
        "title": title,
        "thumbnail_url": "http://x/t/5.jpg",
        "files": [thumb],
        "crawled_at": crawled_at,
    }


def entry(vote, crawled_at):
    return {
        "image_id": 5,
        "challenge_id": 1,
        "place": 1,
        "avg_vote": vote,
        "crawled_at": crawled_at,
    }


def write_lines(path, records):
    path.write_text("".join(json.dumps(r) + "\n" for r in records))


def answers(data_dir, images_dir):
    """What the done check, the results rows, the dataset reader and the export's source say."""
    source = Source(data_dir)
    try:
        exported = (source.images.get(5)["title"], source.entries.get(5)["avg_vote"])
    finally:
        source.close()
    return {
        "done": done_images(data_dir, {"thumb"}, images_dir),
        "vote": results_rows(data_dir)[5][1],
        "read": [r["title"] for r in read_dataset(data_dir, "images.jsonl", "image_id")],
        "exported": exported,
    }


def test_two_parts_disagree_the_done_check_the_merge_and_the_export_agree(tmp_path):
    data_dir, images_dir = tmp_path / "data", tmp_path / "data" / "images"
    (images_dir / "thumbs").mkdir(parents=True)
    (images_dir / "thumbs" / "5.jpg").write_bytes(b"jpeg")
    # worker a's part holds the newer record; worker b's, read later by name, the older one
    write_lines(data_dir / "images.a.jsonl", [image("newer", NEWER, stored=True)])
    write_lines(data_dir / "images.b.jsonl", [image("older", OLDER, stored=False)])
    write_lines(data_dir / "entries.a.jsonl", [entry(6.5, NEWER)])
    write_lines(data_dir / "entries.b.jsonl", [entry(4.0, OLDER)])
    expected = {"done": {5}, "vote": 6.5, "read": ["newer"], "exported": ("newer", 6.5)}
    assert answers(data_dir, images_dir) == expected
    merge_parts(data_dir)
    assert not list(data_dir.glob("images.*.jsonl"))
    assert answers(data_dir, images_dir) == expected


def test_a_tie_or_no_crawled_at_goes_to_the_later_line_and_no_stamp_is_older(tmp_path):
    data_dir = tmp_path / "data"
    data_dir.mkdir()
    write_lines(data_dir / "images.a.jsonl", [image("first", OLDER, stored=True)])
    write_lines(data_dir / "images.b.jsonl", [image("later", OLDER, stored=True)])
    assert [r["title"] for r in read_dataset(data_dir, "images.jsonl", "image_id")] == ["later"]
    write_lines(data_dir / "images.c.jsonl", [image("unstamped", None, stored=True)])
    assert [r["title"] for r in read_dataset(data_dir, "images.jsonl", "image_id")] == ["later"]


def test_in_one_file_an_older_line_written_later_loses_everywhere(tmp_path):
    data_dir, images_dir = tmp_path / "data", tmp_path / "data" / "images"
    (images_dir / "thumbs").mkdir(parents=True)
    (images_dir / "thumbs" / "5.jpg").write_bytes(b"jpeg")
    path = data_dir / "images.jsonl"
    write_lines(path, [image("newer", NEWER, stored=True), image("older", OLDER, stored=False)])
    write_lines(data_dir / "entries.jsonl", [entry(6.5, NEWER), entry(4.0, OLDER)])
    expected = {"done": {5}, "vote": 6.5, "read": ["newer"], "exported": ("newer", 6.5)}
    assert answers(data_dir, images_dir) == expected
    store = JsonLinesStore(path, "image_id")  # a run's open compacts the file to one line per id
    store.open()
    store.close()
    assert [json.loads(line)["title"] for line in path.read_text().splitlines()] == ["newer"]
