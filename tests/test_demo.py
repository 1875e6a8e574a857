"""scripts/demo as a newcomer runs it: logged in to its replica, so the votes come with it."""

from __future__ import annotations

import subprocess
import sys

from crawling import ROOT, child_env, records


def test_the_demo_logs_in_and_its_data_carries_vote_histograms(tmp_path):
    data = tmp_path / "demo-data"
    demo = subprocess.run(
        [str(ROOT / "scripts" / "demo")],
        cwd=ROOT,
        env=child_env({"DEMO_DATA_DIR": str(data)}),
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert demo.returncode == 0, demo.stdout[-2000:] + demo.stderr[-2000:]
    images = records(data / "images.jsonl", "image_id")
    with_counts = [r for r in images if r["vote_counts"] is not None]
    assert len(with_counts) >= len(images) // 2
    for record in with_counts:
        assert record["mos_source"] == "vote_counts"
        assert abs(sum(record["score_distribution"]) - 1) < 1e-4
    means = [r["mos"] for r in with_counts]
    assert sum(4 <= m <= 7 for m in means) >= 0.8 * len(means)

    out = tmp_path / "ava"
    export = subprocess.run(
        [sys.executable, "-m", "scrapy", "export", "ava", "--out", str(out)],
        cwd=ROOT,
        env=child_env({"DPC_DATA_DIR": str(data)}),
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert export.returncode == 0, export.stderr
    lines = (out / "AVA.txt").read_text().splitlines()
    assert len(lines) == len(with_counts)
