"""The report's region (issue 12.11): without ``region`` the download covers the user's one top
region (docs/excel.md); a user with several top regions chooses on the page."""

from __future__ import annotations

import pytest
from django.urls import reverse

from regions.models import Membership
from tests.conftest import PASSWORD, make_user

EXPORT = reverse("indicators:report_export")
PAGE = reverse("indicators:reports")
RANGE = {"start": "2023Q1", "end": "2023Q4"}
Role = Membership.Role


@pytest.fixture
def people(tree, certs, orgs, django_user_model):
    return dict(
        one=make_user(django_user_model, "one", (Role.ANALYST, tree["province"])),
        two=make_user(
            django_user_model,
            "two",
            (Role.ANALYST, tree["province"]),
            (Role.ANALYST, tree["other"]),
        ),  # fmt: skip
        city=make_user(django_user_model, "city", (Role.LEADER, tree["b"])),
    )


def signed_in(client, name):
    client.logout()
    assert client.login(username=name, password=PASSWORD)
    client.defaults["HTTP_ACCEPT_LANGUAGE"] = "en"
    return client


@pytest.mark.parametrize(("name", "code"), [("one", "990000"), ("city", "990200")])
def test_one_top_region_is_the_default_of_the_download_and_the_page(client, people, name, code):
    client = signed_in(client, name)
    response = client.get(EXPORT, RANGE)
    assert response.status_code == 200
    assert code in response["Content-Disposition"]
    page = client.get(PAGE).content.decode()
    assert f'<option value="{code}" selected>' in page


def test_several_top_regions_choose_on_the_page_and_in_the_url(client, people):
    client = signed_in(client, "two")
    page = client.get(PAGE).content.decode()
    select = page.split('name="region"')[1].split("</select>")[0]
    assert '<option value="" selected>— choose a region —</option>' in select
    assert select.count("selected>") == 1  # no region chosen for the user
    response = client.get(EXPORT, RANGE)
    assert response.status_code == 400
    text = response.content.decode()
    assert "Choose the region of the report" in text and "errorlist" in text
    assert client.get(EXPORT, {"region": "880000", **RANGE}).status_code == 200
    assert client.get(EXPORT, {"region": "990000", **RANGE}).status_code == 200


def test_the_default_never_reaches_outside_the_scope(client, people):
    client = signed_in(client, "city")
    assert client.get(EXPORT, {"region": "990000", **RANGE}).status_code == 404
