"""The parsers on saved pages of the real site, kept beside the checkout in ../shared/site-samples/
by the maintainers (third-party pages, never in this repository): skipped where it is absent."""

from __future__ import annotations

from conftest import page_response

from dpchallenge.pages import parse_history, parse_image, parse_results

SITE = "https://www.dpchallenge.com"


def load(samples, name: str, url: str):
    return page_response((samples / name).read_bytes(), url)


def test_history_capture(samples):
    result = parse_history(
        load(
            samples,
            "challenge_history_show_all_first60rows.html",
            f"{SITE}/challenge_history.php?show_all=1",
        )
    )
    assert result.kind == "history"
    assert len(result.items) == 60  # the 61st row is cut off in the capture
    first = result.items[0]
    assert (first.challenge_id, first.name, first.kind) == (
        4192,
        "Celebrations IV (ARCHIVAL)",
        "member",
    )
    assert (first.rules_id, first.rules_name, first.extra_rules) == (
        19,
        "Standard Editing",
        "Archival",
    )
    assert (first.submission_start, first.submission_end) == ("2026-08-14", "2026-08-27")
    assert (first.entries, first.highest_score, first.avg_score) == (20, 7.4722, 6.1453)
    assert (first.median_score, first.lowest_score, first.votes) == (6.0278, 4.8571, 716)
    assert (first.avg_votes, first.comments, first.avg_comments) == (36, 24, 1)
    shapes = next(row for row in result.items if row.challenge_id == 4190)
    assert shapes.name == "Shapes in Black & White II"
    assert shapes.votes == 1477
    assert {row.kind for row in result.items} <= {"member", "open"}
    assert all(row.submission_start and row.submission_end for row in result.items)


def test_results_capture(samples):
    url = f"{SITE}/challenge_results.php?CHALLENGE_ID=1303&show_full=1"
    result = parse_results(
        load(samples, "challenge_results_CHALLENGE_ID_1303_show_full_trimmed.html", url)
    )
    assert result.kind == "results"
    challenge, entries = result.items[0], result.items[1:]
    assert challenge.status == "finished"
    assert (challenge.challenge_id, challenge.name, challenge.kind) == (
        1303,
        "Posthumous Ribbon",
        "open",
    )
    assert (challenge.rules_id, challenge.rules_name) == (17, "Advanced Editing VII")
    assert challenge.description == "Submit a photo that you think could win a Posthumous Ribbon."
    assert "FORUM_THREAD_ID=971036" in challenge.description_html
    assert (challenge.submission_start, challenge.submission_end) == ("2010-11-19", "2010-11-25")
    assert (challenge.voting_start, challenge.voting_end) == ("2010-11-26", "2010-12-02")
    assert (challenge.entries, challenge.disqualifications) == (133, 0)
    assert (challenge.votes, challenge.comments) == (23001, 1867)
    assert (challenge.avg_score, challenge.highest_score) == (5.50554, 6.7797)
    assert (challenge.median_score, challenge.lowest_score) == (5.4673, 3.9167)
    assert len(entries) == 17  # rows 9-124 were trimmed from the capture
    assert challenge.results_incomplete is True  # so the trimmed listing is not taken for whole
    assert result.stats == {"results/short_page": 1} and result.other_pages == []
    assert all(e.disqualified is False for e in entries)
    assert [e.place for e in entries] == [*range(1, 9), *range(125, 134)]
    assert [e.ribbon for e in entries[:4]] == [1, 2, 3, None]
    first = entries[0]
    assert (first.image_id, first.title, first.photographer_id, first.photographer_name) == (
        921577,
        "three stories",
        38032,
        "tate",
    )
    assert (first.avg_vote, first.votes, first.views, first.views_during_voting) == (
        6.7797,
        177,
        4881,
        383,
    )
    assert (first.avg_participants, first.avg_non_participants) == (6.95, 6.639)
    assert first.thumbnail_url.endswith("/1303/120/Copyrighted_Image_Reuse_Prohibited_921577.jpg")
    assert first.image_url.endswith("/1303/1200/Copyrighted_Image_Reuse_Prohibited_921577.jpg")
    assert any(e.title == '"The Parliament of Birds"' for e in entries)
    assert all(e.challenge_id == 1303 and e.avg_vote and e.votes for e in entries)


