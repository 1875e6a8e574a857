"""Tests of the local site replica: model, markup, files, login, faults, request log, CLI."""

from __future__ import annotations

import hashlib
import http.client
import io
import re
import subprocess
import sys
import time
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo

import lxml.html
import oracle
import pytest
from parsel import Selector
from PIL import Image

from dpchallenge.replica import (
    REMOVED_PLACEHOLDER_JPEG,
    REMOVED_PLACEHOLDER_SHA256,
    FaultConfig,
    Replica,
    Site,
    jpeg,
    pages,
)

CLI_ARGS = "--seed 2 --challenges 3 --entries 4 --crawl-delay 2 --faults ban_every=5"
BAN_TEXT = "Page cannot be served due to suspicious activity detected from your address."


@pytest.fixture(scope="module")
def replica() -> Iterator[Replica]:
    with Replica(seed=3, challenges=8, entries=6) as running:
        yield running


@pytest.fixture(autouse=True)
def clean_state(request: pytest.FixtureRequest) -> None:
    if "replica" in request.fixturenames:
        running: Replica = request.getfixturevalue("replica")
        running.reset_faults()
        running.clear_requests()
        running.crawl_delay = 0


class Fetched:
    def __init__(self, status: int, headers: http.client.HTTPMessage, body: bytes) -> None:
        self.status = status
        self.headers = headers
        self.body = body

    @property
    def text(self) -> str:
        return self.body.decode("utf-8")

    @property
    def selector(self) -> Selector:
        return Selector(text=self.text)


def fetch(
    url: str,
    *,
    method: str = "GET",
    headers: dict[str, str] | None = None,
    data: bytes | None = None,
) -> Fetched:
    parts = urlsplit(url)
    connection = http.client.HTTPConnection(parts.hostname, parts.port, timeout=10)
    try:
        target = parts.path + (f"?{parts.query}" if parts.query else "")
        connection.request(method, target, body=data, headers=headers or {})
        response = connection.getresponse()
        return Fetched(response.status, response.headers, response.read())
    finally:
        connection.close()


def inner_html(element: lxml.html.HtmlElement) -> str:
    element.tail = None
    outer = lxml.html.tostring(element, encoding="unicode")
    return re.sub(r"^<[^>]*>|</[^>]*>$", "", outer.strip()).strip()


def first_entry(site: Site, status: str = "placed", with_divider: bool | None = None) -> int:
    for entry in oracle.all_entries(site):
        if entry.status != status:
            continue
        if with_divider is not None and bool(entry.comments_during) != with_divider:
            continue
        return entry.image_id
    raise AssertionError(f"no {status} entry")


# ---- model ------------------------------------------------------------------------------


def test_model_is_cheap_and_deterministic() -> None:
    started = time.perf_counter()
    big = Site(seed=1, challenges=200, entries=50)
    assert time.perf_counter() - started < 0.5
    last = oracle.finished_challenge_ids(big)[-1]
    assert len(big.entries(last)) == 50
    assert len(big.history_order()) == 198
    same = Site(seed=1, challenges=200, entries=50)
    assert oracle.expected_entries(same, last) == oracle.expected_entries(big, last)
    assert oracle.expected_entries(
        Site(seed=2, challenges=200, entries=50), last
    ) != oracle.expected_entries(big, last)


def test_model_has_every_special_case() -> None:
    site = Site(seed=5, challenges=12, entries=8)
    assert len(oracle.unfinished_challenge_ids(site)) == 2
    assert oracle.disqualified_image_ids(site) and oracle.removed_image_ids(site)
    assert len(oracle.withdrawn_challenge_ids(site)) == 1  # a removed entry's row without links
    assert oracle.images_without_comments(site) and oracle.images_with_only_after_comments(site)
    assert oracle.images_with_divider(site)
    known = {c.challenge_id for c in site.challenges}
    assert not known & set(oracle.invalid_challenge_ids(site))
    assert all(site.entry(i) is None for i in oracle.invalid_image_ids(site))
    image_ids = oracle.image_ids(site)
    assert len(image_ids) == len(set(image_ids)) == 10 * 8
    names = " ".join(c.name for c in site.challenges)
    assert all(ch in names for ch in '&"’é')
    kinds = {c.kind for c in site.challenges}
    assert kinds == {"member", "open", "speed", "invitational"}


