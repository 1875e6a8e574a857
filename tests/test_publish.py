"""pyiqa and Hugging Face exports, and galleries in every export, on hand-written crawls."""

from __future__ import annotations

import hashlib
import json
import os
import tarfile

import pandas as pd
import pyarrow.parquet as pq
import pytest
import yaml
from PIL import Image
from test_export import export, hf_env
from test_export_input import one_line_error, write

from dpchallenge.replica.jpeg import thumb_jpeg

GALLERIES = [
    [{"gallery_id": 3, "name": "Landscape"}, {"gallery_id": 9, "name": "Black & White"}],
    [{"gallery_id": 4, "name": "Macro"}, {"gallery_id": 77, "name": "Hobbies"}],
    [],
    None,
]
TAGS_TXT = "1 Abstract\n14 Landscape\n19 Black and White\n20 Macro\n"
COUNTS = [1, 2, 3, 4, 6, 8, 6, 4, 2, 1]


def jpeg(image_id: int, kind: str) -> bytes:
    """Real JPEG bytes, a full-size file bigger than its thumbnail."""
    data = thumb_jpeg(image_id)
    return data if kind == "thumb" else data + b"\0" * 64  # trailing bytes: still a JPEG


def file_record(image_id: int, kind: str, data: bytes) -> dict:
    return {
        "kind": kind,
        "url": f"https://www.dpchallenge.com/{kind}/{image_id}.jpg",
        "path": f"{'thumbs' if kind == 'thumb' else 'full'}/{image_id}.jpg",
        "sha256": hashlib.sha256(data).hexdigest(),
        "width": 120,
        "height": 80,
        "bytes": len(data),
    }


def crawl_folder(tmp_path, challenges=6, per_challenge=4, galleries=True):
    """challenges.jsonl, entries.jsonl, images.jsonl and the image store of a small crawl:
    every second image has vote counts, comments on some, galleries in four patterns."""
    data = tmp_path / "data"
    (data / "images" / "thumbs").mkdir(parents=True)
    (data / "images" / "full").mkdir()
    challenge_records, entries, images = [], [], []
    for c in range(challenges):
        challenge_id = 100 + c
        challenge_records.append(
            {
                "challenge_id": challenge_id,
                "name": f"Theme {c}",
                "status": "finished",
                "kind": "member",
                "entries": per_challenge,
                "voting_end": f"2020-01-0{c % 9 + 1}",
                "crawled_at": "2026-11-01T10:00:00-05:00",
            }
        )
        for n in range(per_challenge):
            image_id = 1000 + c * per_challenge + n
            files = []
            for kind in ("thumb", "full"):
                data_bytes = jpeg(image_id, kind)
                path = data / "images" / file_record(image_id, kind, b"")["path"]
                path.write_bytes(data_bytes)
                files.append(file_record(image_id, kind, data_bytes))
            entries.append(
                {
                    "image_id": image_id,
                    "challenge_id": challenge_id,
                    "place": n + 1,
                    "avg_vote": 5.0 + n / 10,
                    "votes": 37,
                    "thumbnail_url": files[0]["url"],
                    "thumbnail_path": files[0]["path"],
                    "crawled_at": "2026-11-01T10:00:00-05:00",
                }
            )
            image = {
                "image_id": image_id,
                "challenge_id": challenge_id,
                "title": f"Photo {image_id}",
                "votes": 37,
                "mos": 5.2,
                "mos_source": "site_average",
                "files": files,
                "comments": [
                    {"comment_id": image_id * 10 + k, "author_name": "Ann", "text": f"c{k}"}
                    for k in range(image_id % 3)
                ],
                "crawled_at": f"2026-11-0{2 + c % 5}T10:00:00-05:00",
            }
            if image_id % 2 == 0:
                image.update(vote_counts=COUNTS, mos=5.5, mos_source="vote_counts")
            pattern = GALLERIES[image_id % len(GALLERIES)]
            if galleries and pattern is not None:
                image["galleries"] = pattern
            images.append(image)
    write(data / "challenges.jsonl", *challenge_records)
    write(data / "entries.jsonl", *entries)
    write(data / "images.jsonl", *images)
    return data, images


@pytest.fixture
def crawled(tmp_path):
    return crawl_folder(tmp_path)


