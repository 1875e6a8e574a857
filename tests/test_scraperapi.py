"""ScraperAPI through a local stand-in: every request keyed, the site's URLs kept, no key left."""

from __future__ import annotations

import asyncio
import base64
import datetime
import ipaddress
import json
from pathlib import Path
from types import SimpleNamespace
from urllib.parse import parse_qs, quote, urlsplit

import pytest
from crawling import run_crawl
from scrapy import Request
from scrapy.exceptions import DownloadFailedError, DownloadTimeoutError, UsageError
from scrapy.http import HtmlResponse, Response
from scrapy.settings import Settings
from standins.scraperapi import VIA, ScraperApiStandIn

from dpchallenge.access.scraperapi import (
    MIN_TIMEOUT,
    ScraperApiDownloadHandler,
    ScraperApiFailed,
    scraperapi_settings,
)
from dpchallenge.replica import Replica

KEY = "sapi-Zq7vKx4TEST-dpc9f31e0b8"
CREDENTIALS = base64.b64encode(f"scraperapi:{KEY}".encode())
FORBIDDEN = (KEY.encode(), quote(KEY, safe="").encode(), CREDENTIALS)
DATASET = {
    "challenges.jsonl": "challenge_id",
    "entries.jsonl": "image_id",
    "images.jsonl": "image_id",
}
FAILED_STAT = "retry/reason_count/dpchallenge.access.scraperapi.ScraperApiFailed"


# ---- helpers --------------------------------------------------------------------------------


def dataset(data: Path) -> dict:
    """Every record the crawl wrote, by file and id, without the crawl time."""
    found = {}
    for name, key in DATASET.items():
        path = data / name
        if not path.exists():
            continue
        for line in path.read_text(encoding="utf-8").splitlines():
            record = json.loads(line)
            record.pop("crawled_at", None)
            found[(name, record[key])] = record
    return found


def urls_in(value):
    """The URL fields of a record (`url`, `*_url`), nested ones included."""
    if isinstance(value, list):
        for item in value:
            yield from urls_in(item)
    elif isinstance(value, dict):
        for key, item in value.items():
            if (key == "url" or key.endswith("_url")) and isinstance(item, str):
                yield item
            else:
                yield from urls_in(item)


def scraperapi_env() -> dict:
    return {"SCRAPERAPI_KEY": KEY}


def scraperapi_settings_for(standin, mode: str, **extra) -> dict:
    return {
        "SCRAPERAPI_MODE": mode,
        "SCRAPERAPI_PROXY": standin.proxy_url,
        "SCRAPERAPI_API_URL": standin.api_url,
        **extra,
    }


def crawl_both(replica, data: Path, settings: dict, env: dict | None = None) -> list:
    return [
        run_crawl("challenges", replica, data, settings=settings, env=env),
        run_crawl("images", replica, data, settings=settings, env=env),
    ]


def assert_clean(run) -> None:
    assert run.returncode == 0, run.log[-3000:]
    assert run.stats["finish_reason"] == "finished"
    assert "Traceback" not in run.log, run.log[-3000:]


def through_scraperapi(replica, data: Path, mode: str, tmp: Path) -> dict:
    """Both spiders through the stand-in, with JOBDIR, the HTTP cache and DEBUG logging on."""
    replica.clear_requests()
    with ScraperApiStandIn(KEY) as standin:
        runs = []
        for spider in ("challenges", "images"):
            settings = scraperapi_settings_for(
                standin,
                mode,
                JOBDIR=str(tmp / "job" / spider),
                HTTPCACHE_ENABLED="True",
                HTTPCACHE_DIR=str(tmp / "cache"),
                LOG_LEVEL="DEBUG",
            )
            runs.append(run_crawl(spider, replica, data, settings=settings, env=scraperapi_env()))
        return {
            "data": data,
            "tmp": tmp,
            "runs": runs,
            "site_requests": replica.requests,
            "standin_requests": standin.requests,
        }


# ---- crawls shared by the tests -------------------------------------------------------------


@pytest.fixture(scope="module")
def replica():
    with Replica(seed=5, challenges=3, entries=3) as running:
        yield running


@pytest.fixture(scope="module")
def direct(replica, tmp_path_factory) -> dict:
    data = tmp_path_factory.mktemp("direct")
    for run in crawl_both(replica, data, {}):
        assert_clean(run)
    written = dataset(data)
    assert written
    return written


@pytest.fixture(scope="module")
def proxied(replica, tmp_path_factory) -> dict:
    tmp = tmp_path_factory.mktemp("proxied")
    return through_scraperapi(replica, tmp / "data", "proxy", tmp)


@pytest.fixture(scope="module")
def via_api(replica, tmp_path_factory) -> dict:
    tmp = tmp_path_factory.mktemp("api")
    return through_scraperapi(replica, tmp / "data", "api", tmp)