def test_model_stats_agree_with_entries() -> None:
    site = Site(seed=9, challenges=6, entries=7)
    withdrawn = oracle.withdrawn_challenge_ids(site)
    for record in oracle.expected_challenges(site):
        if record["status"] != "finished":
            assert record["entries"] is None and record["votes"] is None
            continue
        rows = oracle.expected_entries(site, record["challenge_id"])
        placed = [r for r in rows if r["place"] is not None]
        averages = sorted(r["avg_vote"] for r in placed)
        assert record["entries"] == len(site.entries(record["challenge_id"]))
        assert len(rows) == record["entries"] - (record["challenge_id"] in withdrawn)
        assert record["votes"] == sum(r["votes"] for r in placed)
        assert record["highest_score"] == averages[-1]
        assert record["lowest_score"] == averages[0]
        assert abs(record["avg_score"] - sum(averages) / len(averages)) < 1e-5
        assert [r["place"] for r in placed] == list(range(1, len(placed) + 1))
        images = [oracle.expected_image(site, r["image_id"], logged_in=True) for r in rows]
        assert record["comments"] == sum(i["comment_count"] for i in images)
        for image in images:
            counts = site.entry(image["image_id"]).vote_counts
            assert sum(counts) == image["votes"]
            assert len(image["comments"]) == image["comment_count"]
            if image["avg_all"] is not None:
                mean = sum(s * n for s, n in enumerate(counts, 1)) / image["votes"]
                assert abs(mean - image["avg_all"]) < 5e-5


def test_model_scores_look_like_a_contest_and_follow_the_seed() -> None:
    """Image means cluster near 5-6 with thin tails, and each histogram is spread around one."""
    site = Site(seed=5, challenges=40, entries=12)
    entries = oracle.all_entries(site)
    means = [sum(s * n for s, n in enumerate(e.vote_counts, 1)) / e.votes for e in entries]
    assert sum(4 <= m <= 7 for m in means) >= 0.9 * len(means)
    assert 5.0 <= sum(means) / len(means) <= 5.8
    assert sum(m < 3 or m > 8 for m in means) <= 0.01 * len(means)
    for entry, mean in zip(entries, means, strict=True):
        spread = sum(n * (s - mean) ** 2 for s, n in enumerate(entry.vote_counts, 1)) / entry.votes
        assert 0.8 <= spread**0.5 <= 2.2, entry.image_id
        assert sum(n > 0 for n in entry.vote_counts) >= 5, entry.image_id
    again = oracle.all_entries(Site(seed=5, challenges=40, entries=12))
    assert [e.vote_counts for e in again] == [e.vote_counts for e in entries]


def test_model_times_cover_summer_and_winter() -> None:
    site = Site(seed=4, challenges=10, entries=6)
    eastern_zone = ZoneInfo("America/New_York")
    stamps = [c["posted_at"] for image in oracle.expected_images(site) for c in image["comments"]]
    assert {stamp[-6:] for stamp in stamps} == {"-04:00", "-05:00"}
    for stamp in stamps:
        local = datetime.fromisoformat(stamp[:-6]).replace(tzinfo=eastern_zone)
        assert local.isoformat() == stamp


def test_fault_spec_parsing() -> None:
    config = FaultConfig.from_spec("ban_every=20,ban_seconds=1.5,cp1252_ids=5+7,slow_paths=/a+/b")
    assert (config.ban_every, config.ban_seconds) == (20, 1.5)
    assert config.cp1252_ids == {5, 7} and config.slow_paths == ("/a", "/b")
    assert FaultConfig.from_spec("cp1252_history=1").cp1252_history is True
    config = FaultConfig.from_spec("frame_only_ids=3+4,paged_results_ids=9,odd_row_ids=9")
    assert (config.frame_only_ids, config.paged_results_ids, config.odd_row_ids) == (
        {3, 4},
        {9},
        {9},
    )
    with pytest.raises(ValueError):
        FaultConfig.from_spec("no_such_fault=1")


# ---- pages ------------------------------------------------------------------------------


