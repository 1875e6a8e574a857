"""The exports on hand-written records: bad input, older and newer records, distributed parts."""

from __future__ import annotations

import json

import pyarrow as pa
import pyarrow.parquet as pq
from test_export import export
from test_report import report

CHALLENGE = {"challenge_id": 7, "status": "finished", "name": "Red Things", "entries": 2}
ENTRY = {"image_id": 70, "challenge_id": 7, "avg_vote": 5.5, "votes": 30, "thumbnail_url": "u"}
OLD_IMAGE = {"image_id": 70, "challenge_id": 7, "mos": 5.6, "mos_source": "site_average"}


def write(path, *records, tail=""):
    text = "".join(
        json.dumps(r, ensure_ascii=False, separators=(", ", ": ")) + "\n" for r in records
    )
    path.write_text(text + tail, encoding="utf-8")


def data_folder(tmp_path, images=(OLD_IMAGE,), tail=""):
    data = tmp_path / "data"
    data.mkdir()
    write(data / "challenges.jsonl", CHALLENGE)
    write(data / "entries.jsonl", ENTRY, {**ENTRY, "image_id": 71, "avg_vote": 4.25})
    write(data / "images.jsonl", *images, tail=tail)
    return data


def one_line_error(done, code):
    assert done.returncode == code, done.stderr
    assert "Traceback" not in done.stderr
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1, done.stderr
    return lines[0]


def test_missing_or_empty_data_folder(tmp_path):
    line = one_line_error(export(tmp_path / "nowhere", "parquet", "--out", tmp_path / "o"), 1)
    assert "nowhere" in line
    (tmp_path / "empty").mkdir()
    line = one_line_error(export(tmp_path / "empty", "ava", "--out", tmp_path / "o"), 1)
    assert "empty" in line and "entries.jsonl" in line
    assert not (tmp_path / "o").exists()


def test_unknown_format_and_bad_options(tmp_path):
    data = data_folder(tmp_path)
    assert "csv" in one_line_error(export(data, "csv", "--out", tmp_path / "o"), 2)
    assert "--bogus" in one_line_error(export(data, "ava", "--out", tmp_path / "o", "--bogus"), 2)
    assert "--splits" in one_line_error(
        export(data, "ava", "--out", tmp_path / "o", "--splits", "0.9,0.5"), 2
    )
    assert "--files" in one_line_error(
        export(data, "webdataset", "--out", tmp_path / "o", "--files", "x"), 2
    )
    assert "--out" in one_line_error(export(data, "ava"), 2)


def test_a_torn_line_is_named_counted_and_fails_the_export(tmp_path):
    data = data_folder(tmp_path, tail='{"image_id": 71, "challenge_id": 7, "mos": ')
    out = tmp_path / "o"
    done = export(data, "parquet", "--out", out)
    assert done.returncode == 1 and "Traceback" not in done.stderr
    assert f"{data / 'images.jsonl'}:2: not a whole image_id record" in done.stderr
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["bad_lines"] == {"torn_lines": 1}
    # the entry still gives its row, from the results page
    rows = pq.read_table(out / "images.parquet").to_pylist()
    assert [(r["image_id"], r["mos_source"]) for r in rows] == [
        (70, "site_average"),
        (71, "results_average"),
    ]


def test_a_malformed_ava_txt_line_is_named(tmp_path):
    data = data_folder(tmp_path)
    ava = tmp_path / "AVA.txt"
    ava.write_text("1 70 0 0 0 1 2 3 2 1 0 0 1 0 7\n2 71 0 0 0 1 2 3 2 1 0 0 1 7\n")
    line = one_line_error(export(data, "ava", "--out", tmp_path / "o", "--ava-txt", ava), 1)
    assert f"{ava}:2:" in line


def test_older_records_get_typed_nulls_and_unknown_fields_are_kept(tmp_path):
    newer = {**OLD_IMAGE, "image_id": 71, "aperture_f": 2.8, "iso_value": 400, "shutter_s": 0.004}
    newer.update(camera_make="Nikon", flags=["odd"], extra_info={"Location": "Kyoto"})
    data = data_folder(tmp_path, images=(OLD_IMAGE, newer))
    out = tmp_path / "o"
    assert export(data, "parquet", "--out", out).returncode == 0
    table = pq.read_table(out / "images.parquet")
    assert table.schema.field("aperture_f").type == pa.float64()
    assert table.schema.field("iso_value").type == pa.int64()
    old, new = table.to_pylist()
    assert old["aperture_f"] is None and old["camera_make"] is None and old["extra_fields"] is None
    assert (new["aperture_f"], new["iso_value"], new["shutter_s"]) == (2.8, 400, 0.004)
    assert new["camera_make"] == "Nikon" and json.loads(new["extra_fields"]) == {"flags": ["odd"]}
    assert json.loads(new["extra_info"]) == {"Location": "Kyoto"}


