"""Serve the replica until interrupted: python -m dpchallenge.replica --seed 1 --port 8080."""

from __future__ import annotations

import argparse
import signal
import threading
from types import FrameType

from dpchallenge.replica.server import FaultConfig, Replica


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m dpchallenge.replica", description=__doc__)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--challenges", type=int, default=20)
    parser.add_argument("--entries", type=int, default=12, help="entries per challenge")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=0, help="pages port (0: any free port)")
    parser.add_argument("--image-port", type=int, default=0, help="images port (0: any free)")
    parser.add_argument("--crawl-delay", type=float, default=0, help="robots.txt Crawl-delay")
    parser.add_argument("--username", default="tester")
    parser.add_argument("--password", default="s3cret-pass")
    parser.add_argument(
        "--faults",
        default="",
        help="comma list of FaultConfig fields, e.g. ban_every=20,ban_length=2,cp1252_ids=1+2",
    )
    args = parser.parse_args(argv)

    replica = Replica(
        seed=args.seed,
        challenges=args.challenges,
        entries=args.entries,
        faults=FaultConfig.from_spec(args.faults),
        port=args.port,
        image_port=args.image_port,
        host=args.host,
        crawl_delay=args.crawl_delay,
        username=args.username,
        password=args.password,
    )
    stopping = threading.Event()

    def request_stop(signum: int, frame: FrameType | None) -> None:
        stopping.set()

    signal.signal(signal.SIGINT, request_stop)
    signal.signal(signal.SIGTERM, request_stop)
    replica.start()
    print(f"replica pages={replica.base_url} images={replica.images_url}", flush=True)
    try:
        while not stopping.wait(0.5):
            pass
    finally:
        replica.stop()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
