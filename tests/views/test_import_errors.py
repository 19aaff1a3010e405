"""One upload shows every problem of the file: format errors and the services' rules together,
each by row and column, in the order of the file; a preview with errors promises no change."""

from __future__ import annotations

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import translation

from bench import hostile_xlsx as H
from indicators.models import QuarterlyCount
from indicators.periods import Quarter
from regions.models import Membership
from tests.conftest import PASSWORD, make_count, make_user

S = QuarterlyCount.Status
IMPORT = reverse("indicators:import")


@pytest.fixture
def official(client, django_user_model, tree, certs, orgs):
    make_user(
        django_user_model,
        "off",
        (Membership.Role.OFFICIAL, tree["a"]),
        (Membership.Role.OFFICIAL, tree["c"]),
    )
    client.login(username="off", password=PASSWORD)
    client.defaults["HTTP_ACCEPT_LANGUAGE"] = "en"
    yield client
    translation.deactivate()  # the English pages leave English active in this thread


def row(number, region, period, certs="", orgs="") -> str:
    cells = H.text_cell(f"A{number}", region) + H.text_cell(f"B{number}", period)
    for column, value in (("C", certs), ("D", orgs)):
        if isinstance(value, str) and value:
            cells += H.text_cell(f"{column}{number}", value)
        elif value != "":
            cells += f'<c r="{column}{number}"><v>{value}</v></c>'
    return f'<row r="{number}">{cells}</row>'


def upload(client, *rows):
    data = H.package(H.sheet(*rows))
    return client.post(IMPORT, {"file": SimpleUploadedFile("counts.xlsx", data)})


def test_format_and_rule_errors_are_reported_together_by_row_and_column(
    official, tree, certs, orgs
):
    make_count(tree["a"], orgs, Quarter(2020, 3), 40, status=S.APPROVED)
    make_count(tree["c"], certs, Quarter(2020, 2), 7, status=S.SUBMITTED)
    response = upload(
        official,
        row(2, "990100", "2020Q3", "abc", 50),  # a bad number, and an approved count changed
        row(3, "990300", "2020Q3", 10, 20),  # organizations > certificates
        row(4, "990200", "2020Q3", 5),  # a region outside the official's scope
        row(5, "990300", "2020Q2", 8),  # a count awaiting review changed
        row(6, "990100", "2020Q2", "1,5"),  # never 15
    )
    assert response.status_code == 400
    issues = [(i.row, i.column, i.message[:40]) for i in response.context["issues"]]
    assert issues == [
        (2, "C", "C2: “abc” is not a whole number."),
        (2, "D", "Organizations for 2020Q3 is approved and"),
        (3, "D", "Certified organizations (20) cannot exce"),
        (4, "A", "You may not enter counts for region 9902"),
        (5, "C", "Certificates for 2020Q2 is awaiting revi"),
        (6, "C", "C6: “1,5” is not a whole number."),
    ]
    page = response.content.decode()
    assert "The file has 6 problems" in page
    assert "values will change" not in page
    assert "would change once every problem is corrected; nothing changes now" in page
    assert "certtrack_import" not in official.session  # nothing to confirm
    assert list(QuarterlyCount.objects.values_list("value", flat=True).order_by("pk")) == [40, 7]


def test_a_file_without_problems_still_says_what_will_change(official, tree):
    response = upload(official, row(2, "990100", "2020Q3", "1,200", "１，０００"))
    assert response.status_code == 200
    page = response.content.decode()
    assert "2 values will change" in page and "problem" not in page
    assert official.session["certtrack_import"]["changes"][0]["values"] == {
        "certificates": 1200,
        "organizations": 1000,
    }


def test_a_locked_value_and_the_consistency_rule_of_the_same_row_are_both_reported(
    official, tree, certs
):
    make_count(tree["a"], certs, Quarter(2020, 3), 10, status=S.APPROVED)
    response = upload(official, row(2, "990100", "2020Q3", 12, 30))
    issues = [(i.row, i.column, i.message[:40]) for i in response.context["issues"]]
    assert issues == [
        (2, "C", "Certificates for 2020Q3 is approved and "),
        (2, "D", "Certified organizations (30) cannot exce"),
    ]
