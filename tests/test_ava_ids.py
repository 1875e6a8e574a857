"""Rebuilding AVA from its ids: `-a image_ids=@FILE`, invalid.jsonl, `scrapy export reconcile`."""

from __future__ import annotations

import csv
import json
import subprocess
import sys
from pathlib import Path
from urllib.parse import urlsplit

import oracle
import pytest
from crawling import ROOT, child_env, crawl_command, finished, run_crawl, start_crawl
from redis_server import redis_server

from dpchallenge.data.ledger import INVALID_KEYS, InvalidLedger, settled_invalid
from dpchallenge.data.merge import merge_parts
from dpchallenge.dataset.ava import AvaTable
from dpchallenge.dataset.dictionary import read_dictionary
from dpchallenge.dataset.reconcile import COLUMNS, found_facts
from dpchallenge.dataset.report import ava_mos_pairs
from dpchallenge.dataset.source import Problems, Source
from dpchallenge.replica import FaultConfig, Replica
from dpchallenge.spiders.arguments import ArgumentError, challenge_id_list, image_id_list

USER, PASSWORD = "tester", "pw-ava-17"
SMALL = {"seed": 4, "challenges": 6, "entries": 4}
EQUAL, DIFFER, MOVED, NO_HISTOGRAM, REMOVED, FAILING = (
    1000000,  # challenge 1000, histogram shown: AVA's counts are the site's
    1000008,  # challenge 1000: AVA's counts are fewer than the site's
    1000019,  # challenge 1002; AVA says 1000
    1000050,  # challenge 2005, whose images show no histogram
    1000014,  # removed: no files
    1000022,  # its page never parses
)
INVALID = (1000002, 1000079, 1)  # ids the replica lacks
QUICK_FAILURE = {"DPC_PAGE_RETRIES": "1", "RETRY_TIMES": "1"}
HEADER = (
    "image_id,ava_challenge_id,status,site_challenge_id,ava_votes,site_votes,counts_equal,"
    "ava_mos,site_mos,has_thumb,has_full,full_sha256,full_width,full_height"
)


def ava_line(index: int, image_id: int, counts, challenge_id: int) -> str:
    return " ".join(map(str, [index, image_id, *counts, 7, 0, challenge_id]))


def write_ava_file(site, path: Path, extra: tuple[int, ...] = ()) -> dict[int, tuple]:
    """An AVA-format file for the chosen ids; returns id -> (counts, challenge) as written."""
    rows = {}
    for image_id in (EQUAL, DIFFER, MOVED, NO_HISTOGRAM, REMOVED, FAILING, *extra):
        entry = site.entry(image_id)
        counts, challenge_id = list(entry.vote_counts), entry.challenge_id
        if image_id == DIFFER:
            counts = [max(0, n - 2) for n in counts]
        if image_id == MOVED:
            challenge_id = 1000
        rows[image_id] = (counts, challenge_id)
    for image_id in INVALID:
        rows[image_id] = ([0, 1, 2, 3, 4, 5, 4, 3, 2, 1], 999)
    lines = [ava_line(n, i, c, ch) for n, (i, (c, ch)) in enumerate(rows.items(), start=1)]
    path.write_text("\n".join(lines) + "\n", encoding="ascii")
    return rows


def page_path(image_id: int) -> str:
    return f"pages:/image.php?IMAGE_ID={image_id}"


def file_paths(site, image_id: int) -> list[str]:
    want = oracle.expected_image(site, image_id)
    urls = [want["thumbnail_url"], want["image_url"]]
    return ["images:" + urlsplit(url).path for url in urls if url]


def asked(replica) -> list[str]:
    """Every request but robots.txt and the login (its POST and the page it redirects to)."""
    skip = ("/robots.txt", "/login.php", "/index.php")
    return sorted(f"{r.host}:{r.path}" for r in replica.requests if not r.path.startswith(skip))


def export(data: Path, *args) -> subprocess.CompletedProcess:
    command = [sys.executable, "-m", "scrapy", "export", *map(str, args)]
    env = child_env({"DPC_DATA_DIR": str(data)})
    return subprocess.run(command, cwd=ROOT, env=env, capture_output=True, text=True, timeout=120)