def test_history_lists_finished_challenges(replica: Replica) -> None:
    site = replica.site
    page = fetch(f"{replica.base_url}/challenge_history.php?show_all=1")
    assert page.status == 200
    assert page.headers["Content-Type"] == "text/html; charset=utf-8"
    assert page.text.rstrip().endswith("</html>") and "Current Server Time: " in page.text
    sel = page.selector
    assert len(sel.xpath('//table[@id="challenges"]')) == 2
    rows = sel.xpath('(//table[@id="challenges"])[2]//tr[starts-with(@class,"forum-bg")]')
    assert len(rows) == len(oracle.finished_challenge_ids(site))
    ids = [
        int(re.search(r"CHALLENGE_ID=(\d+)", r.xpath(".//a/@href").get()).group(1)) for r in rows
    ]
    assert ids == [c.challenge_id for c in site.history_order()]
    assert not set(ids) & set(oracle.unfinished_challenge_ids(site))
    for row, expected in zip(rows, oracle.expected_history_rows(site), strict=True):
        cells = [c.replace(",", "") for c in row.xpath('./td[@align="center"]/text()').getall()]
        assert int(cells[0]) == expected["entries"] and int(cells[5]) == expected["votes"]
        assert row.xpath("./td[1]/img[1]/@alt").get() == f"{expected['kind'].title()} Challenge"
        dates = row.xpath("./td[1]/text()").getall()[-1]
        assert re.fullmatch(r"[A-Z][a-z]{2}\. \d+(st|nd|rd|th) \d{4} - .+", dates)
        flag = row.xpath('.//img[contains(@src,"flag.gif")]/@alt').get()
        if expected["extra_rules"] is None:
            assert flag is None
        else:
            assert " ".join(flag.removeprefix("Extra Rules: ").split()) == expected["extra_rules"]


def test_history_uses_thousands_separators() -> None:
    site = Site(seed=2, challenges=4, entries=40)
    html = pages.render_history(site, None, "/challenge_history.php?show_all=1")
    assert re.search(r'<td align="center">\d,\d{3}</td>', html)
    assert "class=i>" in html


def test_results_page_rows_and_stats(replica: Replica) -> None:
    site = replica.site
    challenge_id = oracle.finished_challenge_ids(site)[0]
    page = fetch(
        f"{replica.base_url}/challenge_results.php?CHALLENGE_ID={challenge_id}&show_full=1"
    )
    assert "Challenge Results for " in page.text
    rows = page.selector.xpath('//tr[@class="forum-bg1"][td[@width="160"]]')
    expected = oracle.expected_entries(site, challenge_id)
    assert len(rows) == len(expected)
    for row, entry in zip(rows, expected, strict=True):
        html = row.get()
        assert f"IMAGE_ID={entry['image_id']}" in html
        if entry["place"] is not None:
            match = re.search(r"<b>(\d+)(?:st|nd|rd|th)</b> place with an<br>", html, re.I)
            assert match and int(match.group(1)) == entry["place"]
            assert row.xpath("td[1]//img/@src").get() == entry["thumbnail_url"]
        elif entry["thumbnail_url"] is None:
            assert "<b>Removed</b>" in html and "/images/removed.gif" in html
        else:
            assert "<b>Disqualified</b>" in html and "Votes:" not in html
    record = oracle.expected_challenge(site, challenge_id)
    stats = dict(
        re.findall(r"<b>([^<:]+):\s*</b>(?:\s*<br>)?(?:\s|&nbsp;)*([^<]*?)\s*<br>", page.text)
    )
    assert int(stats["Submissions"].replace(",", "")) == record["entries"]
    assert float(stats["Average Score"]) == record["avg_score"]
    assert int(stats["Disqualifications"]) == record["disqualifications"]


def test_results_stats_use_thousands_separators() -> None:
    site = Site(seed=2, challenges=4, entries=40)
    html = pages.render_results(site, oracle.finished_challenge_ids(site)[0], None, "/x")
    assert re.search(r"<b>Votes: </b>\d{1,3},\d{3}<br>", html)