def test_invalid_results_capture(samples):
    url = f"{SITE}/challenge_results.php?CHALLENGE_ID=75&show_full=1"
    result = parse_results(load(samples, "challenge_results_invalid_id_75.html", url))
    assert result.kind == "invalid"
    [challenge] = result.items
    assert (challenge.challenge_id, challenge.status, challenge.name, challenge.entries) == (
        75,
        "invalid",
        None,
        None,
    )


def test_image_capture(samples):
    url = f"{SITE}/image.php?IMAGE_ID=921974"
    result = parse_image(load(samples, "image_IMAGE_ID_921974_anonymous.html", url))
    assert result.kind == "image"
    assert not result.missing
    assert result.stats == {"image/histogram/absent_anonymous": 1}
    [image] = result.items
    assert (image.image_id, image.title, image.photographer_id, image.photographer_name) == (
        921974,
        "Disconnect",
        75618,
        "odriew",
    )
    assert (image.challenge_id, image.challenge_name) == (1303, "Posthumous Ribbon")
    assert (image.camera, image.camera_id, image.lens_id) == ("Nikon D60", 1743, 1632)
    assert image.lens == "Nikon AF-S DX Zoom Nikkor 55-200mm f/4-5.6G IF-ED VR"
    assert (image.aperture, image.iso, image.shutter, image.extra_info) == (None, None, None, {})
    assert image.galleries == []  # the panel is there, with no Galleries line
    assert (image.aperture_f, image.shutter_s, image.iso_value) == (None, None, None)
    assert image.camera_make == "Nikon"
    assert (image.taken_on, image.uploaded_on) == ("2010-11-25", "2010-11-25")
    assert image.photographer_comment.startswith("A rather ordinary late afternoon stroll")
    assert "\n\n[Dec. 2nd, 2010 09:02:27 PM]\n\n" in image.photographer_comment
    assert "<br><br>[Dec. 2nd, 2010" in image.photographer_comment_html
    assert (image.place, image.place_of, image.disqualified) == (22, 133, False)
    assert (image.avg_all, image.avg_commenters) == (6.152, 7.85)
    assert (image.avg_participants, image.avg_non_participants) == (6.5875, 5.7692)
    assert (image.views_since_voting, image.views_during_voting) == (1333, 358)
    assert (image.votes, image.comment_count, image.favorites) == (171, 29, 3)
    assert image.vote_counts is None  # anonymous pages have no breakdown
    assert image.image_url == (
        "https://images.dpchallenge.com/images_challenge/1000-1999/1303/1200/"
        "Copyrighted_Image_Reuse_Prohibited_921974.jpg"
    )
    assert image.thumbnail_url == image.image_url.replace("/1200/", "/120/")

    comments = image.comments
    assert len(comments) == 29
    assert sum(c.during_challenge for c in comments) == 23
    assert [c.during_challenge for c in comments[:7]] == [False] * 6 + [True]
    newest = comments[0]
    assert (newest.comment_id, newest.author_id, newest.author_name, newest.author_role) == (
        6970835,
        114285,
        "Neat",
        "Member",
    )
    assert (newest.posted_at, newest.text, newest.helpful) == (
        "2013-02-03T20:14:44-05:00",
        "Sensational!",
        True,
    )
    assert comments[1].posted_at == "2012-07-02T20:54:45-04:00"  # summer time
    assert comments[1].author_role == "Registered User"
    assert comments[6].posted_at == "2010-12-02T19:55:55-05:00"  # the newest made during voting
    assert comments[5].posted_at == "2010-12-03T00:17:59-05:00"  # the oldest made after
    assert "Site Council" in {c.author_role for c in comments}
    assert len({c.comment_id for c in comments}) == 29
    blues = next(c for c in comments if c.comment_id == 6242356)
    assert blues.text == (
        "wow, this is just stunning.\n"
        "I'm giving 5 ribbons total. This is one of my Posthumous Blues."
    )
    assert '<img src="//blackyak.com/dpc/bluepost.jpg"' in blues.html
    assert "it\u2019s a wonderful learning place" in comments[6].text
    assert all(c.text and c.html and c.posted_at and c.author_id for c in comments)
