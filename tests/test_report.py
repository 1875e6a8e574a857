"""`scrapy report` on a crawl of the replica."""

from __future__ import annotations

import re
import subprocess
import sys

import pytest
from ava import write_ava
from crawling import ROOT, child_env, run_crawl
from PIL import Image

from dpchallenge.dataset.report import Facts, challenge_positions, figures, mos_by_source
from dpchallenge.replica import Replica


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
    assert len(pngs) == 11 and "mos_bins_vs_ava.png" in pngs and "images_per_gallery.png" in pngs
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


def test_the_mos_figure_names_its_sources_and_draws_each(crawled, tmp_path):
    facts = Facts()
    facts.mos = [5.2, 5.9, 4.8, 6.1]
    facts.mos_challenge = [1000, 1000, 1001, 1001]
    facts.mos_source = ["vote_counts", "site_average", "vote_counts", "vote_counts"]
    captions = dict(figures(facts, tmp_path, None))
    caption = captions["mos_distribution.png"]
    assert "vote counts (3)" in caption and "the site's average (1)" in caption
    assert [label for _, label, _ in mos_by_source(facts)] == [
        "vote counts (3)",
        "the site's average (1)",
    ]
    order, place, means = challenge_positions(facts.mos_challenge, facts.mos)
    assert order.tolist() == [1000, 1001] and place.tolist() == [0, 0, 1, 1]
    assert means.tolist() == pytest.approx([5.55, 5.45])

    data, _ = crawled  # crawled without logging in: every MOS is the site's average
    done = report(data, "--out", tmp_path / "r")
    assert done.returncode == 0, done.stderr
    page = (tmp_path / "r" / "index.html").read_text()
    caption = re.search(r'<img src="mos_distribution.png" alt="([^"]+)"', page).group(1)
    assert "the site&#x27;s average (" in caption and "vote counts" not in caption