def test_distributed_parts_newest_line_per_id_wins(tmp_path):
    stale = {**OLD_IMAGE, "mos": 1.0, "crawled_at": "2026-01-01T00:00:00+00:00"}
    data = data_folder(tmp_path, images=({**OLD_IMAGE, "crawled_at": "2026-02-01T00:00:00+00:00"},))
    write(data / "images.w1.jsonl", stale, {**OLD_IMAGE, "image_id": 71, "mos": 4.0})
    out = tmp_path / "o"
    assert export(data, "parquet", "--out", out).returncode == 0
    rows = {r["image_id"]: r for r in pq.read_table(out / "images.parquet").to_pylist()}
    assert rows[70]["mos"] == 5.6 and rows[71]["mos"] == 4.0
    manifest = json.loads((out / "manifest.json").read_text())
    assert str(data / "images.w1.jsonl") in manifest["source"]["files"]


def test_an_earlier_export_is_replaced_but_a_foreign_folder_is_refused(tmp_path):
    data = data_folder(tmp_path)
    out = tmp_path / "o"
    assert export(data, "imagefolder", "--out", out, "--files", "thumb").returncode == 0
    assert export(data, "parquet", "--out", out).returncode == 0
    assert sorted(p.name for p in out.iterdir())[0] == "challenges.parquet"
    foreign = tmp_path / "mine"
    foreign.mkdir()
    (foreign / "notes.txt").write_text("keep")
    assert "manifest.json" in one_line_error(export(data, "ava", "--out", foreign), 2)
    assert "index.html" in one_line_error(report(data, "--out", foreign), 2)
    assert [p.name for p in foreign.iterdir()] == ["notes.txt"]
    assert (foreign / "notes.txt").read_text() == "keep"


def test_values_of_another_type_become_null_even_inside_comments_and_counts(tmp_path):
    comment = {"comment_id": 5, "author_id": "seven", "author_name": "Ann", "text": "Nice"}
    stray = {
        **OLD_IMAGE,
        "votes": "30",
        "place": 2**40,
        "disqualified": 0,
        "title": 12,
        "taken_on": "2010-02-30",
        "uploaded_on": "2010-02-03",
        "vote_counts": [1, 2, "3", 4, 5, 6, 7, 8, 9, 10],
        "comments": [comment, {**comment, "comment_id": 6, "author_id": 9}],
    }
    data = data_folder(tmp_path, images=(stray,))
    write(data / "entries.jsonl", {**ENTRY, "votes": 2.5, "place": "first"})
    out = tmp_path / "o"
    done = export(data, "parquet", "--out", out)
    assert done.returncode == 0, done.stderr
    row = pq.read_table(out / "images.parquet").to_pylist()[0]
    assert (row["votes"], row["place"], row["disqualified"]) == (None, None, None)
    assert row["title"] == "12" and row["mos"] == 5.6
    assert (row["taken_on"], str(row["uploaded_on"])) == (None, "2010-02-03")
    assert row["vote_counts"] == [1, 2, None, 4, 5, 6, 7, 8, 9, 10]
    comments = pq.read_table(out / "comments.parquet").to_pylist()
    assert [(c["comment_id"], c["author_id"], c["text"]) for c in comments] == [
        (5, None, "Nice"),
        (6, 9, "Nice"),
    ]
    (entry,) = pq.read_table(out / "entries.parquet").to_pylist()
    assert (entry["votes"], entry["place"], entry["avg_vote"]) == (None, None, 5.5)


def test_a_full_disk_while_writing_parquet_fails_in_one_line_and_keeps_the_last_export(tmp_path):
    images = [
        {**OLD_IMAGE, "image_id": n, "title": f"title {n * 7919 % 10007}", "comments": []}
        for n in range(100, 4100)
    ]
    data = data_folder(tmp_path, images=images)
    out = tmp_path / "o"
    assert export(data, "ava", "--out", out).returncode == 0
    before = sorted(p.name for p in out.iterdir())
    # the kernel refuses to grow any file past 20 KB (EFBIG), Arrow's own writes included
    done = export(data, "parquet", "--out", out, limit_file_size=20_000)
    line = one_line_error(done, 1)
    assert "File too large" in line, line
    assert sorted(p.name for p in out.iterdir()) == before
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".o")]


def test_full_size_files_stored_from_results_rows_reach_the_image_formats(tmp_path):
    data = data_folder(tmp_path, images=())
    (data / "images.jsonl").unlink()
    store = data / "images"
    (store / "full").mkdir(parents=True)
    (store / "full" / "70.jpg").write_bytes(b"\xff\xd8 a jpeg")
    write(
        data / "entries.jsonl",
        {**ENTRY, "image_url": "https://x/70.jpg", "image_path": "full/70.jpg"},
        {**ENTRY, "image_id": 71, "avg_vote": None, "votes": None},
    )
    out = tmp_path / "o"
    done = export(data, "imagefolder", "--out", out, "--splits", "1")
    assert done.returncode == 0, done.stderr
    (row,) = [json.loads(x) for x in (out / "train" / "metadata.jsonl").read_text().splitlines()]
    assert row["file_name"] == "70.jpg" and row["has_image_page"] is False
    assert {"kind": "full", "path": "full/70.jpg"}.items() <= row["files"][0].items()
    assert (out / "train" / "70.jpg").read_bytes() == b"\xff\xd8 a jpeg"
    ava = tmp_path / "ava"
    write(data / "entries.jsonl", {**ENTRY, "votes": None})
    assert export(data, "ava", "--out", ava).returncode == 0
    assert (ava / "mos.txt").read_text() == "70 7 5.5000 NA\n"
