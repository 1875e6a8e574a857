"""`scrapy report` on a crawl of the replica."""

from __future__ import annotations

import re
import subprocess
import sys

import pytest
from crawling import ROOT, child_env, run_crawl
from PIL import Image

from dpchallenge.replica import Replica
from dpchallenge.replica.ava import write_ava


@pytest.fixture(scope="module")
def crawled(tmp_path_factory):
    data = tmp_path_factory.mktemp("data")
    with Replica(seed=6, challenges=6, entries=5) as replica:
        run = run_crawl("challenges", replica, data)
        assert run.returncode == 0, run.log[-2000:]
        run = run_crawl("images", replica, data)
        assert run.returncode == 0, run.log[-2000:]
        ava = tmp_path_factory.mktemp("ava") / "AVA.txt"
        write_ava(replica.site, ava)
    return data, ava


def report(data, *args):
    command = [sys.executable, "-m", "scrapy", "report", *map(str, args)]
    env = child_env({"DPC_DATA_DIR": str(data)})
    return subprocess.run(command, cwd=ROOT, env=env, capture_output=True, text=True, timeout=120)


def test_report_writes_every_figure_and_links_them(crawled, tmp_path):
    data, ava = crawled
    out = tmp_path / "report"
    done = report(data, "--out", out, "--ava-txt", ava)
    assert done.returncode == 0, done.stderr
    pngs = sorted(p.name for p in out.glob("*.png"))
    assert len(pngs) == 10 and "mos_bins_vs_ava.png" in pngs
    assert "ava_mos_then_and_now.png" in pngs
    for name in pngs:
        with Image.open(out / name) as image:
            image.verify()
            assert image.format == "PNG"
    page = (out / "index.html").read_text()
    assert sorted(re.findall(r'<img src="([^"]+)"', page)) == pngs
    assert "images with a MOS" in page


def test_report_without_ava_and_on_bad_input(crawled, tmp_path):
    data, _ = crawled
    done = report(data, "--out", tmp_path / "r")
    assert done.returncode == 0 and not (tmp_path / "r" / "mos_bins_vs_ava.png").exists()
    assert not (tmp_path / "r" / "ava_mos_then_and_now.png").exists()
    done = report(tmp_path / "nothing", "--out", tmp_path / "r2")
    assert done.returncode == 1 and "Traceback" not in done.stderr
    assert len(done.stderr.strip().splitlines()) == 1
    assert report(data, "--out", tmp_path / "r3", "--bogus").returncode == 2