def test_unfinished_and_invalid_challenges(replica: Replica) -> None:
    unfinished = oracle.unfinished_challenge_ids(replica.site)[0]
    page = fetch(f"{replica.base_url}/challenge_results.php?CHALLENGE_ID={unfinished}&show_full=1")
    assert "<b>Challenge Details</b> - " in page.text
    assert "Challenge Results for" not in page.text
    assert "<td><b>Submission Deadline:</b></td>" in page.text
    for bad in [*oracle.invalid_challenge_ids(replica.site)[:3], "abc"]:
        page = fetch(f"{replica.base_url}/challenge_results.php?CHALLENGE_ID={bad}&show_full=1")
        assert "Invalid CHALLENGE_ID.  Please check the URL." in page.text
        assert "<!-- WHOLE PAGE DESIGN -->" in page.text


def test_image_page_markup(replica: Replica) -> None:
    site = replica.site
    image_id = first_entry(site, with_divider=True)
    expected = oracle.expected_image(site, image_id)
    assert expected is not None
    page = fetch(f"{replica.base_url}/image.php?IMAGE_ID={image_id}")
    sel = page.selector
    srcs = sel.xpath('//img[contains(@src,"Copyrighted_Image_Reuse_Prohibited_")]/@src').getall()
    main = sel.xpath(
        '//td[@id="img_container"]/img[contains(@src,"Copyrighted_Image_Reuse_Prohibited_")]/@src'
    ).get()
    assert main == expected["image_url"]
    assert srcs[0] != main  # a neighbour's thumbnail comes first
    assert sel.xpath('//td[@id="img_container"]/img[1]/@src').get() == "/images/pix.gif"
    assert sel.xpath('normalize-space(//div[@class="imagetitle"])').get() == expected["title"]
    stats = sel.xpath('//tr[@class="forum-heading"][normalize-space()="Statistics"]')
    stats_html = stats.xpath("following-sibling::tr[1]/td").get()
    assert f"<b>Comments:</b> {expected['comment_count']}<br>" in stats_html
    ids = sel.xpath('//a[@name][string(number(@name))!="NaN"]/@name').getall()
    assert [int(i) for i in ids] == [c["comment_id"] for c in expected["comments"]]
    assert len(sel.xpath('//a[@class="fo "]')) == expected["comment_count"]
    assert "Comments Made During the Challenge" in page.text
    assert "Voting Breakdown" not in page.text and "You are not logged in." in page.text
    bodies = sel.xpath('//table[@class="forum-post"]/tr/td')
    assert [inner_html(b.root) for b in bodies] == [c["html"] for c in expected["comments"]]
    times = [t.strip() for t in sel.xpath('//td[@class="textsm"][@height="14"]/text()').getall()]
    assert all(re.fullmatch(r"\d\d/\d\d/\d{4} \d\d:\d\d:\d\d [AP]M", t) for t in times)
    note = sel.xpath('//td[@width="450"][@class="textsm"]')[0].root
    assert (inner_html(note) or None) == expected["photographer_comment_html"]


def test_every_served_html_fragment_is_canonical() -> None:
    site = Site(seed=11, challenges=6, entries=10)
    for challenge_id in oracle.finished_challenge_ids(site):
        description = oracle.expected_challenge(site, challenge_id)["description_html"]
        fragment = lxml.html.fragment_fromstring(description, create_parent="div")
        assert inner_html(fragment) == description
    for image in oracle.expected_images(site):
        html_parts = [c["html"] for c in image["comments"]]
        html_parts.append(image["photographer_comment_html"] or "")
        for part in html_parts:
            fragment = lxml.html.fragment_fromstring(part, create_parent="td")
            assert inner_html(fragment) == part


def test_image_pages_without_comments_or_divider(replica: Replica) -> None:
    site = replica.site
    silent = oracle.images_without_comments(site)[0]
    page = fetch(f"{replica.base_url}/image.php?IMAGE_ID={silent}")
    assert "<b>Comments:</b> 0<br>" in page.text and 'class="fo "' not in page.text
    after_only = oracle.images_with_only_after_comments(site)[0]
    page = fetch(f"{replica.base_url}/image.php?IMAGE_ID={after_only}")
    assert "Comments Made During the Challenge" not in page.text
    assert page.text.count('class="fo "') == site.entry(after_only).comment_count


