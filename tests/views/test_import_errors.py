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


def test_preview_separates_locked_values_from_those_that_change_once_corrected(
    official, tree, certs, orgs
):
    make_count(tree["a"], certs, Quarter(2020, 3), 10, status=S.APPROVED)
    make_count(tree["c"], certs, Quarter(2020, 3), 7, status=S.SUBMITTED)
    response = upload(
        official,
        row(2, "990100", "2020Q3", 12, 5),  # certificates approved: locked; orgs 5 may change
        row(3, "990300", "2020Q3", 9),  # awaiting review: locked
        row(4, "990100", "2020Q2", "x"),  # a bad number: the file has a problem to correct
    )
    assert response.status_code == 400
    locked = [(line["row"], line["indicator"].code, line["status"])
              for line in response.context["locked_lines"]]  # fmt: skip
    assert locked == [(2, "certificates", S.APPROVED), (3, "certificates", S.SUBMITTED)]
    changing = [(line["row"], line["indicator"].code) for line in response.context["lines"]]
    assert changing == [(2, "organizations")]
    page = response.content.decode()
    assert "2 values cannot be changed: they are approved or awaiting review" in page
    assert "1 value of the file would change once every problem is corrected" in page


def test_import_and_submit_says_the_counts_were_submitted_for_review(official, tree):
    upload(official, row(2, "990100", "2020Q3", 120, 50))
    token = official.session["certtrack_import"]["token"]
    # the form asked for "submit" at upload: a draft import says it is not yet submitted
    response = official.post(reverse("indicators:import_confirm"), {"token": token}, follow=True)
    text = [str(m) for m in response.context["messages"]]
    assert text == [
        "Imported counts.xlsx: 2 values changed in 1 region-quarters, saved as drafts "
        "(not yet submitted for review)."
    ]
    data = H.package(H.sheet(row(2, "990100", "2020Q4", 130, 60)))
    official.post(IMPORT, {"file": SimpleUploadedFile("q4.xlsx", data), "submit": "on"})
    token = official.session["certtrack_import"]["token"]
    response = official.post(reverse("indicators:import_confirm"), {"token": token}, follow=True)
    assert [str(m) for m in response.context["messages"]] == [
        "Imported q4.xlsx: 2 values changed in 1 region-quarters and submitted for review."
    ]
    assert set(
        QuarterlyCount.objects.filter(year=2020, quarter=4).values_list("status", flat=True)
    ) == {S.SUBMITTED}
