"""The JSON Lines store: whole lines, one per id, torn tails repaired."""

from __future__ import annotations

import json

from dpchallenge.data.records import JsonLinesStore, read_ids, read_records


def lines(path):
    return path.read_bytes().decode("utf-8").splitlines()


def test_records_are_written_one_whole_line_each_with_the_key_first(tmp_path):
    store = JsonLinesStore(tmp_path / "images.jsonl", "image_id")
    store.open()
    store.write({"title": "A – b", "image_id": 7})
    store.write({"image_id": 8, "title": "ü"})
    store.close()
    written = lines(tmp_path / "images.jsonl")
    assert [json.loads(line) for line in written] == [
        {"image_id": 7, "title": "A – b"},
        {"image_id": 8, "title": "ü"},
    ]
    assert written[0].startswith('{"image_id": 7, ')


def test_a_rerun_replaces_a_record_instead_of_adding_a_second(tmp_path):
    path = tmp_path / "images.jsonl"
    for title in ("old", "new"):
        store = JsonLinesStore(path, "image_id")
        store.open()
        store.write({"image_id": 1, "title": title})
        store.write({"image_id": 2, "title": "other"})
        store.close()
    records = list(read_records(path, "image_id"))
    assert sorted((r["image_id"], r["title"]) for r in records) == [(1, "new"), (2, "other")]
    assert len(lines(path)) == 2


def test_a_torn_last_line_is_dropped_on_open_and_the_rest_kept(tmp_path):
    path = tmp_path / "images.jsonl"
    path.write_bytes(b'{"image_id": 1, "a": 1}\n{"image_id": 2, "a": 2}\n{"image_id": 3, "a"')
    assert read_ids(path, "image_id") == {1, 2}
    store = JsonLinesStore(path, "image_id")
    store.open()
    assert store.repaired_lines == 1
    store.write({"image_id": 3, "a": 3})
    store.close()
    assert [json.loads(line)["image_id"] for line in lines(path)] == [1, 2, 3]


def test_garbage_in_the_middle_is_dropped_too(tmp_path):
    path = tmp_path / "c.jsonl"
    path.write_bytes(b'{"challenge_id": 1}\n\x00\x00\x00\n{"challenge_id": 2}\n')
    store = JsonLinesStore(path, "challenge_id")
    store.open()
    store.close()
    assert lines(path) == ['{"challenge_id": 1}', '{"challenge_id": 2}']


def test_an_untouched_file_is_not_rewritten(tmp_path):
    path = tmp_path / "c.jsonl"
    path.write_bytes(b'{"challenge_id": 1}\n')
    before = path.stat().st_ino
    store = JsonLinesStore(path, "challenge_id")
    store.open()
    store.close()
    assert path.stat().st_ino == before


def test_record_facts_are_cached_for_the_verified_lines_and_only_new_lines_are_decoded(
    tmp_path, monkeypatch
):
    from dpchallenge.data import facts as facts_module
    from dpchallenge.data.facts import file_facts

    path = tmp_path / "images.jsonl"
    store = JsonLinesStore(path, "image_id")
    store.open()
    for image_id in (1, 2):
        store.write({"image_id": image_id, "title": f"t{image_id}"})
    store.close()

    def title(record):
        return (record["title"],)

    assert file_facts(path, "image_id", "v", title)[0] == {1: ("t1",), 2: ("t2",)}
    assert (tmp_path / ".images.jsonl.v.facts").exists()
    decoded = []
    real_loads = facts_module.json.loads
    monkeypatch.setattr(
        facts_module.json, "loads", lambda line: decoded.append(line) or real_loads(line)
    )
    with path.open("ab") as handle:  # a later run's appends, then a crash mid-line
        handle.write(b'{"image_id": 3, "title": "t3"}\n{"image_id": 4, "tit')
    assert file_facts(path, "image_id", "v", title)[0] == {1: ("t1",), 2: ("t2",), 3: ("t3",)}
    records_decoded = {bytes(line)[:15] for line in decoded if isinstance(line, bytes)}
    assert records_decoded == {b'{"image_id": 3,'}, "only the appended whole line is decoded"
    path.write_bytes(b'{"image_id": 9, "title": "t9"}\n')  # replaced (a compaction, a merge)
    assert file_facts(path, "image_id", "v", title)[0] == {9: ("t9",)}
    assert file_facts(path, "image_id", "other version", title)[0] == {9: ("t9",)}


def test_the_done_list_is_kept_while_the_records_and_the_store_s_folders_stay_as_they_were(
    tmp_path, monkeypatch
):
    from dpchallenge.data import worklist
    from dpchallenge.data.worklist import done_images

    store_dir = tmp_path / "images"
    (store_dir / "thumbs").mkdir(parents=True)
    path = tmp_path / "images.jsonl"
    store = JsonLinesStore(path, "image_id")
    store.open()
    for image_id in (1, 2, 3):
        (store_dir / "thumbs" / f"{image_id}.jpg").write_bytes(b"jpeg")
        thumb = {"kind": "thumb", "path": f"thumbs/{image_id}.jpg"}
        store.write({"image_id": image_id, "thumbnail_url": "u", "files": [thumb]})
    store.close()
    assert done_images(tmp_path, {"thumb"}, store_dir) == {1, 2, 3}

    worked_out = []
    real_facts = worklist.dataset_facts
    monkeypatch.setattr(
        worklist, "dataset_facts", lambda *a: worked_out.append(a) or real_facts(*a)
    )
    assert done_images(tmp_path, {"thumb"}, store_dir) == {1, 2, 3}
    assert worked_out == [], "the second start reads no record"
    assert done_images(tmp_path, {"thumb", "full"}, store_dir) == {1, 2, 3}
    assert len(worked_out) == 1, "other kinds: another answer"

    (store_dir / "thumbs" / "2.jpg").unlink()  # a file gone from the store
    assert done_images(tmp_path, {"thumb"}, store_dir) == {1, 3}
    with path.open("ab") as handle:  # appended by a crashed run: not verified
        handle.write(b'{"image_id": 4, "thumbnail_url": null, "files": []}\n')
    assert done_images(tmp_path, {"thumb"}, store_dir) == {1, 3, 4}
    assert done_images(tmp_path, {"thumb"}, store_dir) == {1, 3, 4}
    assert len(worked_out) == 4, "unverified lines are read every time"


def test_an_image_s_files_at_their_stored_paths_are_kept_as_one_small_int():
    from dpchallenge.data.worklist import expand_files, image_facts

    record = {
        "image_id": 7,
        "thumbnail_url": "t",
        "image_url": "f",
        "files": [{"kind": "thumb", "path": "thumbs/7.jpg"}],
    }
    facts = image_facts(record)
    assert isinstance(facts, int)
    assert expand_files(7, facts) == (("thumbs/7.jpg",), ("",))
    assert expand_files(7, image_facts({**record, "image_url": None})) == (("thumbs/7.jpg",), None)
    elsewhere = {**record, "files": [{"kind": "thumb", "path": "old/7.jpg"}]}
    assert image_facts(elsewhere) == (("old/7.jpg",), ("",))