def test_disqualified_removed_and_invalid_images(replica: Replica) -> None:
    site = replica.site
    dq = fetch(f"{replica.base_url}/image.php?IMAGE_ID={oracle.disqualified_image_ids(site)[0]}")
    # as the evidence has it: Views and the rest kept, no Place line and no averages
    assert "<b>Views since voting:</b>" in dq.text
    assert "<b>Place:</b>" not in dq.text and "Avg (" not in dq.text
    removed = fetch(f"{replica.base_url}/image.php?IMAGE_ID={oracle.removed_image_ids(site)[0]}")
    container = removed.selector.xpath('//td[@id="img_container"]//img/@src').getall()
    assert container == ["/images/pix.gif", "/images/removed.gif"]
    for bad in oracle.invalid_image_ids(site)[:3]:
        page = fetch(f"{replica.base_url}/image.php?IMAGE_ID={bad}")
        assert "Invalid IMAGE_ID provided." in page.text


def test_not_found(replica: Replica) -> None:
    assert fetch(f"{replica.base_url}/nothing.php").status == 404
    assert fetch(f"{replica.images_url}/nothing.jpg").status == 404


# ---- files ------------------------------------------------------------------------------


def test_entry_files_decode_at_expected_sizes(replica: Replica) -> None:
    site = replica.site
    image_id = first_entry(site)
    entry = oracle.expected_image(site, image_id)
    thumb = fetch(entry["thumbnail_url"])
    full = fetch(entry["image_url"])
    assert thumb.headers["Content-Type"] == full.headers["Content-Type"] == "image/jpeg"
    thumb_image = Image.open(io.BytesIO(thumb.body))
    full_image = Image.open(io.BytesIO(full.body))
    assert thumb_image.format == full_image.format == "JPEG"
    assert thumb_image.size == jpeg.thumb_size(image_id) and max(thumb_image.size) == 120
    assert full_image.size == jpeg.full_size(image_id) and 640 <= max(full_image.size) <= 1200
    assert len(full.body) < 120_000
    assert fetch(entry["thumbnail_url"]).body == thumb.body
    wrong_bucket = entry["thumbnail_url"].replace("/1000-1999/", "/2000-2999/")
    assert fetch(wrong_bucket).status == 404


def test_removed_image_serves_placeholder(replica: Replica) -> None:
    site = replica.site
    removed = site.entry(oracle.removed_image_ids(site)[0])
    for size in (120, 1200):
        served = fetch(site.entry_file_url(removed.challenge_id, removed.image_id, size))
        assert served.body == REMOVED_PLACEHOLDER_JPEG
    assert hashlib.sha256(REMOVED_PLACEHOLDER_JPEG).hexdigest() == REMOVED_PLACEHOLDER_SHA256
    assert Image.open(io.BytesIO(REMOVED_PLACEHOLDER_JPEG)).size == (120, 90)


def test_corrupt_files_then_good(replica: Replica) -> None:
    site = replica.site
    image_id = first_entry(site)
    url = oracle.expected_image(site, image_id)["image_url"]
    replica.faults.corrupt_image_ids = {image_id}
    broken = fetch(url)
    with pytest.raises(OSError):
        Image.open(io.BytesIO(broken.body)).load()
    Image.open(io.BytesIO(fetch(url).body)).load()
    replica.faults.permanent_corrupt_image_ids = {image_id}
    replica.faults.corrupt_mode = "garbage"
    assert not fetch(url).body.startswith(b"\xff\xd8")


# ---- robots and login -------------------------------------------------------------------


def test_robots_on_both_hosts(replica: Replica) -> None:
    replica.crawl_delay = 7
    for base in (replica.base_url, replica.images_url):
        robots = fetch(f"{base}/robots.txt").text
        assert "User-agent: *" in robots and "Crawl-delay: 7" in robots
        assert "Disallow: /forum.php" in robots


