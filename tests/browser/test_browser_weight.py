"""Weight of a cold page load, as `make run` and production serve it: at most 1.5 MB.

The server here is configured as `make run` is (CERTTRACK_COMPRESSED_STATIC: collectstatic with
whitenoise's CompressedManifestStaticFilesStorage, hashed names even with DEBUG, into a temporary folder, whitenoise serving only
the collected files, hashed names, gzip copies), not live_server's finders, which send every file
uncompressed. Headless Chromium counts the bytes on the wire of every response (CDP
Network.loadingFinished encodedDataLength: headers and compressed body) of a load with an empty
cache: a chart page (the Gansu dashboard, the heaviest) and a page without charts, which must not
load plotly.js at all.
"""

from __future__ import annotations

import threading

import pytest
from django.contrib.auth import get_user_model
from django.core.handlers.wsgi import WSGIHandler
from django.core.management import call_command
from django.core.servers.basehttp import ThreadedWSGIServer, WSGIRequestHandler
from django.test import Client

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

LIMIT = 1_500_000  # bytes transferred by a cold load (issue 18)


class QuietHandler(WSGIRequestHandler):
    def log_message(self, *args):
        pass


@pytest.fixture
def compressed_server(demo, settings, tmp_path):
    """A WSGI server in a thread with the static settings of `make run`."""
    settings.STATIC_ROOT = tmp_path / "static"
    settings.STORAGES = {
        **settings.STORAGES,
        "staticfiles": {"BACKEND": "certtrack.storage.CompressedHashedStaticFilesStorage"},
    }
    settings.WHITENOISE_USE_FINDERS = False
    settings.WHITENOISE_AUTOREFRESH = False
    settings.DEBUG = True  # as `make run`: the names are hashed all the same
    call_command("collectstatic", interactive=False, verbosity=0)
    server = ThreadedWSGIServer(("127.0.0.1", 0), QuietHandler, allow_reuse_address=False)
    server.set_app(WSGIHandler())  # built now: whitenoise reads the settings above
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


def cold_load(browser, base: str, username: str, path: str, *, charts: bool) -> dict:
    """Load ``path`` signed in as ``username`` in a fresh context (empty cache); bytes per URL."""
    client = Client()
    client.force_login(get_user_model().objects.get(username=username))
    context = browser.new_context(locale="zh-CN")
    context.add_cookies(
        [{"name": "sessionid", "value": client.cookies["sessionid"].value, "url": base}]
    )
    page = context.new_page()
    cdp = context.new_cdp_session(page)
    cdp.send("Network.enable")
    cdp.send("Network.setCacheDisabled", {"cacheDisabled": True})
    urls: dict[str, str] = {}
    sizes: dict[str, int] = {}
    headers: dict[str, dict] = {}

    def on_response(event):
        urls[event["requestId"]] = event["response"]["url"]
        headers[event["response"]["url"]] = {
            k.lower(): v for k, v in event["response"]["headers"].items()
        }

    def on_finished(event):
        sizes[urls.get(event["requestId"], event["requestId"])] = int(event["encodedDataLength"])

    cdp.on("Network.responseReceived", on_response)
    cdp.on("Network.loadingFinished", on_finished)
    response = page.goto(f"{base}{path}")
    assert response.ok and "/accounts/login/" not in page.url
    if charts:
        page.wait_for_selector("[data-chart][data-drawn='1']")
    page.wait_for_load_state("networkidle")
    context.close()
    return {"sizes": sizes, "headers": headers}


def test_cold_load_of_a_chart_page_is_small_and_plotly_is_gzipped_and_hashed(
    browser, compressed_server
):
    load = cold_load(browser, compressed_server, "leader_gansu", "/regions/620000/", charts=True)
    sizes, headers = load["sizes"], load["headers"]
    total = sum(sizes.values())
    assert total <= LIMIT, sorted(sizes.items(), key=lambda kv: -kv[1])[:5]
    plotly = [url for url in sizes if "/static/vendor/plotly/" in url]
    assert len(plotly) == 1, plotly
    url = plotly[0]
    assert "plotly-cartesian.min.js" not in url  # a content hash in the name
    assert headers[url].get("content-encoding") == "gzip"
    assert "immutable" in headers[url]["cache-control"]
    assert sizes[url] < 600_000  # 1.4 MB minified, about 0.47 MB gzipped
    # The page's own stylesheets are compressed and hashed as well.
    css = [u for u in sizes if u.endswith(".css")]
    assert css and all(headers[u].get("content-encoding") == "gzip" for u in css)


def test_cold_load_of_a_page_without_charts_loads_no_plotly(browser, compressed_server):
    load = cold_load(browser, compressed_server, "official_lanzhou", "/tasks/", charts=False)
    sizes = load["sizes"]
    assert not [url for url in sizes if "plotly" in url], list(sizes)
    assert sum(sizes.values()) <= 300_000, sizes
