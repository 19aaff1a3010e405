"""Withdrawing a submission (audited) and the in-app notifications the workflow creates."""

from __future__ import annotations

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone

from indicators.models import CountEvent, QuarterlyCount
from indicators.periods import Quarter
from indicators.services.counts import counts_withdraw
from indicators.services.review import counts_approve, counts_return
from notifications.models import Notification
from tests.work.conftest import submit

P = Quarter.last_complete(timezone.localdate())
S = QuarterlyCount.Status


def statuses(region, period):
    return sorted(
        QuarterlyCount.objects.filter(
            region=region, year=period.year, quarter=period.quarter
        ).values_list("status", flat=True)
    )


def test_withdraw_makes_the_submission_a_draft_again_and_is_audited(people, tree):
    off = people["official"]
    submit(off, tree["a"], P)
    counts_withdraw(user=off, region=tree["a"], period=P)
    assert statuses(tree["a"], P) == [S.DRAFT, S.DRAFT]
    events = CountEvent.objects.filter(action=CountEvent.Action.WITHDRAW)
    assert events.count() == 2 and {e.user_id for e in events} == {off.pk}
    assert {(e.old_status, e.new_status) for e in events} == {(S.SUBMITTED, S.DRAFT)}
    # A withdrawn first submission no longer counts as the first (on-time rate).
    assert not QuarterlyCount.objects.filter(first_submitted_at__isnull=False).exists()


def test_withdraw_is_refused_once_a_reviewer_has_acted(people, tree):
    off = people["official"]
    submit(off, tree["a"], P)
    counts_approve(user=people["reviewer"], region=tree["a"], period=P)
    with pytest.raises(ValidationError):
        counts_withdraw(user=off, region=tree["a"], period=P)
    assert statuses(tree["a"], P) == [S.APPROVED, S.APPROVED]


def test_withdraw_is_refused_outside_the_officials_regions(people, tree):
    submit(people["official"], tree["a"], P)
    with pytest.raises(PermissionDenied):
        counts_withdraw(user=people["official_b"], region=tree["a"], period=P)
    with pytest.raises(PermissionDenied):
        counts_withdraw(user=people["reviewer"], region=tree["a"], period=P)
    assert statuses(tree["a"], P) == [S.SUBMITTED, S.SUBMITTED]


def test_withdraw_from_the_home_page(people, tree, as_user):
    submit(people["official"], tree["a"], P)
    client = as_user("official")
    assert "Withdraw the submission" in client.get("/home/").content.decode()
    response = client.post("/entry/withdraw/", {"region": "990100", "period": str(P)})
    assert response.status_code == 302
    assert statuses(tree["a"], P) == [S.DRAFT, S.DRAFT]
    other = as_user("official_b").post("/entry/withdraw/", {"region": "990100", "period": str(P)})
    assert other.status_code == 403


def test_submitting_tells_the_regions_reviewers_only(people, tree):
    submit(people["official"], tree["a"], P)
    notes = Notification.objects.all()
    assert [(n.user.username, n.kind) for n in notes] == [("rev", "submitted")]
    assert notes[0].actor == people["official"] and notes[0].period == P


def test_a_decision_tells_the_official_and_settles_the_reviewers_notice(people, tree):
    off, rev = people["official"], people["reviewer"]
    submit(off, tree["a"], P)
    counts_return(user=rev, region=tree["a"], period=P, comment="请核对证书数")
    mine = Notification.objects.get(user=off)
    assert mine.kind == "returned" and mine.comment == "请核对证书数" and mine.read_at is None
    assert Notification.objects.get(user=rev, kind="submitted").read_at is not None


def test_withdrawing_tells_the_reviewers(people, tree):
    submit(people["official"], tree["a"], P)
    counts_withdraw(user=people["official"], region=tree["a"], period=P)
    rev = Notification.objects.filter(user=people["reviewer"])
    assert {n.kind for n in rev} == {"submitted", "withdrawn"}
    assert rev.get(kind="submitted").read_at is not None


@pytest.mark.parametrize("lang, words", [("en", "was returned by"), ("zh-hans", "退回")])
def test_unread_count_list_and_opening_marks_read(people, tree, as_user, lang, words):
    submit(people["official"], tree["a"], P)
    counts_approve(user=people["reviewer"], region=tree["a"], period=P)
    from indicators.services.review import counts_reopen

    counts_reopen(user=people["reviewer"], region=tree["a"], period=P, reason="口径调整")
    client = as_user("official", lang)
    home = client.get("/home/").content.decode()
    assert "notifications-link" in home and '<span class="badge count-badge">2</span>' in home
    page = client.get("/notifications/").content.decode()
    assert "口径调整" in page
    n = Notification.objects.filter(user=people["official"], kind="reopened").get()
    # The list opens a notice through a POST (issue 24.4); a GET only leads to the page.
    assert f'<form method="post" action="/notifications/{n.pk}/"' in page
    response = client.get(f"/notifications/{n.pk}/")
    assert response.status_code == 302 and "/entry/?region=990100" in response["Location"]
    n.refresh_from_db()
    assert n.read_at is None
    response = client.post(f"/notifications/{n.pk}/")
    assert response.status_code == 302 and "/entry/?region=990100" in response["Location"]
    n.refresh_from_db()
    assert n.read_at is not None
    assert Notification.objects.filter(user=people["official"], read_at=None).count() == 1
    # Someone else's notification is not found.
    assert as_user("official_b").get(f"/notifications/{n.pk}/").status_code == 404
    assert as_user("official_b").post(f"/notifications/{n.pk}/").status_code == 404
    returned_words = {"en": "was reopened by", "zh-hans": "重新打开"}[lang]
    assert returned_words in page or words in page


def test_mark_all_read(people, tree, as_user):
    submit(people["official"], tree["a"], P)
    client = as_user("reviewer")
    assert client.post("/notifications/read-all/").status_code == 302
    assert not Notification.objects.filter(user=people["reviewer"], read_at=None).exists()


def test_opening_the_quarters_page_reads_its_notices(people, tree, as_user):
    submit(people["official"], tree["a"], P)
    client = as_user("reviewer")
    assert Notification.objects.filter(user=people["reviewer"], read_at=None).count() == 1
    assert client.get(f"/review/990100/{P}/").status_code == 200
    assert not Notification.objects.filter(user=people["reviewer"], read_at=None).exists()


def test_a_cross_site_get_marks_no_notification_read(people, tree, as_user):
    """An <img src="/notifications/N/"> on another site sends the user's cookie with a GET:
    it must change nothing (issue 24.4). A cross-site POST fails the CSRF check."""
    from django.test import Client

    submit(people["official"], tree["a"], P)
    counts_approve(user=people["reviewer"], region=tree["a"], period=P)
    n = Notification.objects.get(user=people["official"], kind="approved")
    client = as_user("official")
    client.get(f"/notifications/{n.pk}/", HTTP_SEC_FETCH_SITE="cross-site")
    client.head(f"/notifications/{n.pk}/")
    n.refresh_from_db()
    assert n.read_at is None
    forged = Client(enforce_csrf_checks=True)
    forged.force_login(people["official"])
    assert forged.post(f"/notifications/{n.pk}/").status_code == 403
    n.refresh_from_db()
    assert n.read_at is None