def test_login_sets_cookie_and_shows_breakdown(replica: Replica) -> None:
    form = {"USERNAME": "tester", "PASSWORD": "wrong", "SAVE_PASSWORD": "1"}
    form["REDIRECT"] = "/index.php"
    form_headers = {"Content-Type": "application/x-www-form-urlencoded"}

    def post(fields: dict[str, str]) -> Fetched:
        data = "&".join(f"{k}={v}" for k, v in fields.items()).encode()
        return fetch(
            f"{replica.base_url}/login.php", method="POST", data=data, headers=form_headers
        )

    refused = post(form)
    assert refused.status == 200 and "Invalid username or password" in refused.text
    assert "You are not logged in." in refused.text
    accepted = post({**form, "PASSWORD": "s3cret-pass"})
    assert accepted.status == 302 and accepted.headers["Location"] == "/index.php"
    cookie = accepted.headers["Set-Cookie"]
    assert cookie.startswith("SESSION_ID=") and "HttpOnly" in cookie
    session = {"Cookie": cookie.split(";")[0]}
    home = fetch(f"{replica.base_url}/index.php", headers=session)
    assert 'Welcome back, <a href="/profile.php" class="i">tester</a>' in home.text
    site = replica.site
    image_id = first_entry(site)
    assert site.challenge(site.entry(image_id).challenge_id).shows_histogram
    page = fetch(f"{replica.base_url}/image.php?IMAGE_ID={image_id}", headers=session)
    counts = [int(n) for n in page.selector.css("div.breakdown_vote_count::text").getall()]
    assert counts == oracle.expected_image(site, image_id, logged_in=True)["vote_counts"]
    assert sum(counts) == site.entry(image_id).votes
    # the old markup: a Voting Breakdown column of the Photograph Information table holds the
    # counts and the stats lines, between the information and the photographer's comment
    heading = page.selector.xpath('//tr[@class="forum-heading"][td[1]="Photograph Information"]')
    titles = [" ".join(t.split()) for t in heading.xpath("td").xpath("string()").getall()]
    assert titles == [
        "Photograph Information",
        f"Voting Breakdown ({site.entry(image_id).votes} votes)",
        "Photographer's Comments",
    ]
    column = heading.xpath("following-sibling::tr[1]/td[2]")
    assert column.css("div.breakdown_vote_count") and "<b>Votes:</b>" in column.get()
    assert not page.selector.xpath('//tr[@class="forum-heading"][normalize-space()="Statistics"]')
    recent = next(
        e.image_id
        for e in oracle.all_entries(site)
        if not site.challenge(e.challenge_id).shows_histogram and e.status == "placed"
    )
    page = fetch(f"{replica.base_url}/image.php?IMAGE_ID={recent}", headers=session)
    assert "Welcome back," in page.text and "breakdown_vote_count" not in page.text
    assert oracle.expected_image(site, recent, logged_in=True)["vote_counts"] is None


def test_histogram_stops_at_the_cut_off_year() -> None:
    site = Site(seed=3, challenges=20, entries=4)
    years = {c.voting_end.year: c.shows_histogram for c in site.finished_challenges()}
    assert any(years.values()) and not all(years.values())
    assert all(shown == (year < 2024) for year, shown in years.items())


def test_galleries_and_portfolio_links_vary_across_images() -> None:
    site = Site(seed=3, challenges=6, entries=8)
    shown = {len(oracle.expected_image(site, i)["galleries"]) for i in oracle.image_ids(site)}
    assert {0, 1} <= shown and max(shown) >= 2
    portfolio = [i for i in oracle.image_ids(site) if site.image_detail(i).portfolio_link]
    assert 0 < len(portfolio) < len(oracle.image_ids(site))
    image_id = next(i for i in oracle.image_ids(site) if len(site.image_detail(i).galleries) >= 2)
    page = Selector(text=pages.render_image(site, image_id, None, "/x"))
    line = page.xpath('//td[@class="textsm"][b="Galleries:"]//a[contains(@href, "GALLERY_ID=")]')
    assert [(int(a.attrib["href"].split("=")[1]), a.xpath("string()").get()) for a in line] == [
        (g["gallery_id"], g["name"]) for g in oracle.expected_image(site, image_id)["galleries"]
    ]