def pyiqa_config(out) -> dict:
    return yaml.safe_load((out / "pyiqa_datasets.yml").read_text())


def pyiqa_ava_phase(out, entry: dict, phase: str) -> list[list]:
    """pyiqa's AVADataset: read_csv, values.tolist(), the split column by name, its val_num."""
    meta_info = pd.read_csv(os.path.join(out, entry["meta_info_file"]))
    paths_mos = meta_info.values.tolist()
    split_index = entry["split_index"]
    val_num = entry.get("val_num", 2000)
    train, val, test = [], [], []
    for i in range(len(paths_mos)):
        {0: train, 1: val, 2: test}.get(meta_info[split_index][i], []).append(paths_mos[i])
    if len(val) < val_num:
        val_num -= len(val)
        val = val + train[-val_num:]
        train = train[:-val_num]
    else:
        train = train + val[:-val_num]
        val = val[-val_num:]
    return {"train": train, "val": val, "test": test}[phase]


def pyiqa_nr_phase(out, entry: dict, phase: str) -> list[list]:
    """pyiqa's GeneralNRDataset: [join(dataroot, row[0]), float(row[1])], split compared with
    the phase name."""
    meta_info = pd.read_csv(os.path.join(out, entry["meta_info_file"]))
    root = os.path.join(out, entry["dataroot_target"])
    rows = [[os.path.join(root, row[0]), float(row[1])] for row in meta_info.values]
    column = entry["split_index"]
    return [rows[i] for i in range(len(rows)) if meta_info[column][i] == phase]


def test_pyiqa_export_reads_as_pyiqa_reads_it(crawled, tmp_path):
    data, images = crawled
    out = tmp_path / "pyiqa"
    done = export(data, "pyiqa", "--out", out, "--files", "thumb", "--splits", "0.5,0.25,0.25")
    assert done.returncode == 0, done.stderr
    header = (out / "meta_info" / "meta_info_AVADataset.csv").read_text().splitlines()[0]
    assert header == (
        "img_name,MOS,c1,c2,c3,c4,c5,c6,c7,c8,c9,c10,semantic_tag1,semantic_tag2,official_split"
    )
    assert (out / "meta_info" / "meta_info_DPCDataset.csv").read_text().splitlines()[0] == (
        "img_name,MOS,votes,challenge_id,split"
    )
    config = pyiqa_config(out)
    ava, dpc = config["dpchallenge_ava"], config["dpchallenge"]
    assert ava["type"] == "AVADataset" and dpc["type"] == "GeneralNRDataset"
    assert ava["mos_range"] == [1, 10] == dpc["mos_range"]
    manifest = json.loads((out / "manifest.json").read_text())
    split_of = {}
    counted = {r["image_id"] for r in images if r.get("vote_counts")}
    seen = []
    for phase, official in (("train", 0), ("val", 1), ("test", 2)):
        rows = pyiqa_ava_phase(out, ava, phase)
        for row in rows:
            # pyiqa's __getitem__: the path, MOS, the ten counts by position
            path = os.path.join(out, ava["dataroot_target"], row[0])
            with Image.open(path) as picture:
                picture.convert("RGB")
            counts = row[2:12]
            assert counts == COUNTS and row[1] == pytest.approx(
                sum(i * c for i, c in enumerate(counts, 1)) / sum(counts)
            )
            assert row[14] == official
            split_of[row[0]] = phase
        seen += [row[0] for row in rows]
    assert sorted(seen) == sorted(f"{i}.jpg" for i in counted)
    nr_seen = []
    for phase in ("train", "val", "test"):
        for path, mos in pyiqa_nr_phase(out, dpc, phase):
            with Image.open(path) as picture:
                picture.convert("RGB")
            assert 1 <= mos <= 10
            nr_seen.append(os.path.basename(path))
            if os.path.basename(path) in split_of:
                assert split_of[os.path.basename(path)] == phase
    assert sorted(nr_seen) == sorted(f"{r['image_id']}.jpg" for r in images)
    assert manifest["details"]["dpc_rows"] == len(images)
    linked = out / "ava_images" / f"{images[0]['image_id']}.jpg"
    assert linked.read_bytes() == (data / "images" / "thumbs" / linked.name).read_bytes()


