"""The lock-out counts the real client (issue 12.9): X-Real-IP / X-Forwarded-For are believed
only from proxies named in CERTTRACK_TRUSTED_PROXIES; by default the socket's address counts."""

from __future__ import annotations

import ipaddress

import pytest
from django.test import RequestFactory

from certtrack.security import client_ip
from tests.conftest import PASSWORD, make_user
from tests.deploy.test_deploy import run_python


def nets(*items):
    return [ipaddress.ip_network(i, strict=False) for i in items]


def ip(settings, remote, proxies=(), **headers):
    settings.CERTTRACK_TRUSTED_PROXIES = nets(*proxies)
    request = RequestFactory().get("/", REMOTE_ADDR=remote, **headers)
    return client_ip(request)


def test_by_default_headers_are_ignored_and_the_socket_counts(settings):
    settings.SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")  # behind a proxy
    assert ip(settings, "203.0.113.9", HTTP_X_REAL_IP="10.9.9.9") == "203.0.113.9"
    assert ip(settings, "203.0.113.9", HTTP_X_FORWARDED_FOR="10.9.9.9") == "203.0.113.9"
    assert ip(settings, "127.0.0.1", HTTP_X_REAL_IP="10.9.9.9") == "127.0.0.1"


def test_headers_from_a_client_that_is_not_a_named_proxy_are_ignored(settings):
    proxies = ("127.0.0.1", "10.0.0.0/24")
    assert ip(settings, "203.0.113.9", proxies, HTTP_X_REAL_IP="1.2.3.4") == "203.0.113.9"
    assert ip(settings, "10.0.1.5", proxies, HTTP_X_FORWARDED_FOR="1.2.3.4") == "10.0.1.5"


def test_a_named_proxy_names_the_client(settings):
    proxies = ("127.0.0.1", "10.0.0.0/24", "::1")
    assert ip(settings, "127.0.0.1", proxies, HTTP_X_REAL_IP="198.51.100.7") == "198.51.100.7"
    assert ip(settings, "::1", proxies, HTTP_X_REAL_IP="2001:db8::5") == "2001:db8::5"
    # X-Forwarded-For: the right-most address that is not a trusted proxy; the left-most
    # entries are whatever the client wrote.
    xff = "6.6.6.6, 198.51.100.7, 10.0.0.3"
    assert ip(settings, "127.0.0.1", proxies, HTTP_X_FORWARDED_FOR=xff) == "198.51.100.7"
    # X-Real-IP set by the proxy next to gunicorn is itself a trusted balancer: use the chain.
    assert ip(settings, "127.0.0.1", proxies, HTTP_X_REAL_IP="10.0.0.3",
              HTTP_X_FORWARDED_FOR="198.51.100.7, 10.0.0.3") == "198.51.100.7"  # fmt: skip


@pytest.mark.parametrize(
    "headers",
    [
        {"HTTP_X_REAL_IP": "not-an-address"},
        {"HTTP_X_REAL_IP": "<script>"},
        {"HTTP_X_FORWARDED_FOR": "1.2.3.4, garbage"},
        {"HTTP_X_FORWARDED_FOR": ""},
        {"HTTP_X_REAL_IP": "999.1.1.1"},
    ],
)
def test_unreadable_headers_count_as_absent(settings, headers):
    assert ip(settings, "127.0.0.1", ("127.0.0.1",), **headers) == "127.0.0.1"


def test_a_spoofed_header_does_not_bypass_the_lockout(client, django_user_model, settings):
    make_user(django_user_model, "official_x")
    settings.SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")  # as under bin/serve
    settings.CERTTRACK_TRUSTED_PROXIES = []
    for n in range(settings.AXES_FAILURE_LIMIT):
        client.post("/accounts/login/", {"username": "official_x", "password": "wrong"},
                    HTTP_X_REAL_IP=f"10.0.0.{n}", HTTP_X_FORWARDED_FOR=f"10.1.0.{n}")  # fmt: skip
    response = client.post("/accounts/login/", {"username": "official_x", "password": PASSWORD},
                           HTTP_X_REAL_IP="10.0.0.99")  # fmt: skip
    assert response.status_code == 429


def test_the_setting_is_read_from_the_environment_and_checked(tmp_path):
    out = run_python(
        "from django.conf import settings; print(settings.CERTTRACK_TRUSTED_PROXIES)",
        CERTTRACK_TRUSTED_PROXIES="127.0.0.1, 10.0.0.0/8",
    )
    assert "IPv4Network('127.0.0.1/32')" in out.stdout and "10.0.0.0/8" in out.stdout
    bad = run_python("import django; django.setup()", CERTTRACK_TRUSTED_PROXIES="10.0.0.300")
    assert bad.returncode != 0 and "CERTTRACK_TRUSTED_PROXIES" in bad.stderr
