"""What the workers of one crawl share in Redis besides scrapy-redis's queue and seen-set.

- `alive:<worker>`: set with a short expiry and renewed while the worker runs;
- `inflight:<worker>`: the pages (`kind:id`) it took from the queue and has not finished;
- `settled`: pages given up on or known to give no record (invalid ids) in this crawl;
- `next:<slot>`: the earliest time the next request to a host may leave, fleet-wide;
- `places`: the requests in flight through ScraperAPI, fleet-wide, up to its concurrency.

A killed worker's in-flight pages are taken over (SPOP: each by one worker only) and queued again.
"""

from __future__ import annotations

import redis

ALIVE_SECONDS = 10
# Atomically: the wait before this request may leave, and the next free time for the host.
RESERVE = """
local now = redis.call('TIME')
local t = tonumber(now[1]) + tonumber(now[2]) / 1000000
local nxt = tonumber(redis.call('GET', KEYS[1]) or '0')
local start = math.max(t, nxt)
redis.call('SET', KEYS[1], string.format('%.6f', start + tonumber(ARGV[1])), 'EX', 86400)
return string.format('%.6f', start - t)
"""


# A request through ScraperAPI holds one of the fleet's places until it ends; a place whose
# worker died is freed once it is older than the longest a request may take.
TAKE_PLACE = """
local now = redis.call('TIME')
local t = tonumber(now[1]) + tonumber(now[2]) / 1000000
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', t - tonumber(ARGV[3]))
if redis.call('ZCARD', KEYS[1]) < tonumber(ARGV[1]) then
  redis.call('ZADD', KEYS[1], t, ARGV[2])
  return 1
end
return 0
"""


def page_key(kind: str, record_id) -> str:
    return f"{kind}:{'' if record_id is None else record_id}"


def parse_page_key(key: str) -> tuple[str, int | None]:
    kind, _, raw = key.partition(":")
    return kind, (int(raw) if raw else None)


class Fleet:
    def __init__(self, url: str, spider_name: str, worker: str):
        self.server = redis.Redis.from_url(url, decode_responses=True)
        self.prefix = f"dpc:{spider_name}:"
        self.worker = worker
        self._reserve = self.server.register_script(RESERVE)
        self._take_place = self.server.register_script(TAKE_PLACE)

    def key(self, *parts: str) -> str:
        return self.prefix + ":".join(parts)

    # ---- liveness ------------------------------------------------------------------------
    def beat(self) -> None:
        pipe = self.server.pipeline()
        pipe.set(self.key("alive", self.worker), "1", ex=ALIVE_SECONDS)
        pipe.sadd(self.key("workers"), self.worker)
        pipe.execute()

    def leave(self) -> None:
        self.server.delete(self.key("alive", self.worker))

    def others_alive(self) -> list[str]:
        return [
            worker
            for worker in self.server.smembers(self.key("workers"))
            if worker != self.worker and self.server.exists(self.key("alive", worker))
        ]

    def dead_workers(self) -> list[str]:
        alive = set(self.others_alive()) | {self.worker}
        return [w for w in self.server.smembers(self.key("workers")) if w not in alive]

    # ---- pages in flight -----------------------------------------------------------------
    def taken(self, kind: str, record_id) -> None:
        self.server.sadd(self.key("inflight", self.worker), page_key(kind, record_id))

    def finished(self, kind: str, record_id) -> None:
        self.server.srem(self.key("inflight", self.worker), page_key(kind, record_id))

    def settle(self, kind: str, record_id) -> None:
        pipe = self.server.pipeline()
        pipe.sadd(self.key("settled"), page_key(kind, record_id))
        pipe.srem(self.key("inflight", self.worker), page_key(kind, record_id))
        pipe.execute()

    def settled(self) -> set[tuple[str, int | None]]:
        return {parse_page_key(k) for k in self.server.smembers(self.key("settled"))}

    def in_flight_elsewhere(self) -> set[tuple[str, int | None]]:
        pages = set()
        for worker in self.others_alive():
            pages |= {parse_page_key(k) for k in self.server.smembers(self.key("inflight", worker))}
        return pages

    def take_over(self, worker: str) -> list[tuple[str, int | None]]:
        """The pages a gone worker held, each handed to one taker only."""
        pages = []
        while (key := self.server.spop(self.key("inflight", worker))) is not None:
            pages.append(parse_page_key(key))
        self.server.srem(self.key("workers"), worker)
        return pages

    # ---- the end of a crawl ----------------------------------------------------------------
    def forget_crawl(self, queue_key: str, seen_key: str) -> None:
        """After the fleet finished: a later run starts afresh, not filtered by this one."""
        self.server.delete(queue_key, seen_key, self.key("settled"), self.key("workers"))

    # ---- politeness ------------------------------------------------------------------------
    def reserve(self, slot: str, delay: float) -> float:
        """Seconds to wait before a request to `slot` may leave, the fleet's delay kept."""
        return float(self._reserve(keys=[self.key("next", slot)], args=[f"{delay:.6f}"]))

    def take_place(self, token: str, places: int, longest: float) -> bool:
        """One of the fleet's `places` for a request through ScraperAPI, if one is free."""
        key = self.key("places")
        return bool(self._take_place(keys=[key], args=[places, token, f"{longest:.3f}"]))

    def free_place(self, token: str) -> None:
        self.server.zrem(self.key("places"), token)
