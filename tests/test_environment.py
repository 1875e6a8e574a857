"""Every setting of the README's table from the environment (-s wins); unknown ones refused."""

from __future__ import annotations

import json
import re
import subprocess
import sys

import pytest
from crawling import ROOT, child_env, crawl_command

from dpchallenge.environment import ENVIRONMENT_ONLY, FROM_ENVIRONMENT
from dpchallenge.replica import Replica

SECRETS = ("SCRAPERAPI_KEY", "DPC_USERNAME", "DPC_PASSWORD")
# Values a crawler accepts for the settings whose values are checked or a choice.
VALUES = {
    "SCRAPERAPI_MODE": ("api", "proxy"),
    "DPC_ARCHIVE": ("0", "1"),
    "DPC_REPLAY": ("1", "0"),
    "HTTPCACHE_ENABLED": ("True", "False"),
    "REDIS_URL": ("redis://env.invalid:6379/0", "redis://cmdline.invalid:6379/1"),
    "SPLASH_URL": ("http://env.invalid:8050", "http://cmdline.invalid:8050"),
}
SEEN_BY_CRAWLER = """
import json, sys
from scrapy.crawler import Crawler
from scrapy.utils.project import get_project_settings
from dpchallenge.spiders.images import ImagesSpider
settings = get_project_settings()
settings.setdict(json.loads(sys.argv[2]), priority="cmdline")
crawler = Crawler(ImagesSpider, settings)
print(json.dumps({name: str(crawler.settings.get(name)) for name in json.loads(sys.argv[1])}))
"""


def readme_settings() -> list[str]:
    """The names in the first column of the README's settings table."""
    text = (ROOT / "README.md").read_text()
    section = text.split("\n## Settings\n", 1)[1].split("\n## ", 1)[0]
    names = []
    for line in section.splitlines():
        if line.startswith("| `"):
            names += re.findall(r"`([A-Z][A-Z0-9_]+)`", line.split("|")[1])
    return names


def value_for(name: str, which: int) -> str:
    if name in VALUES:
        return VALUES[name][which]
    if re.search(r"(PAUSE|BANS|BYTES|RETRIES|BACKOFF|DELAY|CONCURRENCY|INTERVAL|WINDOW)", name):
        return str(7 + which)
    if name == "DPC_DRIFT_THRESHOLD":
        return ("0.35", "0.45")[which]
    if name.endswith("_URL"):
        return f"http://{('env', 'cmdline')[which]}.invalid/{name.lower()}"
    return f"{('env', 'cmdline')[which]}-{name.lower().replace('_', '-')}"


def seen_by_crawler(names, env, cmdline) -> dict[str, str]:
    done = subprocess.run(
        [sys.executable, "-c", SEEN_BY_CRAWLER, json.dumps(names), json.dumps(cmdline)],
        cwd=ROOT,
        env=child_env(env),
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    return json.loads(done.stdout.splitlines()[-1])


def test_the_readme_table_is_what_the_environment_gives():
    names = readme_settings()
    assert "REDIS_URL" in names and "DPC_WORKER" in names and "DPC_DRIFT_WINDOW" in names
    assert set(names) == set(FROM_ENVIRONMENT) | set(SECRETS)
    assert set(SECRETS) <= set(ENVIRONMENT_ONLY)


def test_every_setting_of_the_readme_comes_from_the_environment_and_s_wins():
    names = [name for name in readme_settings() if name not in SECRETS]
    from_env = {name: value_for(name, 0) for name in names}
    assert seen_by_crawler(names, from_env, {}) == from_env
    from_cmdline = {name: value_for(name, 1) for name in names}
    assert seen_by_crawler(names, from_env, from_cmdline) == from_cmdline


@pytest.mark.parametrize(
    ("settings", "env", "meant"),
    [
        pytest.param({"DPC_DATA_DIRR": "{tmp}/typo"}, {}, "DPC_DATA_DIR", id="-s DPC_DATA_DIRR"),
        pytest.param({}, {"DPC_BASE_URLL": "http://x.invalid"}, "DPC_BASE_URL", id="env URLL"),
        pytest.param({"SCRAPERAPI_PROXI": "http://p.invalid"}, {}, "SCRAPERAPI_PROXY", id="proxi"),
    ],
)
def test_an_unknown_setting_is_refused_naming_the_closest(tmp_path, settings, env, meant):
    settings = {k: v.format(tmp=tmp_path) for k, v in settings.items()}
    data = tmp_path / "data"
    with Replica(seed=5, challenges=2, entries=3) as replica:
        command = crawl_command("challenges", replica, data, (), settings)
        done = subprocess.run(
            command, cwd=ROOT, env=child_env(env), capture_output=True, text=True, timeout=60
        )
        requests = replica.requests
    assert done.returncode == 2, done.stderr[-2000:]
    assert "Traceback" not in done.stderr
    message = [line for line in done.stderr.splitlines() if "scrapy crawl challenges:" in line]
    assert len(message) == 1 and f"did you mean {meant}?" in message[0], done.stderr[-2000:]
    assert done.stderr.count("scrapy crawl") == 1
    assert requests == []
    assert sorted(p.name for p in tmp_path.iterdir()) == [], "nothing written"