# ---- reading id files ---------------------------------------------------------------------


def test_an_ava_txt_a_jpgl_and_comma_lists_read_in_file_order(tmp_path):
    ava = tmp_path / "AVA.txt"
    ava.write_text(
        "1 953619 0 1 5 17 38 36 15 6 5 1 1 22 1396\n2 953958 10 7 15 26 26 21 10 8 1 2 1 1 1396\n"
    )
    jpgl = tmp_path / "generic_test.jpgl"
    jpgl.write_text("# AVA's test list\n954184\n\n   \n954113  # a note\n954229\n")
    mixed = tmp_path / "ids.txt"
    mixed.write_text("5, 6,7\n8\nhttps://www.dpchallenge.com/image.php?IMAGE_ID=921974\n")
    assert image_id_list(f"@{ava}") == [953619, 953958]
    assert image_id_list(f"@{jpgl}") == [954184, 954113, 954229]
    assert image_id_list(f"@{mixed}") == [5, 6, 7, 8, 921974]
    assert image_id_list("1,2") == [1, 2]


AVA_LINES = [f"{n} {1000 + n} 0 1 5 17 38 36 15 6 5 1 1 22 1396" for n in range(1, 5)]


@pytest.mark.parametrize(
    "text",
    [
        "\n".join(AVA_LINES),  # no newline at the end
        "\r\n".join(AVA_LINES) + "\r\n",
        "\n".join(AVA_LINES[:2]) + "\n\n  \n" + "\n".join(AVA_LINES[2:]) + "\n",
        "\n".join(f"  {line}\t" for line in AVA_LINES) + "\n",
    ],
    ids=["no final newline", "crlf", "blank lines", "spaces and tabs"],
)
def test_ava_lines_read_whatever_their_line_ends_and_blank_lines(tmp_path, text):
    path = tmp_path / "AVA.txt"
    path.write_bytes(text.encode())
    assert image_id_list(f"@{path}") == [1001, 1002, 1003, 1004]


def test_page_urls_give_their_ids_for_the_right_argument_only():
    image_url = "https://www.dpchallenge.com/image.php?IMAGE_ID=921974"
    results_url = "https://www.dpchallenge.com/challenge_results.php?CHALLENGE_ID=1303&show_full=1"
    assert image_id_list(f"{image_url},12") == [921974, 12]
    assert challenge_id_list(f"{results_url}, 3257") == [1303, 3257]
    for read, wrong in ((image_id_list, results_url), (challenge_id_list, image_url)):
        with pytest.raises(ArgumentError, match="is not an id"):
            read(wrong)


BAD_FILES = [
    pytest.param("1 953619 0 1 5\n", 1, id="five integers"),
    pytest.param("\n".join(AVA_LINES[:2]) + "\n3 1003 4\n", 3, id="a short AVA line"),
    pytest.param("\n".join([*AVA_LINES[:2], AVA_LINES[2] + " 9"]), 3, id="a long AVA line"),
    pytest.param("5\n6\n\n-7\n", 4, id="a negative id"),
    pytest.param("953619\nabc\n", 2, id="a word"),
    pytest.param("1\n\n# fine\n2 3\n", 4, id="two ids without a comma"),
    pytest.param("7,x\n", 1, id="a bad item in a comma list"),
    pytest.param("https://www.dpchallenge.com/profile.php?USER_ID=3\n", 1, id="another page"),
]


@pytest.mark.parametrize(("text", "line"), BAD_FILES)
def test_a_line_that_does_not_read_is_named_by_file_and_line(tmp_path, text, line):
    path = tmp_path / "ids.jpgl"
    path.write_text(text)
    with pytest.raises(ArgumentError, match=rf"^{path}:{line}: .* does not read"):
        image_id_list(f"@{path}")


def test_a_missing_file_is_named(tmp_path):
    with pytest.raises(ArgumentError, match=f"^{tmp_path}/none.txt: cannot read it"):
        image_id_list(f"@{tmp_path}/none.txt")


