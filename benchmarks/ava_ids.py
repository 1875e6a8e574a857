"""Start-up with AVA's 255,530 ids in a file, half of them done: process start → first request.

Run by hand: `.venv/bin/python benchmarks/ava_ids.py [--ids 255530 --runs 3]`. Writes a
synthetic AVA.txt of that many lines and a data folder holding, for every other id, its
images.jsonl record with both files in place (empty files; the file verified as after a clean
close), starts `crawl images -a image_ids=@AVA.txt -a full_res=1` against the replica and stops
it at its first request. Baseline, same run and same folder: the same command with a 10-id file
(ids not done). Also times, in this process, reading the file as the argument does. Targets
(issue 17): ≤ 1.5x the 10-id start, and ≤ 3 s.
"""

from __future__ import annotations

import argparse
import random
import tempfile
import time
from pathlib import Path

from harness import median, spread, write_results
from startup import line, to_first_request

from dpchallenge.data.records import JsonLinesStore
from dpchallenge.items import Comment, ImageItem
from dpchallenge.replica import Replica
from dpchallenge.spiders.arguments import _read_id_file, image_id_list

TARGET_S = 3.0
TARGET_RATIO = 1.5
FIRST_ID = 1_000_000


def write_ava_txt(path: Path, ids: int) -> list[int]:
    rng = random.Random(17)
    image_ids = [FIRST_ID + 3 * n for n in range(ids)]
    with path.open("w", encoding="ascii") as out:
        for index, image_id in enumerate(image_ids, start=1):
            counts = [rng.randint(0, 40) for _ in range(10)]
            tags = (rng.randint(0, 66), rng.randint(0, 66))
            values = [index, image_id, *counts, *tags, 1 + image_id // 500]
            out.write(" ".join(map(str, values)) + "\n")
    return image_ids


def write_done(data_dir: Path, image_ids: list[int], comments: int, base: str) -> None:
    """images.jsonl records, with their two files in place, for the ids given."""
    for folder in ("thumbs", "full"):
        (data_dir / "images" / folder).mkdir(parents=True, exist_ok=True)
    with open(data_dir / "images.jsonl", "wb") as images:
        for image_id in image_ids:
            challenge_id = 1 + image_id // 500
            thumb = f"{base}/images_challenge/0-999/{challenge_id}/120/Copyrighted_{image_id}.jpg"
            full = thumb.replace("/120/", "/1200/")
            image = ImageItem(image_id, challenge_id, title="Title", camera="Canon EOS 5D")
            image.url = f"{base}/image.php?IMAGE_ID={image_id}"
            image.thumbnail_url, image.image_url = thumb, full
            image.comments = [
                Comment(
                    image_id * 100 + k,
                    7,
                    "someone",
                    "Member",
                    "2010-11-20T10:00:00-05:00",
                    text="Lovely light and a strong composition. " * 3,
                    html="<b>Lovely</b>",
                )
                for k in range(comments)
            ]
            image.files = [
                {
                    "kind": kind,
                    "url": url,
                    "path": f"{folder}/{image_id}.jpg",
                    "sha256": "0" * 64,
                    "width": 120,
                    "height": 90,
                    "bytes": 0,
                }
                for kind, url, folder in (("thumb", thumb, "thumbs"), ("full", full, "full"))
            ]
            images.write(line(image))
            for folder in ("thumbs", "full"):
                (data_dir / "images" / folder / f"{image_id}.jpg").touch()
    store = JsonLinesStore(data_dir / "images.jsonl", "image_id")
    store.open()  # verified, as after a clean close
    store.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--ids", type=int, default=255_530)
    parser.add_argument("--comments", type=int, default=3, help="per image record")
    parser.add_argument("--runs", type=int, default=3)
    options = parser.parse_args()
    big: list[float] = []
    small: list[float] = []
    with (
        Replica(seed=1, challenges=5, entries=10) as replica,
        tempfile.TemporaryDirectory(prefix="dpc-ava-bench-") as tmp,
    ):
        ava_txt = Path(tmp) / "AVA.txt"
        ids = write_ava_txt(ava_txt, options.ids)
        ten = Path(tmp) / "ten.jpgl"
        ten.write_text("# ten ids not done\n" + "\n".join(map(str, ids[1:21:2])) + "\n")
        data_dir = Path(tmp) / "data"
        start = time.monotonic()
        write_done(data_dir, ids[::2], options.comments, replica.base_url)
        size = (data_dir / "images.jsonl").stat().st_size
        print(
            f"synthetic: AVA.txt {options.ids} lines, {len(ids[::2])} done "
            f"(images.jsonl {size / 1e6:.0f} MB) in {time.monotonic() - start:.0f} s"
        )
        start = time.perf_counter()
        assert len(image_id_list(f"@{ava_txt}")) == options.ids
        read_seconds = time.perf_counter() - start
        _read_id_file.cache_clear()
        print(f"  in process: reading @AVA.txt: {read_seconds:.2f} s")
        for run in range(options.runs):
            for figures, id_file in ((small, ten), (big, ava_txt)):
                args = [f"image_ids=@{id_file}", "full_res=1"]
                figures.append(to_first_request(replica, data_dir, args))
            print(
                f"run {run + 1}: {big[-1]:.2f} s to the first request (10 ids: {small[-1]:.2f} s)"
            )
    ratio = median(big) / median(small)
    met = median(big) <= TARGET_S and ratio <= TARGET_RATIO
    print(
        f"@AVA.txt ({options.ids} ids, half done): {median(big):.2f} s (target ≤ {TARGET_S} s); "
        f"10 ids {median(small):.2f} s; ratio {ratio:.2f} (target ≤ {TARGET_RATIO}); "
        + ("met" if met else "NOT met")
    )
    write_results(
        "ava_ids",
        {
            "ids": options.ids,
            "done": len(ids[::2]),
            "comments_per_record": options.comments,
            "images_jsonl_bytes": size,
            "target": {"seconds_at_most": TARGET_S, "ratio_at_most": TARGET_RATIO},
            "seconds_to_first_request": spread(big),
            "baseline_ten_ids_seconds": spread(small),
            "ratio_to_baseline": ratio,
            "in_process_read_seconds": read_seconds,
            "met": met,
        },
    )


if __name__ == "__main__":
    main()