def test_pyiqa_test_list_sets_official_split_and_tags_come_from_galleries(crawled, tmp_path):
    data, images = crawled
    counted = [r["image_id"] for r in images if r.get("vote_counts")]
    listed = tmp_path / "generic_test.jpgl"
    listed.write_text("".join(f"{i}\n" for i in counted[:3]))
    tags = tmp_path / "tags.txt"
    tags.write_text(TAGS_TXT)
    out = tmp_path / "pyiqa"
    done = export(data, "pyiqa", "--out", out, "--ava-test-list", listed, "--ava-tags", tags)
    assert done.returncode == 0, done.stderr
    frame = pd.read_csv(out / "meta_info" / "meta_info_AVADataset.csv")
    official = dict(zip(frame["img_name"], frame["official_split"]))
    assert {k for k, v in official.items() if v == 2} == {f"{i}.jpg" for i in counted[:3]}
    assert set(official.values()) == {0, 2}
    assert "val_num" not in pyiqa_config(out)["dpchallenge_ava"]
    by_name = {f"{r['image_id']}.jpg": r for r in images}
    for name, tag1, tag2 in zip(frame["img_name"], frame["semantic_tag1"], frame["semantic_tag2"]):
        expected = {0: (14, 19), 1: (20, 0), 2: (0, 0), 3: (0, 0)}[by_name[name]["image_id"] % 4]
        assert (tag1, tag2) == expected


def load(out, config, tmp_path):
    import datasets

    return datasets.load_dataset(str(out), config, cache_dir=str(tmp_path / "hf" / "datasets"))


def card(out) -> tuple[dict, str]:
    text = (out / "README.md").read_text()
    _, header, body = text.split("---\n", 2)
    return yaml.safe_load(header), body


def test_hf_metadata_only_loads_every_config_with_its_card(crawled, tmp_path, monkeypatch):
    data, images = crawled
    out = tmp_path / "hf"
    done = export(data, "hf", "--out", out)
    assert done.returncode == 0, done.stderr
    assert "Traceback" not in done.stderr
    header, body = card(out)
    names = [c["config_name"] for c in header["configs"]]
    assert names == ["images", "comments", "challenges", "entries"]
    assert header["license"] and header["pretty_name"] and header["task_categories"]
    assert header["size_categories"] == ["n<1K"] and "aesthetics" in header["tags"]
    infos = {info["config_name"]: info for info in header["dataset_info"]}
    assert set(infos) == set(names)
    for section in ("collected", "Fields", "histogram", "Licensing", "rebuild", "Citation"):
        assert section in body, section
    assert "-a image_ids=@ids.txt" in body and "CVPR" in body
    ids = [int(x) for x in (out / "ids.txt").read_text().split()]
    assert sorted(ids) == sorted(r["image_id"] for r in images)
    for key, value in hf_env(tmp_path).items():
        monkeypatch.setenv(key, value)
    manifest = json.loads((out / "manifest.json").read_text())
    expected = {
        "images": len(images),
        "comments": sum(len(r["comments"]) for r in images),
        "challenges": 6,
        "entries": len(images),
    }
    for name in names:
        loaded = load(out, name, tmp_path)
        assert sum(s.num_rows for s in loaded.values()) == expected[name], name
        splits = {s["name"]: s["num_examples"] for s in infos[name]["splits"]}
        assert {k: v.num_rows for k, v in loaded.items()} == splits
        assert all(v > 0 for v in splits.values())
        for shard in (out / "data" / name).iterdir():
            assert shard.name.split("-")[0] in splits
    loaded = load(out, "images", tmp_path)
    assert "image" not in loaded["train"].features
    assert manifest["counts"]["per_split"] == {k: v.num_rows for k, v in loaded.items()}
    row = loaded["train"][0]
    assert row["files"][0]["sha256"] and "galleries" in row
    challenge_splits = {}
    for split, table in load(out, "challenges", tmp_path).items():
        for challenge_id in table["challenge_id"]:
            challenge_splits[challenge_id] = split
    for split, table in loaded.items():
        assert {challenge_splits[c] for c in table["challenge_id"]} == {split}


