"""The widget's scripts and the demo host site, over plain HTTP."""

from __future__ import annotations

import gzip
import re

import httpx

from tests.e2e import widget_helpers
from tests.e2e.widget_helpers import EMBED, DemoSite

site = widget_helpers.site


def test_the_widget_scripts_are_public_cacheable_and_small(live_server: str):
    for path, limit in (("/widget.js", 1536), ("/widget/app.js", 12 * 1024)):
        got = httpx.get(live_server + path, headers={"Origin": "https://shop.example.com"})
        assert got.status_code == 200
        assert got.headers["content-type"] == "application/javascript; charset=utf-8"
        assert got.headers["cache-control"] == "public, max-age=300"
        assert got.headers["access-control-allow-origin"] == "*"
        assert len(gzip.compress(got.content, 9)) < limit, path
        if path == "/widget/app.js":  # sent compressed (httpx asks for gzip and decodes it)
            assert got.headers["content-encoding"] == "gzip"
            assert int(got.headers["content-length"]) < limit
        etag = got.headers["etag"]
        again = httpx.get(live_server + path, headers={"If-None-Match": etag})
        assert again.status_code == 304
        assert again.headers["etag"] == etag
        assert again.content == b""


def test_the_demo_pages_embed_the_widget_with_one_tag(site: DemoSite):
    for path in ("/demo", "/demo/pricing", "/demo/app", "/demo/app/billing"):
        got = httpx.get(site.url(path))
        assert got.status_code == 200, path
        assert got.text.count("/widget.js") == 1
        assert EMBED in got.text
        assert "admin@example.com" in got.text and "overture-demo" in got.text


def test_the_demo_without_demo_data_says_how_to_make_it(live_server: str):
    got = httpx.get(live_server + "/demo")
    assert got.status_code == 404
    text = re.sub(r"<[^>]+>", "", got.text)
    assert "Run overture demo to create the demo data" in text