# ---- proxy mode -----------------------------------------------------------------------------


def test_proxy_mode_writes_what_a_direct_crawl_writes(proxied, direct):
    for run in proxied["runs"]:
        assert_clean(run)
    assert dataset(proxied["data"]) == direct


def test_proxy_mode_sends_every_request_through_the_proxy_with_the_key(proxied):
    standin, site = proxied["standin_requests"], proxied["site_requests"]
    assert standin
    assert {r.kind for r in standin} == {"proxy"}
    assert all(r.key_ok and r.forwarded for r in standin)
    assert len(standin) == len(site)
    assert all(r.header("Via") == VIA for r in site), "a request reached the site directly"
    assert not any(r.header("Proxy-Authorization") for r in site)
    assert {r.host for r in site} == {"pages", "images"}


def test_proxy_mode_records_carry_the_sites_urls(proxied, replica):
    for record in dataset(proxied["data"]).values():
        for url in urls_in(record):
            assert url.startswith((replica.base_url, replica.images_url)), url


# ---- API mode -------------------------------------------------------------------------------


def test_api_mode_writes_what_a_direct_crawl_writes(via_api, direct):
    for run in via_api["runs"]:
        assert_clean(run)
    assert dataset(via_api["data"]) == direct


def test_api_mode_asks_the_api_for_every_request_with_the_key(via_api, replica):
    standin, site = via_api["standin_requests"], via_api["site_requests"]
    assert standin
    assert {r.kind for r in standin} == {"api"}
    assert all(r.key_ok and r.forwarded for r in standin)
    assert all(r.url.startswith((replica.base_url, replica.images_url)) for r in standin)
    assert len(standin) == len(site)
    assert all(r.header("Via") == VIA for r in site), "a request reached the site directly"


def test_api_mode_records_and_log_carry_the_sites_urls(via_api, replica):
    for record in dataset(via_api["data"]).values():
        for url in urls_in(record):
            assert url.startswith((replica.base_url, replica.images_url)), url
    for run in via_api["runs"]:
        assert "Crawled (200) <GET " + replica.base_url in run.log
        assert "api_key" not in run.log


# ---- the key is nowhere ---------------------------------------------------------------------


@pytest.mark.parametrize("crawl", ["proxied", "via_api"])
def test_the_key_is_in_no_file_the_crawl_wrote(crawl, request):
    crawled = request.getfixturevalue(crawl)
    tmp = crawled["tmp"]
    assert any((tmp / "cache").rglob("*")), "the HTTP cache was not written"
    assert any((tmp / "job").rglob("*")), "JOBDIR was not written"
    assert any(Path(f"{crawled['data']}-logs").glob("*.log"))
    files = [path for path in tmp.rglob("*") if path.is_file()]
    assert len(files) > 20
    for path in files:
        content = path.read_bytes()
        for form in FORBIDDEN:
            assert form not in content, f"the key is in {path}"
    for run in crawled["runs"]:
        assert "DEBUG" in run.log
        for form in FORBIDDEN:
            assert form.decode() not in run.log


def test_the_key_as_a_setting_is_refused_and_not_printed(replica, tmp_path):
    run = run_crawl("images", replica, tmp_path, settings={"SCRAPERAPI_KEY": KEY})
    assert run.returncode != 0
    assert "SCRAPERAPI_KEY" in run.log and "environment" in run.log
    assert KEY not in run.log
    for path in tmp_path.rglob("*"):
        if path.is_file():
            assert KEY.encode() not in path.read_bytes(), path


# ---- ScraperAPI's failures and its timeouts -------------------------------------------------


@pytest.mark.parametrize("mode", ["proxy", "api"])
def test_scraperapi_failure_pages_are_retried(mode, replica, direct, tmp_path):
    with ScraperApiStandIn(KEY) as standin:
        standin.fail_next(3)
        settings = scraperapi_settings_for(standin, mode)
        run = run_crawl("challenges", replica, tmp_path, settings=settings, env=scraperapi_env())
        failed = [r for r in standin.requests if r.status == 500 and not r.forwarded]
    assert_clean(run)
    assert len(failed) == 3
    assert run.stat(FAILED_STAT) == 3
    assert run.stat("retry/count") >= 3
    assert not run.stat("retry/max_reached")
    wanted = {k: v for k, v in direct.items() if k[0] != "images.jsonl"}
    assert dataset(tmp_path) == wanted
    assert KEY not in run.log


