"""Shared test helpers: responses built from saved pages."""

from __future__ import annotations

from pathlib import Path

import pytest
from scrapy.http import HtmlResponse

FIXTURES = Path(__file__).parent / "fixtures"
SAMPLES = Path(__file__).resolve().parents[2] / "shared" / "site-samples"


def page_response(body: bytes, url: str, headers: dict | None = None) -> HtmlResponse:
    return HtmlResponse(url=url, body=body, headers=headers or {})


@pytest.fixture
def samples() -> Path:
    if not SAMPLES.is_dir():
        pytest.skip("../shared/site-samples/ is not here")
    return SAMPLES
