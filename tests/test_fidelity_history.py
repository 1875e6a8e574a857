"""What only the history list shows joins a results page's record, from any source."""

from __future__ import annotations

from dpchallenge.items import ChallengeItem, HistoryRow
from dpchallenge.pages.history import fill_from_history


def test_history_fills_only_what_the_results_page_left_null():
    challenge = ChallengeItem(7, status="finished", name="Shapes", kind="open")
    row = HistoryRow(
        7, name="Shapes (ARCHIVAL)", kind="member", extra_rules="Archival", rules_id=19
    )
    assert fill_from_history(challenge, row) == ["extra_rules", "rules_id"]
    assert (challenge.name, challenge.kind, challenge.extra_rules) == ("Shapes", "open", "Archival")


def test_a_challenges_jsonl_record_is_a_source_too():
    challenge = ChallengeItem(7, status="finished")
    assert fill_from_history(challenge, {"challenge_id": 7, "extra_rules": "No flash"}) == [
        "extra_rules"
    ]
    assert challenge.extra_rules == "No flash"


def test_nothing_joins_an_invalid_challenge_or_without_a_source():
    invalid = ChallengeItem(7, status="invalid")
    assert fill_from_history(invalid, {"extra_rules": "x"}) == [] and invalid.extra_rules is None
    assert fill_from_history(ChallengeItem(8, status="finished"), None) == []