def test_results_without_show_full_are_paged() -> None:
    site = Site(seed=3, challenges=4, entries=23)
    cid = oracle.finished_challenge_ids(site)[0]
    first = Selector(text=pages.render_results(site, cid, None, "/x", page=1))
    third = Selector(text=pages.render_results(site, cid, None, "/x", page=3))
    row = '//tr[@class="forum-bg1"][td[@width="160"]]/td[1]/a/@href'
    ids = [e.image_id for e in site.entries(cid)]
    assert [int(h.split("=")[1]) for h in first.xpath(row).getall()] == ids[:10]
    assert [int(h.split("=")[1]) for h in third.xpath(row).getall()] == ids[20:]
    links = first.xpath('//a[contains(@href, "&page=")]/@href').getall()
    assert f"/challenge_results.php?CHALLENGE_ID={cid}&page=2" in links
    assert "Showing results <b>1 - 10</b> of <b>23</b>" in first.get()
    assert "Showing results <b>21 - 23</b> of <b>23</b>" in third.get()
    assert "nextoff.gif" in third.get() and "3y.gif" in third.get()


def test_results_paging_and_short_faults(replica: Replica) -> None:
    site = replica.site
    cid = oracle.finished_challenge_ids(site)[0]
    url = f"{replica.base_url}/challenge_results.php?CHALLENGE_ID={cid}"
    rows = '//tr[@class="forum-bg1"][td[@width="160"]]'
    total = len(site.entries(cid))
    assert len(fetch(url + "&show_full=1").selector.xpath(rows)) == total
    unpaged = fetch(url)
    assert len(unpaged.selector.xpath(rows)) == min(total, pages.RESULTS_PAGE_SIZE)
    assert "Pages:" in unpaged.text
    replica.reset_faults(FaultConfig(paged_results_ids={cid}, odd_row_ids={cid}))
    paged = fetch(url + "&show_full=1")
    assert "Pages:" in paged.text and "Entry withdrawn" in paged.text
    replica.reset_faults(FaultConfig(short_results_ids={cid}))
    short = fetch(url + "&show_full=1")
    assert "Pages:" not in short.text


def test_frame_only_image_pages(replica: Replica) -> None:
    site = replica.site
    once, always = oracle.image_ids(site)[:2]
    replica.reset_faults(FaultConfig(frame_only_ids={once}, permanent_frame_only_ids={always}))
    url = f"{replica.base_url}/image.php?IMAGE_ID="
    frame = fetch(url + str(once))
    assert 'td id="img_container"' in frame.text and "Reuse_Prohibited" not in frame.text
    assert "Statistics" not in frame.text and "</html>" in frame.text
    assert "Reuse_Prohibited" in fetch(url + str(once)).text
    for _ in range(2):
        assert "Reuse_Prohibited" not in fetch(url + str(always)).text
    assert [r.fault for r in replica.page_requests()] == [
        "frame_only",
        None,
        "frame_only",
        "frame_only",
    ]


# ---- faults -----------------------------------------------------------------------------


def test_ban_every_then_clears(replica: Replica) -> None:
    replica.faults.ban_every = 2
    replica.faults.ban_length = 1
    url = f"{replica.base_url}/challenge_history.php?show_all=1"
    bodies = [fetch(url).text for _ in range(4)]
    assert [BAN_TEXT in b for b in bodies] == [False, False, True, False]
    assert len(bodies[2]) < 1024 and "<h1>Attention</h1>" in bodies[2]
    assert [r.fault for r in replica.page_requests()] == [None, None, "ban", None]


def test_ban_ids_and_window(replica: Replica) -> None:
    image_id = first_entry(replica.site)
    url = f"{replica.base_url}/image.php?IMAGE_ID={image_id}"
    replica.faults.ban_ids = {image_id}
    assert BAN_TEXT in fetch(url).text and BAN_TEXT not in fetch(url).text
    replica.faults.permanent_ban_ids = {image_id}
    assert BAN_TEXT in fetch(url).text and BAN_TEXT in fetch(url).text
    replica.reset_faults(FaultConfig(ban_every=1, ban_seconds=0.3))
    assert BAN_TEXT not in fetch(url).text
    assert BAN_TEXT in fetch(url).text
    time.sleep(0.35)
    assert BAN_TEXT not in fetch(url).text


def test_429_and_503_bursts(replica: Replica) -> None:
    replica.reset_faults(FaultConfig(status_429_every=1, status_429_length=1))
    url = f"{replica.base_url}/challenge_history.php?show_all=1"
    assert fetch(url).status == 200
    limited = fetch(url)
    assert limited.status == 429 and limited.headers["Retry-After"] == "1"
    assert fetch(url).status == 200
    replica.reset_faults(FaultConfig(status_503_every=1, status_503_length=2))
    assert [fetch(url).status for _ in range(4)] == [200, 503, 503, 200]


