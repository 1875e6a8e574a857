"""Start-up with a whole site done: process start → first request, 600k records in the dataset.

Run by hand: `.venv/bin/python benchmarks/startup.py [--records 600000 --runs 3]`. Writes synthetic
challenges.jsonl, entries.jsonl and images.jsonl of that size (every image done, its files in
place as empty files; 50 entries more not done, so the spider has a request to make), starts the
images spider against the replica and stops it at its first request. Modes: thumbnails only, and
`-a full_res=1`. Baseline, same run: the same spider on an empty data folder. Also times, in this
process, the done-list functions the spider calls, to show where the time goes. Target: ≤ 2 s.
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import sys
import tempfile
import time
from pathlib import Path

from harness import crawl_command, median, run_child, spread, write_results

from dpchallenge.data.records import JsonLinesStore, read_ids, read_records
from dpchallenge.data.worklist import done_challenges, done_images, results_rows
from dpchallenge.items import ChallengeItem, Comment, EntryItem, ImageItem
from dpchallenge.pipelines.jsonlines import as_record
from dpchallenge.replica import Replica

TARGET_S = 2.0
PER_CHALLENGE = 150
NOT_DONE = 50


def line(item) -> bytes:
    return (
        json.dumps(as_record(item), ensure_ascii=False, separators=(", ", ": ")) + "\n"
    ).encode()


def synthesize(data_dir: Path, records: int, comments: int, base: str) -> None:
    """Dataset files of `records` images, each with a thumbnail and a full file (empty, size 0)."""
    for folder in ("thumbs", "full"):
        (data_dir / "images" / folder).mkdir(parents=True, exist_ok=True)
    challenges = records // PER_CHALLENGE + 1
    with open(data_dir / "challenges.jsonl", "wb") as out:
        for c in range(1, challenges + 1):
            item = ChallengeItem(c, url=f"{base}/challenge_results.php?CHALLENGE_ID={c}")
            item.status, item.name, item.entries = "finished", f"Challenge {c}", PER_CHALLENGE
            out.write(line(item))
    with (
        open(data_dir / "entries.jsonl", "wb") as entries,
        open(data_dir / "images.jsonl", "wb") as images,
    ):
        for n in range(records + NOT_DONE):
            image_id, challenge_id = 1_000_000 + n, n // PER_CHALLENGE + 1
            thumb = f"{base}/images_challenge/0-999/{challenge_id}/120/Copyrighted_{image_id}.jpg"
            full = thumb.replace("/120/", "/1200/")
            entry = EntryItem(image_id, challenge_id, place=n % PER_CHALLENGE + 1, title="Title")
            entry.avg_vote, entry.votes, entry.thumbnail_url, entry.image_url = (
                5.5,
                120,
                thumb,
                full,
            )
            entry.thumbnail_path = f"thumbs/{image_id}.jpg"
            entries.write(line(entry))
            if n >= records:
                continue
            image = ImageItem(image_id, challenge_id, title="Title", camera="Canon EOS 5D")
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
    for name, key in (
        ("challenges", "challenge_id"),
        ("entries", "image_id"),
        ("images", "image_id"),
    ):
        store = JsonLinesStore(data_dir / f"{name}.jsonl", key)
        store.open()  # as after a clean close: the files verified, so read once, not twice
        store.close()


def to_first_request(replica, data_dir: Path, args: list[str]) -> float:
    """Seconds from the child's start to the first request the replica saw from it."""
    seen = len(replica.requests)
    settings = {"DPC_BASE_URL": replica.base_url, "DPC_DATA_DIR": str(data_dir)}

    def stop_at_first_request(pid: int):
        if len(replica.requests) > seen:
            os.kill(pid, signal.SIGKILL)

    child = run_child(
        crawl_command("images", settings, args), sample=stop_at_first_request, interval=0.02
    )
    log = replica.requests[seen:]
    if not log:
        sys.stderr.write(child.stderr[-3000:])
        raise SystemExit("the spider made no request")
    return log[0].time - child.started