@pytest.mark.parametrize(
    ("name", "text", "said"),
    [
        ("none.txt", None, "none.txt: cannot read it"),
        ("AVA.txt", "1 953619 0 1 5 17 38 36 15 6 5 1 1 22 1396\n2 953958 x\n", "AVA.txt:2:"),
    ],
)
def test_a_crawl_with_a_bad_id_file_exits_2_with_one_line_and_no_request(
    tmp_path, name, text, said
):
    path = tmp_path / name
    if text is not None:
        path.write_text(text)
    with Replica(**SMALL) as replica:
        args = [f"image_ids=@{path}", "full_res=1"]
        log = {"LOG_FILE": str(tmp_path / "refusal.log")}
        command = crawl_command("images", replica, tmp_path / "data", args, log)
        done = subprocess.run(
            command, cwd=ROOT, env=child_env(), timeout=60, capture_output=True, text=True
        )
        requests = replica.requests
    message = [line for line in done.stderr.splitlines() if line.strip()]
    assert done.returncode == 2, done.stderr[-2000:]
    assert "Traceback" not in done.stderr
    assert len(message) == 1 and f"-a image_ids=@{path}" in message[0], message
    assert said in message[0]
    assert requests == []


# ---- the crawl of an id list --------------------------------------------------------------


@pytest.fixture(scope="module")
def ava_crawl(tmp_path_factory):
    """AVA-format ids crawled logged in with full_res=1, in an empty folder, then again."""
    base = tmp_path_factory.mktemp("ava")
    data, ava_txt = base / "data", base / "AVA.txt"
    faults = FaultConfig(permanent_frame_only_ids={FAILING})
    with Replica(**SMALL, faults=faults, password=PASSWORD) as replica:
        site = replica.site
        rows = write_ava_file(site, ava_txt)
        env = {"DPC_USERNAME": USER, "DPC_PASSWORD": PASSWORD}
        args = (f"image_ids=@{ava_txt}", "full_res=1")
        first = run_crawl("images", replica, data, *args, env=env, settings=QUICK_FAILURE)
        first_asked = asked(replica)
        replica.clear_requests()
        second = run_crawl("images", replica, data, *args, env=env, settings=QUICK_FAILURE)
        second_asked = asked(replica)
    return {
        "site": site,
        "data": data,
        "ava_txt": ava_txt,
        "rows": rows,
        "runs": (first, second),
        "asked": (first_asked, second_asked),
    }


def test_the_crawl_fetches_exactly_the_listed_pages_and_their_files(ava_crawl):
    site = ava_crawl["site"]
    first_asked, _ = ava_crawl["asked"]
    found = [EQUAL, DIFFER, MOVED, NO_HISTOGRAM, REMOVED]
    want = [page_path(i) for i in found + list(INVALID)]
    want += [page_path(FAILING)] * 2  # its retry
    want += [path for i in found for path in file_paths(site, i)]
    assert first_asked == sorted(want)
    assert not any("challenge_history" in p or "challenge_results" in p for p in first_asked)


def test_each_record_takes_its_challenge_from_its_page(ava_crawl):
    images = {
        r["image_id"]: r for r in map(json.loads, (ava_crawl["data"] / "images.jsonl").open())
    }
    assert images[MOVED]["challenge_id"] == 1002 != ava_crawl["rows"][MOVED][1]
    assert not (ava_crawl["data"] / "entries.jsonl").exists()


def test_invalid_ids_are_settled_once_counted_and_not_asked_again(ava_crawl):
    first, second = ava_crawl["runs"]
    _, second_asked = ava_crawl["asked"]
    lines = [json.loads(line) for line in (ava_crawl["data"] / "invalid.jsonl").open()]
    assert sorted(line["id"] for line in lines) == sorted(INVALID)
    for line in lines:
        assert set(line) == {"kind", "id", "url", "time"}
        assert line["kind"] == "image"
        assert line["url"].endswith(f"/image.php?IMAGE_ID={line['id']}")
    assert first.stat("dpc/images/invalid_id") == len(INVALID)
    assert f"invalid ids: {len(INVALID)} image" in first.log
    # the rerun asks only for the page that failed; the invalid and the done are skipped
    assert second_asked == [page_path(FAILING)] * 2
    assert second.stat("dpc/skipped/image_invalid") == len(INVALID)
    assert second.stat("dpc/skipped/image_done") == 5
    assert "3 image_invalid" in second.log
    for run in (first, second):
        assert run.returncode == 1, run.log[-2000:]  # the failing page
    # the progress total: the ids asked for, less those the site said are invalid
    assert first.stat("dpc/expected/images") == len(ava_crawl["rows"]) - len(INVALID)
    assert second.stat("dpc/expected/images") == 1


