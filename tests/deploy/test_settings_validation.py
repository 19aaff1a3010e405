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