def in_process(data_dir: Path) -> dict[str, float]:
    """Seconds each done-list step takes here (one run each)."""
    images_dir = data_dir / "images"
    steps = {
        "read_records(entries.jsonl)": lambda: sum(
            1 for _ in read_records(data_dir / "entries.jsonl", "image_id")
        ),
        "read_ids(images.jsonl) (ids only)": lambda: len(
            read_ids(data_dir / "images.jsonl", "image_id")
        ),
        "done_images thumb": lambda: len(done_images(data_dir, {"thumb"}, images_dir)),
        "done_images thumb+full": lambda: len(done_images(data_dir, {"thumb", "full"}, images_dir)),
        "done_challenges": lambda: len(done_challenges(data_dir, images_dir)),
        # the images spider's results rows: cached like the spider's start after a clean close
        "results_rows": lambda: len(results_rows(data_dir)),
        "results_rows again (cached)": lambda: len(results_rows(data_dir)),
        "done_images thumb again (cached)": lambda: len(
            done_images(data_dir, {"thumb"}, images_dir)
        ),
    }
    figures = {}
    for name, step in steps.items():
        start = time.perf_counter()
        step()
        figures[name] = time.perf_counter() - start
    return figures


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--records", type=int, default=600_000)
    parser.add_argument("--comments", type=int, default=3, help="per image record")
    parser.add_argument("--runs", type=int, default=3)
    options = parser.parse_args()
    modes = {"thumbnails": [], "full_res=1": ["full_res=1"]}
    figures: dict[str, list[float]] = {mode: [] for mode in modes}
    empty: dict[str, list[float]] = {mode: [] for mode in modes}
    with (
        Replica(seed=1, challenges=5, entries=10) as replica,
        tempfile.TemporaryDirectory(prefix="dpc-bench-") as tmp,
    ):
        data_dir = Path(tmp) / "done"
        start = time.monotonic()
        synthesize(data_dir, options.records, options.comments, replica.images_url)
        sizes = {p.name: p.stat().st_size for p in data_dir.glob("*.jsonl")}
        print(
            f"synthetic data: {options.records} images done in {time.monotonic() - start:.0f} s;",
            ", ".join(f"{name} {size / 1e6:.0f} MB" for name, size in sizes.items()),
        )
        steps = in_process(data_dir)
        for name, seconds in steps.items():
            print(f"  in process: {name}: {seconds:.2f} s")
        for run in range(options.runs):
            for mode, args in modes.items():
                empty_dir = Path(tmp) / f"empty-{run}-{len(args)}"
                empty[mode].append(to_first_request(replica, empty_dir, args))
                figures[mode].append(to_first_request(replica, data_dir, args))
                print(
                    f"run {run + 1} {mode}: {figures[mode][-1]:.2f} s to the first request "
                    f"(empty folder {empty[mode][-1]:.2f} s)"
                )
    results = {}
    for mode in modes:
        value = median(figures[mode])
        print(
            f"{mode}: {value:.2f} s with {options.records} records done (target ≤ {TARGET_S} s); "
            f"empty folder {median(empty[mode]):.2f} s; ratio {value / median(empty[mode]):.1f}; "
            + ("met" if value <= TARGET_S else "NOT met")
        )
        results[mode] = {
            "seconds_to_first_request": spread(figures[mode]),
            "baseline_empty_folder_seconds": spread(empty[mode]),
            "ratio_to_baseline": value / median(empty[mode]),
            "met": value <= TARGET_S,
        }
    write_results(
        "startup",
        {
            "records_done": options.records,
            "comments_per_record": options.comments,
            "file_bytes": sizes,
            "target": {"seconds_at_most": TARGET_S},
            "modes": results,
            "in_process_seconds": steps,
        },
    )


if __name__ == "__main__":
    main()