def test_a_jpgl_with_a_blank_line_and_a_comment_then_a_rerun_fetches_nothing(tmp_path):
    data = tmp_path / "data"
    jpgl = tmp_path / "list.jpgl"
    jpgl.write_text(f"# some AVA ids\n{EQUAL}\n\n{MOVED}  # moved\n{INVALID[0]}\n")
    with Replica(**SMALL) as replica:
        first = run_crawl("images", replica, data, f"image_ids=@{jpgl}")
        first_asked = asked(replica)
        replica.clear_requests()
        second = run_crawl("images", replica, data, f"image_ids=@{jpgl}")
        second_asked = asked(replica)
        replica.clear_requests()
        third = run_crawl("images", replica, data, f"image_ids=@{jpgl}", "refresh=1")
        third_asked = [p for p in asked(replica) if p.startswith("pages:")]
        site = replica.site
    want = [page_path(i) for i in (EQUAL, MOVED, INVALID[0])]
    want += [file_paths(site, i)[0] for i in (EQUAL, MOVED)]  # thumbnails only
    assert first_asked == sorted(want)
    assert second_asked == []
    assert third_asked == sorted(page_path(i) for i in (EQUAL, MOVED, INVALID[0]))
    for run in (first, second, third):
        assert run.returncode == 0, run.log[-2000:]
    assert "next: nothing left to do" in second.log
    assert settled_invalid(data, "image") == {INVALID[0]}


def test_a_refresh_that_finds_an_id_valid_drops_it_from_invalid_jsonl(tmp_path):
    data = tmp_path / "data"
    data.mkdir()
    InvalidLedger(data / "invalid.jsonl").invalid("image", EQUAL, "http://old/image.php")
    with Replica(**SMALL) as replica:
        skipped = run_crawl("images", replica, data, f"image_ids={EQUAL}")
        skipped_asked = asked(replica)
        refreshed = run_crawl("images", replica, data, f"image_ids={EQUAL}", "refresh=1")
    assert skipped_asked == [] and skipped.returncode == 0
    assert refreshed.returncode == 0, refreshed.log[-2000:]
    assert settled_invalid(data, "image") == set()
    assert (data / "invalid.jsonl").read_text() == ""


def test_merge_joins_the_workers_invalid_parts_listing_each_id_once(tmp_path):
    one = InvalidLedger(tmp_path / "invalid.w1.jsonl")
    one.invalid("image", 5, "u5")
    one.invalid("image", 6, "u6")
    two = InvalidLedger(tmp_path / "invalid.w2.jsonl")
    two.invalid("image", 6, "u6")
    two.invalid("image", 7, "u7")
    (tmp_path / "images.jsonl").write_text('{"image_id": 7, "crawled_at": "x"}\n')
    assert settled_invalid(tmp_path, "image") == {5, 6, 7}  # the spider reads the parts
    summary = merge_parts(tmp_path)
    assert summary["invalid.jsonl"] == (2, 2)
    lines = [json.loads(line) for line in (tmp_path / "invalid.jsonl").open()]
    assert [line["id"] for line in lines] == [5, 6]  # 7 has a record now
    assert not list(tmp_path.glob("invalid.w*.jsonl"))
    assert merge_parts(tmp_path)["invalid.jsonl"] == (2, 0)


# ---- export reconcile ---------------------------------------------------------------------


@pytest.fixture(scope="module")
def reconciled(ava_crawl, tmp_path_factory):
    out = tmp_path_factory.mktemp("reconcile") / "out"
    ava_txt = ava_crawl["ava_txt"]
    with_extra = ava_txt.with_name("AVA-more.txt")
    rows = write_ava_file(ava_crawl["site"], with_extra, extra=(1000025,))  # never crawled
    done = export(ava_crawl["data"], "reconcile", "--ava-txt", with_extra, "--out", out)
    assert done.returncode == 0, done.stderr
    text = (out / "reconcile.csv").read_text()
    table = list(csv.DictReader(text.splitlines()))
    manifest = json.loads((out / "manifest.json").read_text())
    return {**ava_crawl, "text": text, "table": table, "manifest": manifest, "written": rows}