def test_hf_with_images_embeds_the_stored_bytes_in_small_shards(crawled, tmp_path, monkeypatch):
    data, images = crawled
    # fill the thumbnails up so that one shard of 1 MB cannot hold them all
    for record in images:
        path = data / "images" / "thumbs" / f"{record['image_id']}.jpg"
        path.write_bytes(path.read_bytes() + bytes(120_000))
    out = tmp_path / "hf"
    done = export(data, "hf", "--out", out, "--images", "thumb", "--shard-mb", "1")
    assert done.returncode == 0, done.stderr
    shards = sorted((out / "data" / "images").glob("train-*.parquet"))
    assert len(shards) > 1
    assert all(s.stat().st_size <= 1_000_000 for s in (out / "data").rglob("*.parquet"))
    total = len(shards)
    assert [s.name for s in shards] == [
        f"train-{n:05d}-of-{total:05d}.parquet" for n in range(total)
    ]
    header, _ = card(out)
    (info,) = [i for i in header["dataset_info"] if i["config_name"] == "images"]
    features = {f["name"]: f for f in info["features"]}
    assert features["image"]["dtype"] == "image"
    for key, value in hf_env(tmp_path).items():
        monkeypatch.setenv(key, value)
    import datasets

    loaded = load(out, "images", tmp_path)
    assert loaded["train"].features["image"] == datasets.Image()
    raw = loaded.cast_column("image", datasets.Image(decode=False))
    seen = 0
    for split in raw.values():
        for row in split:
            stored = data / "images" / "thumbs" / f"{row['image_id']}.jpg"
            assert row["image"]["bytes"] == stored.read_bytes()
            seen += 1
    assert seen == len(images)
    assert loaded["train"][0]["image"].size[0] > 0
    for name in ("comments", "challenges", "entries"):
        assert load(out, name, tmp_path)["train"].num_rows > 0
    import mlcroissant as mlc

    dataset = mlc.Dataset(jsonld=str(out / "croissant.json"))
    assert not dataset.metadata.ctx.issues.errors
    records = list(dataset.records("images"))
    assert sorted(r["images/image_id"] for r in records) == sorted(r["image_id"] for r in images)
    assert all(r["images/image"].size[0] > 0 for r in records)


def test_croissant_validates_and_yields_every_image_record(crawled, tmp_path):
    import mlcroissant as mlc

    data, images = crawled
    out = tmp_path / "hf"
    assert export(data, "hf", "--out", out).returncode == 0
    document = json.loads((out / "croissant.json").read_text())
    assert document["conformsTo"] == "http://mlcommons.org/croissant/1.1"
    assert document["@context"]["rai"] == "http://mlcommons.org/croissant/RAI/"
    assert [r["@id"] for r in document["recordSet"]] == [
        "images",
        "comments",
        "challenges",
        "entries",
    ]
    dataset = mlc.Dataset(jsonld=str(out / "croissant.json"))
    metadata = dataset.metadata
    assert not metadata.ctx.issues.errors, metadata.ctx.issues.report()
    assert metadata.ctx.conforms_to.value == "http://mlcommons.org/croissant/1.1"
    assert metadata.data_collection.startswith("Crawled from")
    assert metadata.data_biases and metadata.data_limitations and metadata.data_use_cases
    ids = [record["images/image_id"] for record in dataset.records("images")]
    assert sorted(ids) == sorted(r["image_id"] for r in images)
    comments = list(dataset.records("comments"))
    assert len(comments) == sum(len(r["comments"]) for r in images)


def test_galleries_reach_every_export(crawled, tmp_path):
    data, images = crawled
    expected = {
        r["image_id"]: None if r.get("galleries") is None else [g["name"] for g in r["galleries"]]
        for r in images
    }
    out = tmp_path / "parquet"
    assert export(data, "parquet", "--out", out).returncode == 0
    rows = pq.read_table(out / "images.parquet").to_pylist()
    assert {r["image_id"]: r["galleries"] for r in rows} == expected
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["galleries"]["images_with_galleries"] == sum(1 for v in expected.values() if v)
    assert manifest["galleries"]["images_not_saying"] == sum(v is None for v in expected.values())
    folder = tmp_path / "folder"
    assert export(data, "imagefolder", "--out", folder, "--files", "thumb").returncode == 0
    metadata = {}
    for path in folder.glob("*/metadata.*"):
        lines = (
            pq.read_table(path).to_pylist()
            if path.suffix == ".parquet"
            else [json.loads(x) for x in path.read_text().splitlines()]
        )
        metadata.update({r["image_id"]: r["galleries"] for r in lines})
    assert metadata == expected
    shards = tmp_path / "wds"
    assert export(data, "webdataset", "--out", shards, "--files", "thumb").returncode == 0
    members = {}
    for tar_path in shards.glob("*.tar"):
        with tarfile.open(tar_path) as tar:
            for member in tar.getmembers():
                if member.name.endswith(".json"):
                    record = json.loads(tar.extractfile(member).read())
                    members[record["image_id"]] = record["galleries"]
    assert members == expected