def test_a_short_download_timeout_leaves_scraperapi_time_to_answer(replica, direct, tmp_path):
    challenge_id = next(k[1] for k in direct if k[0] == "challenges.jsonl")
    with ScraperApiStandIn(KEY, delay=1.2) as standin:
        settings = scraperapi_settings_for(standin, "api", DOWNLOAD_TIMEOUT="0.5")
        run = run_crawl(
            "results",
            replica,
            tmp_path,
            f"challenge_ids={challenge_id}",
            settings=settings,
            env=scraperapi_env(),
        )
    assert_clean(run)
    assert not run.stat("retry/count")
    assert not any("Timeout" in key for key in run.stats)
    assert ("challenges.jsonl", challenge_id) in dataset(tmp_path)


# ---- HTTPS through the proxy: the key goes on the CONNECT, never to the site -----------------


@pytest.fixture(scope="module")
def certificate(tmp_path_factory) -> tuple[str, str]:
    """A self-signed certificate for 127.0.0.1, as ScraperAPI's proxy presents its own."""
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    folder = tmp_path_factory.mktemp("tls")
    private = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "127.0.0.1")])
    now = datetime.datetime.now(datetime.UTC)
    certificate = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(private.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(days=1))
        .not_valid_after(now + datetime.timedelta(days=1))
        .add_extension(
            x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]),
            critical=False,
        )
        .sign(private, hashes.SHA256())
    )
    cert_path, key_path = folder / "cert.pem", folder / "key.pem"
    cert_path.write_bytes(certificate.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(
        private.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    return str(cert_path), str(key_path)


def test_https_pages_go_through_a_keyed_connect_and_the_key_never_reaches_the_site(
    replica, direct, certificate, tmp_path
):
    https_base = replica.base_url.replace("http://", "https://")
    replica.clear_requests()
    with ScraperApiStandIn(KEY, tls=certificate) as standin:
        settings = scraperapi_settings_for(standin, "proxy", DPC_BASE_URL=https_base)
        run = run_crawl("challenges", replica, tmp_path, settings=settings, env=scraperapi_env())
        asked = standin.requests
    site = replica.requests
    assert_clean(run)
    connects = [r for r in asked if r.kind == "connect"]
    tunnelled = [r for r in asked if r.kind == "tunnel"]
    assert connects and all(r.key_ok for r in connects)
    assert tunnelled and all(r.url.startswith(https_base) for r in tunnelled)
    assert not any(r.header("Proxy-Authorization") for r in tunnelled)
    assert all(r.key_ok for r in asked)
    assert len([r for r in asked if r.forwarded]) == len(site)
    assert all(r.header("Via") == VIA for r in site)
    assert not any(r.header("Proxy-Authorization") for r in site)
    wanted = {
        key: json.loads(json.dumps(record).replace(f"{replica.base_url}/", f"{https_base}/"))
        for key, record in direct.items()
        if key[0] != "images.jsonl"
    }
    assert dataset(tmp_path) == wanted


# ---- the handler on its own -----------------------------------------------------------------


class FakeInner:
    """Stands for Scrapy's HTTP handler: keeps what it was given, answers with a set response."""

    def __init__(self, body=b"<html>page</html>", status=200, error=None):
        self.body, self.status, self.error = body, status, error
        self.sent: list[Request] = []

    async def download_request(self, request):
        self.sent.append(request)
        request.meta["download_latency"] = 0.25
        if self.error is not None:
            raise self.error
        headers = {"Content-Type": "text/html; charset=utf-8"}
        return Response(request.url, status=self.status, headers=headers, body=self.body)

    async def close(self):
        pass


def handler_for(mode: str, inner: FakeInner) -> ScraperApiDownloadHandler:
    settings = Settings(
        {
            "SCRAPERAPI_MODE": mode,
            "SCRAPERAPI_PROXY": "http://proxy.standin.test:8001",
            "SCRAPERAPI_API_URL": "https://api.standin.test/",
            "DOWNLOAD_TIMEOUT": 90,
        }
    )
    return ScraperApiDownloadHandler(SimpleNamespace(settings=settings), inner=inner)


def site_request() -> Request:
    return Request(
        "https://www.dpchallenge.com/image.php?IMAGE_ID=7",
        headers={"Referer": "https://www.dpchallenge.com/"},
        meta={"download_timeout": 5, "dpc_id": 7},
    )


def test_without_a_key_requests_go_to_the_site_untouched(monkeypatch):
    monkeypatch.delenv("SCRAPERAPI_KEY", raising=False)
    inner = FakeInner()
    request = site_request()
    asyncio.run(handler_for("proxy", inner).download_request(request))
    assert inner.sent == [request]
    assert "proxy" not in request.meta


def test_proxy_mode_keys_a_copy_and_leaves_scrapys_request_alone(monkeypatch):
    monkeypatch.setenv("SCRAPERAPI_KEY", KEY)
    inner = FakeInner()
    request = site_request()
    response = asyncio.run(handler_for("proxy", inner).download_request(request))
    (sent,) = inner.sent
    assert sent is not request
    assert sent.url == request.url
    assert sent.meta["proxy"] == "http://proxy.standin.test:8001"
    assert sent.headers[b"Proxy-Authorization"] == b"Basic " + CREDENTIALS
    assert sent.meta["download_timeout"] == MIN_TIMEOUT
    assert b"Proxy-Authorization" not in request.headers
    assert "proxy" not in request.meta
    assert request.meta["download_timeout"] == 5
    assert request.meta["download_latency"] == 0.25
    assert response.url == request.url


def test_api_mode_answers_with_the_sites_url_and_request(monkeypatch):
    monkeypatch.setenv("SCRAPERAPI_KEY", KEY)
    inner = FakeInner()
    request = site_request()
    response = asyncio.run(handler_for("api", inner).download_request(request))
    (sent,) = inner.sent
    parts = urlsplit(sent.url)
    assert f"{parts.scheme}://{parts.netloc}{parts.path}" == "https://api.standin.test/"
    assert parse_qs(parts.query) == {"api_key": [KEY], "url": [request.url]}
    assert request.url == "https://www.dpchallenge.com/image.php?IMAGE_ID=7"
    assert isinstance(response, HtmlResponse)
    assert response.url == request.url
    assert response.request is request


@pytest.mark.parametrize("mode", ["proxy", "api"])
def test_a_failure_page_raises_a_retried_error_without_the_key(monkeypatch, mode):
    monkeypatch.setenv("SCRAPERAPI_KEY", KEY)
    inner = FakeInner(body=b"Request failed. You will not be charged for this request.", status=500)
    with pytest.raises(ScraperApiFailed) as raised:
        asyncio.run(handler_for(mode, inner).download_request(site_request()))
    assert isinstance(raised.value, DownloadFailedError)
    assert "Request failed" in str(raised.value)
    assert KEY not in str(raised.value)
    retried = Settings().getlist("RETRY_EXCEPTIONS")
    assert "scrapy.exceptions.DownloadFailedError" in retried


def test_an_error_naming_the_api_url_is_retold_with_the_sites_url(monkeypatch):
    monkeypatch.setenv("SCRAPERAPI_KEY", KEY)
    request = site_request()
    api_url = f"https://api.standin.test/?api_key={KEY}&url={quote(request.url, safe='')}"
    cause = TimeoutError(f"waiting for {api_url}")
    error = DownloadTimeoutError(f"Getting {api_url} took longer than 80.0 seconds.")
    error.__cause__ = cause
    inner = FakeInner(error=error)
    with pytest.raises(DownloadTimeoutError) as raised:
        asyncio.run(handler_for("api", inner).download_request(request))
    assert raised.value is not error
    assert str(raised.value) == f"Getting {request.url} took longer than 80.0 seconds."
    assert raised.value.__cause__ is None and raised.value.__suppress_context__


# ---- concurrency ----------------------------------------------------------------------------


def project_settings(**cmdline) -> Settings:
    settings = Settings()
    settings.setmodule("dpchallenge.settings", priority="project")
    settings.setdict(cmdline, priority="cmdline")
    return settings


def test_scraperapi_concurrency_replaces_the_per_domain_limit(monkeypatch):
    monkeypatch.setenv("SCRAPERAPI_KEY", KEY)
    settings = project_settings(CONCURRENT_REQUESTS_PER_DOMAIN=4, SCRAPERAPI_CONCURRENCY=12)
    scraperapi_settings(settings)
    assert settings.getint("CONCURRENT_REQUESTS_PER_DOMAIN") == 12
    assert settings.getint("CONCURRENT_REQUESTS") == 12
    assert settings.getfloat("AUTOTHROTTLE_TARGET_CONCURRENCY") == 12


def test_without_a_key_concurrency_stays_polite(monkeypatch):
    monkeypatch.delenv("SCRAPERAPI_KEY", raising=False)
    settings = project_settings()
    scraperapi_settings(settings)
    assert settings.getint("CONCURRENT_REQUESTS_PER_DOMAIN") == 1


def test_an_unknown_mode_is_refused():
    with pytest.raises(UsageError, match="SCRAPERAPI_MODE"):
        scraperapi_settings(project_settings(SCRAPERAPI_MODE="socks"))


def test_a_crawl_applies_scraperapi_concurrency(monkeypatch):
    """Needs ScraperApiAddon in the project's ADDONS."""
    from scrapy.crawler import Crawler

    from dpchallenge.spiders.images import ImagesSpider

    monkeypatch.setenv("SCRAPERAPI_KEY", KEY)
    crawler = Crawler(ImagesSpider, project_settings(CONCURRENT_REQUESTS_PER_DOMAIN=4))
    crawler.addons.load_settings(crawler.settings)  # as the crawl does before the engine starts
    assert crawler.settings.getint("CONCURRENT_REQUESTS_PER_DOMAIN") == 5