def test_reconcile_has_the_header_and_one_row_per_line_in_order(reconciled):
    assert reconciled["text"].splitlines()[0] == HEADER
    assert [int(r["image_id"]) for r in reconciled["table"]] == list(reconciled["written"])


def test_reconcile_status_and_challenges(reconciled):
    by_id = {int(r["image_id"]): r for r in reconciled["table"]}
    status = {i: r["status"] for i, r in by_id.items()}
    assert status == {
        **dict.fromkeys((EQUAL, DIFFER, MOVED, NO_HISTOGRAM, REMOVED), "found"),
        FAILING: "failed",
        **dict.fromkeys(INVALID, "invalid"),
        1000025: "not_crawled",
    }
    for image_id, row in by_id.items():
        assert int(row["ava_challenge_id"]) == reconciled["written"][image_id][1]
        want = reconciled["site"].entry(image_id)
        if row["status"] == "found":
            assert int(row["site_challenge_id"]) == want.challenge_id
        else:
            assert row["site_challenge_id"] == ""
    assert (
        by_id[MOVED]["site_challenge_id"] == "1002" and by_id[MOVED]["ava_challenge_id"] == "1000"
    )


def test_reconcile_votes_counts_and_mos(reconciled):
    by_id = {int(r["image_id"]): r for r in reconciled["table"]}
    site = reconciled["site"]
    for image_id, row in by_id.items():
        counts = reconciled["written"][image_id][0]
        assert int(row["ava_votes"]) == sum(counts)
        ava_mos = sum(s * n for s, n in enumerate(counts, 1)) / sum(counts)
        assert row["ava_mos"] == f"{ava_mos:.4f}"
        if row["status"] != "found":
            assert row["site_votes"] == row["site_mos"] == row["counts_equal"] == ""
            continue
        entry = site.entry(image_id)
        assert int(row["site_votes"]) == entry.votes
        want = oracle.expected_image(site, image_id, logged_in=True)
        if want["vote_counts"] is not None:
            site_counts = want["vote_counts"]
            site_mos = sum(s * n for s, n in enumerate(site_counts, 1)) / sum(site_counts)
            assert row["site_mos"] == f"{site_mos:.4f}"
        elif want["avg_all"] is not None:
            assert row["site_mos"] == f"{want['avg_all']:.4f}"
    assert by_id[EQUAL]["counts_equal"] == "true"
    assert by_id[DIFFER]["counts_equal"] == "false"
    assert int(by_id[DIFFER]["site_votes"]) > int(by_id[DIFFER]["ava_votes"])
    assert by_id[NO_HISTOGRAM]["counts_equal"] == ""  # its page shows no histogram
    assert by_id[NO_HISTOGRAM]["site_mos"] != ""  # the site's average


def test_reconcile_files(reconciled):
    by_id = {int(r["image_id"]): r for r in reconciled["table"]}
    images = {
        r["image_id"]: r for r in map(json.loads, (reconciled["data"] / "images.jsonl").open())
    }
    for image_id in (EQUAL, DIFFER, MOVED, NO_HISTOGRAM):
        row = by_id[image_id]
        full = next(f for f in images[image_id]["files"] if f["kind"] == "full")
        assert (row["has_thumb"], row["has_full"]) == ("true", "true")
        assert row["full_sha256"] == full["sha256"] and len(row["full_sha256"]) == 64
        assert (int(row["full_width"]), int(row["full_height"])) == (full["width"], full["height"])
    removed = by_id[REMOVED]
    assert (removed["has_thumb"], removed["has_full"]) == ("false", "false")
    assert removed["full_sha256"] == removed["full_width"] == removed["full_height"] == ""
    for image_id in (FAILING, 1000025, *INVALID):
        row = by_id[image_id]
        assert row["has_thumb"] == row["has_full"] == row["full_sha256"] == ""


