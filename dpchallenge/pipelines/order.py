"""A challenge's record is written only after every entry its results pages gave.

The entries wait for their thumbnails in the media pipeline while the challenge record would go
straight through; written first, it would tell a rerun that the challenge is done although a
`kill -9` may still take its entries. Held here until they have left the pipelines, a finished
record in challenges.jsonl means its rows are in entries.jsonl, whatever the rows without an
entry (a removed one without links) that Submissions counts.
"""

from __future__ import annotations

import asyncio
from collections import defaultdict

from scrapy import signals

from dpchallenge.items import ChallengeItem, EntryItem


class ChallengeAfterEntries:
    def __init__(self, crawler):
        self.in_flight: dict[int, set[int]] = defaultdict(set)  # challenge id → id() of entries
        self.idle: dict[int, asyncio.Event] = {}
        for signal in (signals.item_scraped, signals.item_dropped, signals.item_error):
            crawler.signals.connect(self.left, signal=signal)

    @classmethod
    def from_crawler(cls, crawler):
        return cls(crawler)

    async def process_item(self, item):
        if isinstance(item, EntryItem):
            self.in_flight[item.challenge_id].add(id(item))
        elif isinstance(item, ChallengeItem):
            while self.in_flight.get(item.challenge_id):
                event = self.idle.setdefault(item.challenge_id, asyncio.Event())
                await event.wait()
        return item

    def left(self, item, **kwargs) -> None:
        if not isinstance(item, EntryItem):
            return
        waiting = self.in_flight.get(item.challenge_id)
        if waiting is None:
            return
        waiting.discard(id(item))
        if not waiting:
            del self.in_flight[item.challenge_id]
            if event := self.idle.pop(item.challenge_id, None):
                event.set()
