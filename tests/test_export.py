"""The dataset exports, on a crawl of the replica: AVA files, Parquet, imagefolder, WebDataset."""

from __future__ import annotations

import json
import os
import re
import resource
import signal
import subprocess
import sys
import tarfile

import numpy as np
import oracle
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from ava import write_ava
from crawling import ROOT, child_env, run_crawl

from dpchallenge.replica import Replica

USER, PASSWORD = "tester", "pw-export-9"


def export(data, *args, env=None, limit_file_size=None):
    command = [sys.executable, "-m", "scrapy", "export", *map(str, args)]
    extra = {"DPC_DATA_DIR": str(data), **(env or {})}

    def limit() -> None:
        signal.signal(signal.SIGXFSZ, signal.SIG_IGN)  # a write past the limit fails with EFBIG
        resource.setrlimit(resource.RLIMIT_FSIZE, (limit_file_size, limit_file_size))

    return subprocess.run(
        command,
        cwd=ROOT,
        env=child_env(extra),
        capture_output=True,
        text=True,
        timeout=120,
        preexec_fn=limit if limit_file_size else None,
    )


def hf_env(tmp_path):
    return {
        "HF_DATASETS_OFFLINE": "1",
        "HF_HUB_OFFLINE": "1",
        "HF_HOME": str(tmp_path / "hf"),
        "HF_DATASETS_CACHE": str(tmp_path / "hf" / "datasets"),
    }