def test_reconcile_manifest_sums_what_the_rows_say(reconciled):
    manifest = reconciled["manifest"]
    table = reconciled["table"]
    assert manifest["lines"] == len(table) == 10
    assert manifest["status"] == {"found": 5, "invalid": 3, "failed": 1, "not_crawled": 1}
    found = manifest["found"]
    assert found["with_counts"] == 4  # all but NO_HISTOGRAM (the removed image shows it too)
    assert found["counts_equal"] == 3 and found["counts_differ"] == 1
    assert found["challenge_differs"] == 1
    changes = sorted(
        int(r["site_votes"]) - int(r["ava_votes"]) for r in table if r["status"] == "found"
    )
    assert found["median_vote_change"] == changes[len(changes) // 2]
    assert found["with_thumb"] == found["with_full"] == 4


def test_a_bad_or_missing_ava_txt_is_one_line_and_no_output(ava_crawl, tmp_path):
    bad = tmp_path / "AVA.txt"
    bad.write_text("1 953619 0 1 5 17 38 36 15 6 5 1 1 22 1396\n2 7 x\n")
    cases = [
        (("--ava-txt", bad), 1, f"{bad}:2:"),
        (("--ava-txt", tmp_path / "none.txt"), 1, "none.txt"),
        ((), 2, "--ava-txt"),
    ]
    for args, code, said in cases:
        out = tmp_path / "out"
        done = export(ava_crawl["data"], "reconcile", *args, "--out", out)
        message = [line for line in done.stderr.splitlines() if line.strip()]
        assert done.returncode == code, done.stderr
        assert len(message) == 1 and said in message[0], message
        assert not out.exists()


# ---- scrapy report --ava-txt ---------------------------------------------------------------


def test_the_report_plots_avas_mos_against_todays_for_the_found_images(ava_crawl, tmp_path):
    out = tmp_path / "report"
    command = [sys.executable, "-m", "scrapy", "report", "--out", str(out)]
    command += ["--ava-txt", str(ava_crawl["ava_txt"])]
    env = child_env({"DPC_DATA_DIR": str(ava_crawl["data"])})
    done = subprocess.run(command, cwd=ROOT, env=env, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert 'src="ava_mos_then_and_now.png"' in (out / "index.html").read_text()
    source = Source(ava_crawl["data"])
    pairs = ava_mos_pairs(source, AvaTable(ava_crawl["ava_txt"]))
    source.close()
    images = {
        r["image_id"]: r for r in map(json.loads, (ava_crawl["data"] / "images.jsonl").open())
    }
    # every found image (each has a MOS today); not the failed, the invalid
    assert sorted(pairs) == sorted([EQUAL, DIFFER, MOVED, NO_HISTOGRAM, REMOVED])
    for image_id, (then, now) in pairs.items():
        counts = ava_crawl["rows"][image_id][0]
        assert then == pytest.approx(sum(s * n for s, n in enumerate(counts, 1)) / sum(counts))
        assert now == images[image_id]["mos"]
    assert pairs[DIFFER][0] != pytest.approx(pairs[DIFFER][1])
    assert pairs[EQUAL][0] == pytest.approx(pairs[EQUAL][1])


def test_two_workers_share_an_id_list_and_merge_joins_their_invalid_parts(tmp_path):
    data = tmp_path / "data"
    # long enough (240 pages, 50 ms apart) that neither worker finishes the fleet's crawl
    # before the other has queued its ids
    with Replica(seed=3, challenges=24, entries=10, crawl_delay=0.05) as replica:
        site = replica.site
        valid = oracle.image_ids(site)
        invalid = oracle.invalid_image_ids(site)
        jpgl = tmp_path / "ids.jpgl"
        jpgl.write_text("\n".join(map(str, [*valid, *invalid])) + "\n")
        with redis_server(tmp_path) as url:
            fleet = {"REDIS_URL": url, "DPC_ARCHIVE": "0"}
            workers = [
                start_crawl(
                    "images",
                    replica,
                    data,
                    f"image_ids=@{jpgl}",
                    settings={**fleet, "DPC_WORKER": w},
                )
                for w in ("w1", "w2")
            ]
            codes = [process.wait(timeout=300) for process, _ in workers]
            pages = [r.path for r in replica.requests if r.path.startswith("/image.php")]
            replica.clear_requests()
            again = run_crawl("images", replica, data, f"image_ids=@{jpgl}", settings=fleet)
            pages_again = [r.path for r in replica.requests if r.path.startswith("/image.php")]
    logs = [finished("images", data, code, log).log for code, (_, log) in zip(codes, workers)]
    assert codes == [0, 0], [log[-2000:] for log in logs]
    twice = [p for p in set(pages) if pages.count(p) > 1]
    assert twice == [], (twice, [log[-3000:] for log in logs])
    assert sorted(pages) == sorted(f"/image.php?IMAGE_ID={i}" for i in [*valid, *invalid])
    parts = [p.name for p in sorted(data.glob("invalid.*.jsonl"))]
    assert parts and set(parts) <= {"invalid.w1.jsonl", "invalid.w2.jsonl"}
    assert settled_invalid(data, "image") == set(invalid)
    assert again.returncode == 0, again.log[-2000:]
    assert pages_again == []
    done = subprocess.run(
        [sys.executable, "-m", "scrapy", "merge"],
        cwd=ROOT,
        env=child_env({"DPC_DATA_DIR": str(data)}),
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    assert f"invalid.jsonl {len(invalid)}" in done.stdout
    lines = [json.loads(line) for line in (data / "invalid.jsonl").open()]
    assert sorted(line["id"] for line in lines) == sorted(invalid)
    assert not list(data.glob("invalid.*.jsonl"))


# ---- the data dictionary -------------------------------------------------------------------


def test_the_dictionary_documents_every_reconcile_column_in_order():
    documented = [name.split(": ", 1)[1] for name in read_dictionary()["reconcile.csv"]]
    assert tuple(documented) == COLUMNS == tuple(HEADER.split(","))


def test_invalid_jsonl_lines_have_exactly_the_documented_keys(tmp_path):
    ledger = InvalidLedger(tmp_path / "invalid.jsonl")
    ledger.invalid("image", 921974, "https://www.dpchallenge.com/image.php?IMAGE_ID=921974")
    ledger.invalid("image", 921974, "listed once")
    ledger.succeeded("image", 921974)
    invalid, resolved = (json.loads(line) for line in (tmp_path / "invalid.jsonl").open())
    assert set(invalid) | set(resolved) == set(INVALID_KEYS)
    for line in (invalid, resolved):
        for key, value in line.items():
            assert type(value).__name__ in INVALID_KEYS[key].split(" | "), key


def test_a_long_id_list_is_fed_to_the_scheduler_as_it_drains_not_read_whole_first(tmp_path):
    """255,530 ids once took 20 s to the first request: start() was read whole before it left."""
    ids = tmp_path / "many.jpgl"
    ids.write_text("\n".join(str(5_000_000 + n) for n in range(5000)) + "\n")
    with Replica(**SMALL) as replica:
        run = run_crawl(
            "images",
            replica,
            tmp_path / "data",
            f"image_ids=@{ids}",
            settings={"CLOSESPIDER_PAGECOUNT": "1"},
        )
    assert run.stats["finish_reason"] == "closespider_pagecount"
    assert run.stat("dpc/expected/images") - run.stat("dpc/images/invalid_id", 0) > 4000
    assert 0 < run.stat("scheduler/enqueued") <= 1100  # at most FEED_AHEAD ahead, not 5000


def test_reconcile_reads_the_workers_parts_newest_record_winning(tmp_path):
    def record(image_id, votes, crawled_at):
        line = {"image_id": image_id, "challenge_id": 1, "votes": votes, "crawled_at": crawled_at}
        return json.dumps(line) + "\n"

    (tmp_path / "images.jsonl").write_text(
        record(5, 10, "2026-02-01T00:00:00+00:00") + record(6, 10, "2026-01-01T00:00:00+00:00")
    )
    (tmp_path / "images.w1.jsonl").write_text(
        record(5, 20, "2026-01-01T00:00:00+00:00")
        + record(6, 30, "2026-03-01T00:00:00+00:00")
        + '{"image_id": 7, "chall'
    )
    problems = Problems()
    facts = found_facts(tmp_path, {5, 6, 7}, problems)
    assert {i: f[2] for i, f in facts.items()} == {5: 10, 6: 30}
    assert problems.counts == {"torn_lines": 1}