def test_ava_tags_map_galleries_and_ava_own_tags_win(crawled, tmp_path):
    data, images = crawled
    tags = tmp_path / "tags.txt"
    tags.write_text(TAGS_TXT)
    in_ava = images[0]["image_id"]  # galleries Landscape, Black & White
    ava_txt = tmp_path / "AVA.txt"
    ava_txt.write_text(f"1 {in_ava} {' '.join(map(str, COUNTS))} 1 0 {images[0]['challenge_id']}\n")
    out = tmp_path / "ava"
    done = export(data, "ava", "--out", out, "--ava-tags", tags, "--ava-txt", ava_txt)
    assert done.returncode == 0, done.stderr
    lines = {int(p[1]): p for p in (x.split() for x in (out / "AVA.txt").read_text().splitlines())}
    assert lines[in_ava][12:14] == ["1", "0"]
    for record in images:
        image_id = record["image_id"]
        if image_id in lines and image_id != in_ava:
            expected = {0: ["14", "19"], 1: ["20", "0"], 2: ["0", "0"], 3: ["0", "0"]}
            assert lines[image_id][12:14] == expected[image_id % 4]
    manifest = json.loads((out / "manifest.json").read_text())
    hobbies = sum(1 for r in images if r["image_id"] % 4 == 1)
    assert manifest["galleries"]["unmatched_gallery_names"] == {"Hobbies": hobbies}


def test_publishing_options_are_checked(crawled, tmp_path):
    data, _ = crawled
    assert "--images" in one_line_error(
        export(data, "hf", "--out", tmp_path / "o", "--images", "all"), 2
    )
    assert "--shard-mb" in one_line_error(
        export(data, "hf", "--out", tmp_path / "o", "--shard-mb", "0"), 2
    )
    tags = tmp_path / "tags.txt"
    tags.write_text("1 Abstract\nLandscape\n")
    line = one_line_error(export(data, "parquet", "--out", tmp_path / "o", "--ava-tags", tags), 1)
    assert f"{tags}:2:" in line
    listed = tmp_path / "test.jpgl"
    listed.write_text("12\nabc\n")
    line = one_line_error(
        export(data, "pyiqa", "--out", tmp_path / "o", "--ava-test-list", listed), 1
    )
    assert f"{listed}:2:" in line


def test_report_counts_images_per_gallery(crawled, tmp_path):
    import subprocess
    import sys

    from crawling import ROOT, child_env

    data, images = crawled
    out = tmp_path / "report"
    done = subprocess.run(
        [sys.executable, "-m", "scrapy", "report", "--out", str(out)],
        cwd=ROOT,
        env=child_env({"DPC_DATA_DIR": str(data)}),
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    with Image.open(out / "images_per_gallery.png") as picture:
        assert picture.format == "PNG"
    names = {g["name"] for r in images for g in r.get("galleries") or ()}
    assert f"Images per gallery ({len(names)} galleries)" in (out / "index.html").read_text()


def test_pyiqa_columns_are_the_documented_ones():
    from dpchallenge.dataset.dictionary import read_dictionary
    from dpchallenge.dataset.pyiqa import AVA_HEADER, DPC_HEADER

    documented = read_dictionary()
    for section, header in (
        ("meta_info/meta_info_AVADataset.csv", AVA_HEADER),
        ("meta_info/meta_info_DPCDataset.csv", DPC_HEADER),
    ):
        assert [name.split(": ", 1)[1] for name in documented[section]] == header
