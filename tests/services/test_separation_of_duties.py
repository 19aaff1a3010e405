"""Separation of duties (issue 12.8): nobody approves or returns counts they entered or
submitted themselves (CERTTRACK_SEPARATION_OF_DUTIES, on by default)."""

import pytest
from django.core.exceptions import PermissionDenied
from django.urls import reverse

from indicators.models import QuarterlyCount
from indicators.periods import Quarter
from indicators.services.counts import counts_save, counts_submit
from indicators.services.review import counts_approve, counts_reopen, counts_return
from regions.models import Membership
from tests.conftest import PASSWORD, make_user

Role = Membership.Role
S = QuarterlyCount.Status
P = Quarter(2024, 2)
NEW = {"certificates": None, "organizations": None}


@pytest.fixture
def people(tree, certs, orgs, django_user_model):
    return dict(
        # both roles: an official of A and a reviewer of the province
        both=make_user(
            django_user_model, "both", (Role.OFFICIAL, tree["a"]), (Role.REVIEWER, tree["province"])
        ),  # fmt: skip
        official=make_user(django_user_model, "off", (Role.OFFICIAL, tree["a"])),
        reviewer=make_user(django_user_model, "rev", (Role.REVIEWER, tree["province"])),
        admin=make_user(django_user_model, "root", superuser=True),
    )


def versions(region):
    rows = QuarterlyCount.objects.filter(region=region, year=P.year, quarter=P.quarter)
    return NEW | {c.indicator.code: c.version for c in rows}


def enter(user, tree, values=None, submit=True):
    counts_save(
        user=user, region=tree["a"], period=P, values=values or {"certificates": 10,
        "organizations": 5}, expected_versions=versions(tree["a"]), submit=submit,
    )  # fmt: skip


def statuses():
    return set(QuarterlyCount.objects.values_list("status", flat=True))


@pytest.mark.parametrize("decide", ["approve", "return"])
def test_a_reviewer_cannot_decide_on_counts_they_entered_and_submitted(people, tree, decide):
    enter(people["both"], tree)
    with pytest.raises(PermissionDenied, match="职责分离"):  # "separation of duties"
        if decide == "approve":
            counts_approve(user=people["both"], region=tree["a"], period=P)
        else:
            counts_return(user=people["both"], region=tree["a"], period=P, comment="no")
    assert statuses() == {S.SUBMITTED}
    counts_approve(user=people["reviewer"], region=tree["a"], period=P)  # another reviewer
    assert statuses() == {S.APPROVED}


def test_entering_a_draft_that_someone_else_submits_still_counts(people, tree):
    enter(people["both"], tree, submit=False)  # entered
    counts_submit(user=people["official"], region=tree["a"], period=P,
                  expected_versions=versions(tree["a"]))  # fmt: skip
    with pytest.raises(PermissionDenied):
        counts_approve(user=people["both"], region=tree["a"], period=P)


def test_submitting_what_someone_else_entered_counts_too(people, tree):
    enter(people["official"], tree, submit=False)
    counts_submit(user=people["both"], region=tree["a"], period=P,
                  expected_versions=versions(tree["a"]))  # fmt: skip
    with pytest.raises(PermissionDenied):
        counts_return(user=people["both"], region=tree["a"], period=P, comment="x")


def test_a_superuser_is_no_exception(people, tree):
    enter(people["admin"], tree)
    with pytest.raises(PermissionDenied):
        counts_approve(user=people["admin"], region=tree["a"], period=P)


def test_after_a_review_round_only_the_new_entries_count(people, tree):
    # "both" entered; another reviewer returned; the official corrected and resubmitted:
    # the values now awaiting review are the official's, so "both" may decide on them.
    enter(people["both"], tree)
    counts_return(user=people["reviewer"], region=tree["a"], period=P, comment="fix")
    enter(people["official"], tree, {"certificates": 11, "organizations": 5})
    counts_approve(user=people["both"], region=tree["a"], period=P)
    assert statuses() == {S.APPROVED}


def test_reopening_is_not_deciding(people, tree):
    enter(people["both"], tree)
    counts_approve(user=people["reviewer"], region=tree["a"], period=P)
    counts_reopen(user=people["both"], region=tree["a"], period=P, reason="typo")
    assert statuses() == {S.RETURNED}


def test_the_setting_turns_it_off(people, tree, settings):
    settings.CERTTRACK = settings.CERTTRACK | {"SEPARATION_OF_DUTIES": False}
    enter(people["both"], tree)
    counts_approve(user=people["both"], region=tree["a"], period=P)
    assert statuses() == {S.APPROVED}


def test_it_is_on_by_default():
    from certtrack import settings as project

    assert project.CERTTRACK["SEPARATION_OF_DUTIES"] is True


# --- pages --------------------------------------------------------------------------------


def test_review_page_and_queue_say_why_no_decision_is_offered(people, tree, client):
    enter(people["both"], tree)
    assert client.login(username="both", password=PASSWORD)
    client.defaults["HTTP_ACCEPT_LANGUAGE"] = "en"
    page = client.get(reverse("indicators:review", args=["990100", str(P)])).content.decode()
    assert 'value="approve"' not in page and 'value="return"' not in page
    assert "separation of duties" in page
    queue = client.get(reverse("indicators:review_queue"), {"period": str(P)}).content.decode()
    assert "another reviewer decides" in queue
    forged = client.post(reverse("indicators:review", args=["990100", str(P)]),
                         {"action": "approve", "comment": ""} | {
                             f"version_{k}": v for k, v in versions(tree["a"]).items()})  # fmt: skip
    assert forged.status_code == 403
    assert statuses() == {S.SUBMITTED}
    client.logout()
    assert client.login(username="rev", password=PASSWORD)
    page = client.get(reverse("indicators:review", args=["990100", str(P)])).content.decode()
    assert 'value="approve"' in page and "separation of duties" not in page
    queue = client.get(reverse("indicators:review_queue"), {"period": str(P)}).content.decode()
    assert "another reviewer decides" not in queue
