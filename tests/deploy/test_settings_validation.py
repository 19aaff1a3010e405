"""Settings read from the environment are checked when they load: a wrong value stops the start
with ImproperlyConfigured naming the variable, never a 500 at the first request that needs it."""

from __future__ import annotations

import pytest

from tests.deploy.test_deploy import run_python


@pytest.mark.parametrize("value", ["2015", "2015Q5", "Q1 2015", "1899Q4", "soon"])
def test_a_wrong_first_quarter_stops_the_start_naming_the_variable(value):
    bad = run_python("import django; django.setup()", CERTTRACK_FIRST_QUARTER=value)
    assert bad.returncode != 0
    assert "ImproperlyConfigured" in bad.stderr and "CERTTRACK_FIRST_QUARTER" in bad.stderr


def test_a_first_quarter_from_the_environment_is_read_and_normalised():
    out = run_python(
        "from django.conf import settings; print(settings.CERTTRACK['FIRST_QUARTER'])",
        CERTTRACK_FIRST_QUARTER="2018-q3",
    )
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "2018Q3"


def _base_url(**env: str):
    return run_python("from django.conf import settings; print(settings.CERTTRACK_BASE_URL)", **env)


def test_production_refuses_to_start_without_an_address_for_mail_links():
    bad = _base_url(ALLOWED_HOSTS="certtrack.example.gov.cn,10.0.0.5", CERTTRACK_BASE_URL="")
    assert bad.returncode != 0
    assert "ImproperlyConfigured" in bad.stderr and "CERTTRACK_BASE_URL" in bad.stderr


def test_production_derives_the_address_from_the_one_allowed_host():
    out = _base_url(ALLOWED_HOSTS="certtrack.example.gov.cn", CERTTRACK_BASE_URL="")
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "https://certtrack.example.gov.cn"  # TLS at the proxy


def test_production_takes_the_address_it_is_given_and_refuses_one_without_a_scheme():
    out = _base_url(
        ALLOWED_HOSTS="a.example.gov.cn,b.example.gov.cn",
        CERTTRACK_BASE_URL="https://certtrack.example.gov.cn/",
    )
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "https://certtrack.example.gov.cn"
    bad = _base_url(CERTTRACK_BASE_URL="certtrack.example.gov.cn")
    assert bad.returncode != 0 and "CERTTRACK_BASE_URL" in bad.stderr


def test_make_run_links_mails_to_the_address_it_serves():
    from tests.deploy.test_deploy import ROOT

    makefile = (ROOT / "Makefile").read_text()
    run = makefile.split("\nrun:", 1)[1].split("\n\n", 1)[0]
    assert "CERTTRACK_BASE_URL=http://$(HOST):$(PORT)" in run
    assert "runserver $(HOST):$(PORT)" in run