@pytest.fixture(scope="module")
def crawl(tmp_path_factory):
    """A replica crawled once: the first images logged in (vote counts), the rest anonymously."""
    data = tmp_path_factory.mktemp("data")
    with Replica(seed=4, challenges=14, entries=5, password=PASSWORD) as replica:
        site = replica.site
        challenges = run_crawl("challenges", replica, data)
        ids = oracle.image_ids(site)
        logged_in = ids[: len(ids) // 2]
        first = run_crawl(
            "images",
            replica,
            data,
            "full_res=1",
            "image_ids=" + ",".join(map(str, logged_in)),
            env={"DPC_USERNAME": USER, "DPC_PASSWORD": PASSWORD},
        )
        rest = run_crawl("images", replica, data, "full_res=1")
    for run in (challenges, first, rest):
        assert run.returncode == 0, run.log[-2000:]
    ava_txt = tmp_path_factory.mktemp("ava") / "AVA.txt"
    in_ava = write_ava(site, ava_txt)
    entries = {e.image_id: e for e in oracle.all_entries(site)}
    return {
        "data": data,
        "site": site,
        "ava_txt": ava_txt,
        "in_ava": set(in_ava),
        "entries": entries,
        "logged_in": set(logged_in),
    }


@pytest.fixture(scope="module")
def parquet_out(crawl, tmp_path_factory):
    out = tmp_path_factory.mktemp("parquet") / "out"
    done = export(crawl["data"], "parquet", "--out", out, "--ava-txt", crawl["ava_txt"])
    assert done.returncode == 0, done.stderr
    return out


def images_table(out) -> pd.DataFrame:
    return pq.read_table(out / "images.parquet").to_pandas()


def test_ava_txt_passes_the_loaders_and_round_trips_counts_and_mos(crawl, tmp_path):
    out = tmp_path / "ava"
    done = export(crawl["data"], "ava", "--out", out, "--ava-txt", crawl["ava_txt"])
    assert done.returncode == 0, done.stderr
    assert "Traceback" not in done.stderr
    lines = (out / "AVA.txt").read_text().splitlines()
    assert lines
    for number, line in enumerate(lines, start=1):
        fields = line.split(" ")
        assert len(fields) == 15 and all(f.isdigit() for f in fields), line
        assert int(fields[0]) == number
    frame = pd.read_csv(out / "AVA.txt", sep=" ", header=None)
    assert frame.shape == (len(lines), 15)
    assert all(dtype.kind == "i" for dtype in frame.dtypes)
    table = np.loadtxt(out / "AVA.txt", dtype=np.int64)
    assert table.shape == (len(lines), 15)
    mos_txt = {
        int(p[0]): p for p in (x.split(" ") for x in (out / "mos.txt").read_text().splitlines())
    }
    for row in table:
        entry = crawl["entries"][int(row[1])]
        assert tuple(row[2:12]) == entry.vote_counts
        assert row[14] == entry.challenge_id
        mos = (row[2:12] * np.arange(1, 11)).sum() / row[2:12].sum()
        assert float(mos_txt[int(row[1])][2]) == pytest.approx(mos, abs=5e-5)
    # AVA.txt holds every image with counts: the logged-in half's and the AVA file's
    assert {int(r[1]) for r in table} == crawl["in_ava"] | crawl["logged_in"]


def test_mos_txt_and_challenges_txt(crawl, tmp_path):
    out = tmp_path / "ava"
    assert export(crawl["data"], "ava", "--out", out).returncode == 0
    site = crawl["site"]
    rows = [line.split(" ") for line in (out / "mos.txt").read_text().splitlines()]
    assert all(len(r) == 4 and len(r[2].split(".")[1]) == 4 for r in rows)
    placed = {i for i, e in crawl["entries"].items() if e.status == "placed"}
    assert {int(r[0]) for r in rows} == placed | crawl["logged_in"]
    for image_id, challenge_id, mos, votes in rows:
        entry = crawl["entries"][int(image_id)]
        assert int(challenge_id) == entry.challenge_id and int(votes) == entry.votes
        if entry.status == "placed":
            assert float(mos) == pytest.approx(entry.avg_all / 10000, abs=1e-4)
    names = dict(line.split(" ", 1) for line in (out / "challenges.txt").read_text().splitlines())
    assert set(map(int, names)) == set(oracle.finished_challenge_ids(site))
    assert all(" " not in name for name in names.values())
    # without --ava-txt and with half the images crawled anonymously, fewer AVA.txt lines
    assert len((out / "AVA.txt").read_text().splitlines()) < len(placed)


def test_ava_txt_fills_counts_tags_and_flags(crawl, parquet_out):
    frame = images_table(parquet_out).set_index("image_id")
    assert set(frame.index[frame["in_ava"]]) == crawl["in_ava"]
    filled = frame[frame["vote_counts_source"] == "ava"]
    assert len(filled) > 0
    assert set(filled.index) <= crawl["in_ava"]
    for image_id, row in filled.iterrows():
        counts = crawl["entries"][image_id].vote_counts
        assert tuple(row["vote_counts"]) == counts
        assert row["mos"] == pytest.approx(
            sum(i * n for i, n in enumerate(counts, 1)) / sum(counts)
        )
        assert row["mos_source"] == "vote_counts" and row["ava_tag1"] > 0
        assert row["votes"] == crawl["entries"][image_id].votes
    site_counts = frame[frame["vote_counts_source"] == "site"]
    assert len(site_counts) > 0 and not site_counts.index.isin(filled.index).any()
    assert frame.loc[~frame["in_ava"], "ava_tag1"].isna().all()


def test_new_since_ava_keeps_only_what_ava_lacks(crawl, tmp_path):
    out = tmp_path / "new"
    done = export(
        crawl["data"], "parquet", "--out", out, "--ava-txt", crawl["ava_txt"], "--new-since-ava"
    )
    assert done.returncode == 0, done.stderr
    frame = images_table(out)
    assert len(frame) > 0 and not frame["in_ava"].any()
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["left_out"]["in_ava"] == len(crawl["in_ava"])


def test_parquet_loads_with_pyarrow_pandas_and_datasets(crawl, parquet_out, tmp_path, monkeypatch):
    table = pq.read_table(parquet_out / "images.parquet")
    schema = table.schema
    assert schema.field("image_id").type == pa.int64()
    assert schema.field("mos").type == pa.float64()
    assert schema.field("vote_counts").type == pa.list_(pa.int32())
    assert schema.field("aperture_f").type == pa.float64()
    assert schema.field("iso_value").type == pa.int64()
    assert schema.field("taken_on").type == pa.date32()
    assert pa.types.is_struct(schema.field("comments").type.value_type)
    ids = table.column("image_id").to_pylist()
    assert sorted(ids) == sorted(crawl["entries"]) and len(set(ids)) == len(ids)
    frame = pd.read_parquet(parquet_out / "images.parquet")
    assert len(frame) == len(ids)
    counts = frame.dropna(subset=["vote_counts"])
    assert all(len(c) == 10 for c in counts["vote_counts"])
    comments = pd.read_parquet(parquet_out / "comments.parquet")
    assert len(comments) == sum(len(c) for c in frame["comments"]) > 0
    assert set(comments["image_id"]) <= set(ids)
    assert comments["text"].notna().all()
    assert len(pd.read_parquet(parquet_out / "challenges.parquet")) == len(
        oracle.finished_challenge_ids(crawl["site"])
    )
    assert len(pd.read_parquet(parquet_out / "entries.parquet")) == len(ids)

    for key, value in hf_env(tmp_path).items():
        monkeypatch.setenv(key, value)
    import datasets

    loaded = datasets.load_dataset(
        "parquet",
        data_files={"train": str(parquet_out / "images.parquet")},
        cache_dir=str(tmp_path / "hf" / "datasets"),
    )
    assert loaded["train"].num_rows == len(ids)
    assert loaded["train"].features["image_id"].dtype == "int64"


def test_splits_share_no_challenge_and_repeat_with_the_seed(crawl, parquet_out, tmp_path):
    frame = images_table(parquet_out)
    by_challenge = frame.groupby("challenge_id")["split"].nunique()
    assert (by_challenge == 1).all()
    assert set(frame["split"]) == {"train", "validation", "test"}
    manifest = json.loads((parquet_out / "manifest.json").read_text())
    assert manifest["counts"]["per_split"] == frame["split"].value_counts().to_dict()
    bins = manifest["counts"]["per_split_mos_bin"]
    assert {k: sum(v.values()) for k, v in bins.items()} == manifest["counts"]["per_split"]
    assert manifest["options"]["seed"] == 0 and manifest["project_version"]
    assert manifest["source"]["crawled_from"] <= manifest["source"]["crawled_to"]
    again = tmp_path / "again"
    assert export(crawl["data"], "parquet", "--out", again).returncode == 0
    assert images_table(again)["split"].tolist() == frame["split"].tolist()
    other = tmp_path / "other"
    assert export(crawl["data"], "parquet", "--out", other, "--seed", "5").returncode == 0
    assert images_table(other)["split"].tolist() != frame["split"].tolist()


def test_the_docs_loading_snippet_gives_disjoint_splits_and_integer_columns(
    crawl, parquet_out, tmp_path
):
    docs = (ROOT / "docs" / "dataset.md").read_text()
    loading = docs.split("## Loading", 1)[1].split("\n## ", 1)[0]
    snippets = re.findall(r"```python\n(.*?)```", loading, re.S)
    snippet = next(s for s in snippets if "images.parquet" in s)
    (tmp_path / "out").symlink_to(parquet_out)
    check = """
import json
print(json.dumps({
    "splits": {name: list(part["image_id"]) for name, part in ds.items()},
    "train": list(train["image_id"]),
    "place": str(train["place"].dtype),
}))
"""
    done = subprocess.run(
        [sys.executable, "-c", snippet + check],
        cwd=tmp_path,
        env=child_env(hf_env(tmp_path)),
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    got = json.loads(done.stdout.splitlines()[-1])
    frame = images_table(parquet_out)
    want = {name: set(part["image_id"]) for name, part in frame.groupby("split")}
    assert {name: set(ids) for name, ids in got["splits"].items()} == want
    assert sum(len(ids) for ids in got["splits"].values()) == len(frame)
    assert sorted(got["train"]) == sorted(want["train"])
    assert got["place"] == "int32[pyarrow]"


def test_imagefolder_loads_with_datasets(crawl, tmp_path, monkeypatch):
    out = tmp_path / "folder"
    done = export(crawl["data"], "imagefolder", "--out", out, "--splits", "0.5,0.5")
    assert done.returncode == 0, done.stderr
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["imagefolder_untyped_columns"] is None
    assert manifest["imagefolder_metadata"] == "metadata.jsonl"
    assert (out / "train" / "metadata.jsonl").is_file()
    for key, value in hf_env(tmp_path).items():
        monkeypatch.setenv(key, value)
    import datasets

    loaded = datasets.load_dataset(
        "imagefolder", data_dir=str(out), cache_dir=str(tmp_path / "hf" / "datasets")
    )
    assert {k: v.num_rows for k, v in loaded.items()} == manifest["counts"]["per_split"]
    sample = loaded["train"][0]
    assert sample["image"].size[0] > 0 and "mos" in sample and "comments" in sample
    removed = oracle.removed_image_ids(crawl["site"])
    assert manifest["left_out"].get("no_full_file", 0) >= len(removed) > 0
    assert str(removed[0]) not in {str(i) for i in loaded["train"]["image_id"]}
    assert "left out (no_full_file)" in done.stderr


def test_imagefolder_with_a_column_empty_in_one_split_writes_typed_metadata_that_loads(
    crawl, tmp_path, monkeypatch
):
    out = tmp_path / "folder"
    done = export(crawl["data"], "imagefolder", "--out", out, "--ava-txt", crawl["ava_txt"])
    assert done.returncode == 0, done.stderr
    manifest = json.loads((out / "manifest.json").read_text())
    gaps = manifest["imagefolder_untyped_columns"]
    assert gaps, "this crawl's small validation split has columns without a value"
    assert manifest["imagefolder_metadata"] == "metadata.parquet"
    assert "metadata.parquet (typed) instead of metadata.jsonl" in done.stderr
    split, columns = next(iter(gaps.items()))
    column = next(c for c in columns if "." not in c)
    assert not list(out.glob("*/metadata.jsonl"))
    rows = pq.read_table(out / split / "metadata.parquet").to_pylist()
    assert rows and all(row[column] is None for row in rows)
    for key, value in hf_env(tmp_path).items():
        monkeypatch.setenv(key, value)
    import datasets

    loaded = datasets.load_dataset(
        "imagefolder", data_dir=str(out), cache_dir=str(tmp_path / "hf" / "datasets")
    )
    assert {k: v.num_rows for k, v in loaded.items()} == manifest["counts"]["per_split"]
    features = {name: loaded[name].features for name in loaded}
    assert all(f == features["train"] for f in features.values())
    assert features[split]["mos"].dtype == "float64"
    assert features[split]["image"] == datasets.Image()


def test_webdataset_shards_iterate_with_the_library(crawl, tmp_path):
    import webdataset as wds

    out = tmp_path / "wds"
    done = export(
        crawl["data"], "webdataset", "--out", out, "--shard-size", "7", "--files", "thumb"
    )
    assert done.returncode == 0, done.stderr
    manifest = json.loads((out / "manifest.json").read_text())
    for split, count in manifest["counts"]["per_split"].items():
        shards = sorted(out.glob(f"{split}-*.tar"))
        assert len(shards) == -(-count // 7)
        for shard in shards:
            with tarfile.open(shard) as tar:
                assert all("." not in m.name.rsplit(".", 1)[0] for m in tar.getmembers())
        samples = list(wds.WebDataset([str(s) for s in shards], shardshuffle=False))
        assert len(samples) == count
        record = json.loads(samples[0]["json"])
        assert record["split"] == split and samples[0]["jpg"][:2] == b"\xff\xd8"
        assert samples[0]["__key__"] == str(record["image_id"])


def test_balance_and_min_votes(crawl, tmp_path):
    out = tmp_path / "balanced"
    done = export(crawl["data"], "parquet", "--out", out, "--balance", "--min-votes", "60")
    assert done.returncode == 0, done.stderr
    manifest = json.loads((out / "manifest.json").read_text())
    frame = images_table(out)
    assert (frame["votes"] >= 60).all() and manifest["left_out"]["below_min_votes"] > 0
    cap = manifest["counts"]["balance_cap_per_bin"]
    train_bins = manifest["counts"]["per_split_mos_bin"]["train"]
    assert cap > 0 and max(train_bins.values()) <= cap
    assert manifest["left_out"].get("balanced_out", 0) > 0


def test_pyiqa_export_of_the_replica_reads_as_pyiqa_reads_it(crawl, tmp_path):
    from PIL import Image
    from test_publish import pyiqa_ava_phase, pyiqa_config, pyiqa_nr_phase

    out = tmp_path / "pyiqa"
    done = export(crawl["data"], "pyiqa", "--out", out, "--ava-txt", crawl["ava_txt"])
    assert done.returncode == 0, done.stderr
    config = pyiqa_config(out)
    ava_rows = [
        row
        for phase in ("train", "val", "test")
        for row in pyiqa_ava_phase(out, config["dpchallenge_ava"], phase)
    ]
    parquet = tmp_path / "parquet"
    assert (
        export(crawl["data"], "parquet", "--out", parquet, "--ava-txt", crawl["ava_txt"]).returncode
        == 0
    )
    frame = images_table(parquet).set_index("image_id")
    with_full = {
        i
        for i, files in frame["files"].items()
        if any(f["kind"] == "full" and f["path"] for f in files)
    }
    counted = {i for i in frame.index[frame["vote_counts"].notna()] if i in with_full}
    assert {int(r[0].split(".")[0]) for r in ava_rows} == counted
    for row in ava_rows:
        image_id = int(row[0].split(".")[0])
        assert tuple(row[2:12]) == tuple(frame.loc[image_id, "vote_counts"])
        tag1 = frame.loc[image_id, "ava_tag1"]
        assert row[12] == (0 if pd.isna(tag1) else tag1)
        with Image.open(
            os.path.join(out, config["dpchallenge_ava"]["dataroot_target"], row[0])
        ) as picture:
            assert picture.convert("RGB").size[0] > 0
    scored = {i for i in frame.index[frame["mos"].notna()] if i in with_full}
    nr = [
        r
        for phase in ("train", "val", "test")
        for r in pyiqa_nr_phase(out, config["dpchallenge"], phase)
    ]
    assert {int(os.path.basename(p).split(".")[0]) for p, _ in nr} == scored
    for path, mos in nr:
        with Image.open(path) as picture:
            picture.convert("RGB")
        assert mos == pytest.approx(frame.loc[int(os.path.basename(path).split(".")[0]), "mos"])


def test_hf_export_of_the_replica_loads_every_config_and_its_croissant(
    crawl, tmp_path, monkeypatch
):
    import mlcroissant as mlc
    import yaml

    out = tmp_path / "hf"
    done = export(crawl["data"], "hf", "--out", out)
    assert done.returncode == 0, done.stderr
    header = yaml.safe_load((out / "README.md").read_text().split("---\n")[1])
    configs = [c["config_name"] for c in header["configs"]]
    assert configs == ["images", "comments", "challenges", "entries"]
    ids = [int(x) for x in (out / "ids.txt").read_text().split()]
    assert sorted(ids) == sorted(crawl["entries"])
    for key, value in hf_env(tmp_path).items():
        monkeypatch.setenv(key, value)
    import datasets

    cache = str(tmp_path / "hf" / "datasets")
    for name in configs:
        loaded = datasets.load_dataset(str(out), name, cache_dir=cache)
        assert sum(split.num_rows for split in loaded.values()) > 0, name
    images = datasets.load_dataset(str(out), "images", cache_dir=cache)
    assert sorted(i for split in images.values() for i in split["image_id"]) == sorted(ids)
    dataset = mlc.Dataset(jsonld=str(out / "croissant.json"))
    assert not dataset.metadata.ctx.issues.errors
    assert sorted(r["images/image_id"] for r in dataset.records("images")) == sorted(ids)

    full = tmp_path / "hf-full"
    done = export(crawl["data"], "hf", "--out", full, "--images", "full")
    assert done.returncode == 0, done.stderr
    loaded = datasets.load_dataset(str(full), "images", cache_dir=cache)
    assert loaded["train"].features["image"] == datasets.Image()
    raw = loaded.cast_column("image", datasets.Image(decode=False))
    store = crawl["data"] / "images" / "full"
    for split in raw.values():
        for row in split.select_columns(["image_id", "image"]):
            assert row["image"]["bytes"] == (store / f"{row['image_id']}.jpg").read_bytes()
    for name in configs[1:]:
        assert datasets.load_dataset(str(full), name, cache_dir=cache)["train"].num_rows > 0
    manifest = json.loads((full / "manifest.json").read_text())
    assert manifest["left_out"].get("no_full_file", 0) >= len(
        oracle.removed_image_ids(crawl["site"])
    )