def test_truncated_with_content_length(replica: Replica) -> None:
    image_id = first_entry(replica.site)
    replica.faults.truncate_ids = {image_id}
    parts = urlsplit(replica.base_url)
    connection = http.client.HTTPConnection(parts.hostname, parts.port, timeout=10)
    connection.request("GET", f"/image.php?IMAGE_ID={image_id}")
    response = connection.getresponse()
    declared = int(response.headers["Content-Length"])
    with pytest.raises(http.client.IncompleteRead) as cut:
        response.read()
    connection.close()
    assert len(cut.value.partial) < declared
    full = fetch(f"{replica.base_url}/image.php?IMAGE_ID={image_id}")  # the retry is whole
    assert len(full.body) == declared and full.text.rstrip().endswith("</html>")


def test_truncated_without_content_length(replica: Replica) -> None:
    replica.reset_faults(FaultConfig(truncate_every=1, truncate_mode="no_length"))
    url = oracle.results_url(replica.site, oracle.finished_challenge_ids(replica.site)[0])
    assert fetch(url).text.rstrip().endswith("</html>")
    cut = fetch(url)
    assert cut.status == 200 and "Content-Length" not in cut.headers
    assert cut.headers["Connection"] == "close" and "</html>" not in cut.text
    assert fetch(url).text.rstrip().endswith("</html>")


def test_slow_responses(replica: Replica) -> None:
    replica.faults.slow_seconds = 0.3
    replica.faults.slow_paths = ("/challenge_history.php",)
    started = time.monotonic()
    fetch(f"{replica.base_url}/challenge_history.php?show_all=1")
    assert time.monotonic() - started >= 0.3
    replica.faults.slow_mode = "within"
    started = time.monotonic()
    assert fetch(f"{replica.base_url}/challenge_history.php?show_all=1").status == 200
    assert time.monotonic() - started >= 0.3
    started = time.monotonic()
    fetch(f"{replica.base_url}/index.php")
    assert time.monotonic() - started < 0.3


def test_cp1252_pages(replica: Replica) -> None:
    site = replica.site
    image_id = oracle.em_dash_image_ids(site)[0]
    url = oracle.image_page_url(site, image_id)
    normal = fetch(url)
    replica.faults.cp1252_ids = {image_id}
    legacy = fetch(url)
    assert legacy.headers["Content-Type"] == "text/html"
    assert b"\x97" in legacy.body and b"charset" not in legacy.body.lower()
    with pytest.raises(UnicodeDecodeError):
        legacy.body.decode("utf-8")
    assert legacy.body.decode("cp1252") == normal.text.replace(pages.META_CHARSET, "")


# ---- request log and CLI ----------------------------------------------------------------


def test_request_log_records_requests(replica: Replica) -> None:
    headers = {"User-Agent": "replica-test/1.0", "Referer": f"{replica.base_url}/index.php"}
    fetch(f"{replica.base_url}/index.php", headers=headers)
    image_id = first_entry(replica.site)
    fetch(oracle.expected_image(replica.site, image_id)["thumbnail_url"], headers=headers)
    first, second = replica.requests
    assert (first.host, first.method, first.path) == ("pages", "GET", "/index.php")
    assert first.status == 200
    assert first.header("user-agent") == "replica-test/1.0" and first.bytes_sent > 1000
    assert second.host == "images" and second.header("Referer") == headers["Referer"]
    assert second.time >= first.time


def test_cli_serves_and_stops_cleanly() -> None:
    root = Path(__file__).resolve().parents[1]
    process = subprocess.Popen(
        [sys.executable, "-m", "dpchallenge.replica", *CLI_ARGS.split()],
        cwd=root,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert process.stdout is not None
        line = process.stdout.readline()
        match = re.fullmatch(r"replica pages=(http://\S+) images=(http://\S+)\n", line)
        assert match, line
        assert "Crawl-delay: 2" in fetch(f"{match.group(1)}/robots.txt").text
        assert fetch(f"{match.group(2)}/robots.txt").status == 200
    finally:
        process.terminate()
        assert process.wait(timeout=10) == 0
