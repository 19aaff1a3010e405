"""Writes: validation, permissions, workflow, optimistic locking and the audit trail."""

import datetime as dt

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from indicators.models import CountEvent, QuarterlyCount
from indicators.periods import Quarter
from indicators.services.counts import counts_save, counts_submit
from indicators.services.review import counts_approve, counts_reopen, counts_return
from indicators.services.validation import StaleWrite, change_warnings, parse_count
from regions.models import Membership
from tests.conftest import make_count, make_user

Role = Membership.Role
S = QuarterlyCount.Status
P = Quarter(2024, 2)
NEW = {"certificates": None, "organizations": None}


@pytest.fixture
def people(tree, certs, orgs, django_user_model):
    return dict(
        official=make_user(django_user_model, "off", (Role.OFFICIAL, tree["a"])),
        reviewer=make_user(django_user_model, "rev", (Role.REVIEWER, tree["province"])),
        leader=make_user(django_user_model, "lead", (Role.LEADER, tree["province"])),
        analyst=make_user(django_user_model, "ana", (Role.ANALYST, tree["province"])),
        other_reviewer=make_user(django_user_model, "rev2", (Role.REVIEWER, tree["other"])),
    )


def versions(region, period=P):
    rows = QuarterlyCount.objects.filter(region=region, year=period.year, quarter=period.quarter)
    return {c.indicator.code: c.version for c in rows} | {
        k: None for k in NEW if not rows.filter(indicator__code=k).exists()
    }


def save(people, tree, values, **kw):
    kw.setdefault("expected_versions", versions(tree["a"]))
    return counts_save(user=people["official"], region=tree["a"], period=P, values=values, **kw)


def table():
    return sorted(
        QuarterlyCount.objects.values_list(
            "region__code", "indicator__code", "value", "status", "version"
        )
    )


@pytest.mark.parametrize(
    ("raw", "expected"), [("1200", 1200), (" 1,200 ", 1200), (7, 7), (7.0, 7), ("0", 0)]
)
def test_parse_count_accepts_whole_numbers(raw, expected):
    assert parse_count(raw) == expected


@pytest.mark.parametrize("raw", ["-1", -5, "abc", "12.5", 12.5, "", None, True, "1e3"])
def test_parse_count_refuses_anything_else(raw):
    with pytest.raises(ValidationError):
        parse_count(raw)


def test_change_warning_beyond_30_percent():
    warnings = change_warnings(
        values={"certificates": 131, "organizations": 70},
        previous={"certificates": 100, "organizations": 100},
    )
    assert [(w.indicator_code, round(w.share, 2)) for w in warnings] == [("certificates", 0.31)]
    assert change_warnings(values={"certificates": 130}, previous={"certificates": 100}) == []


def test_official_saves_a_draft_with_audit(people, tree):
    saved = save(people, tree, {"certificates": "120", "organizations": 50})
    assert {(c.indicator.code, c.value, c.status, c.version) for c in saved} == {
        ("certificates", 120, S.DRAFT, 1),
        ("organizations", 50, S.DRAFT, 1),
    }
    events = CountEvent.objects.filter(count__in=saved)
    assert sorted(events.values_list("action", "new_value", "user__username")) == [
        ("create", 50, "off"),
        ("create", 120, "off"),
    ]


def test_negative_or_text_is_refused_and_nothing_is_saved(people, tree):
    with pytest.raises(ValidationError) as err:
        save(people, tree, {"certificates": "-3", "organizations": "abc"})
    assert set(err.value.message_dict) == {"certificates", "organizations"}
    assert table() == [] and CountEvent.objects.count() == 0


def test_organizations_above_certificates_is_refused(people, tree):
    with pytest.raises(ValidationError) as err:
        save(people, tree, {"certificates": 10, "organizations": 11})
    assert "organizations" in err.value.message_dict
    assert table() == []


def test_organizations_checked_against_stored_certificates(people, tree):
    save(people, tree, {"certificates": 10, "organizations": 5})
    with pytest.raises(ValidationError):
        save(people, tree, {"organizations": 11})
    assert QuarterlyCount.objects.get(indicator__code="organizations").value == 5


def test_future_quarter_is_refused(people, tree):
    with pytest.raises(ValidationError):
        counts_save(
            user=people["official"],
            region=tree["a"],
            period=Quarter(2024, 3),
            values={"certificates": 1},
            expected_versions=NEW,
            today=dt.date(2024, 6, 30),
        )
    assert table() == []


@pytest.mark.parametrize("who", ["leader", "analyst", "reviewer"])
def test_non_officials_cannot_enter(people, tree, who):
    with pytest.raises(PermissionDenied):
        counts_save(
            user=people[who],
            region=tree["a"],
            period=P,
            values={"certificates": 1},
            expected_versions=NEW,
        )
    assert table() == []


def test_official_cannot_enter_another_region(people, tree):
    with pytest.raises(PermissionDenied):
        counts_save(
            user=people["official"],
            region=tree["b"],
            period=P,
            values={"certificates": 1},
            expected_versions=NEW,
        )
    assert table() == []


def test_official_may_enter_the_zone_inside_their_region(people, tree):
    counts_save(
        user=people["official"],
        region=tree["zone"],
        period=P,
        values={"certificates": 4},
        expected_versions=NEW,
    )
    assert table() == [("990171", "certificates", 4, "draft", 1)]


def test_stale_form_is_refused_and_says_who_changed_what(people, tree):
    save(people, tree, {"certificates": 100, "organizations": 40})
    stale = versions(tree["a"])
    save(people, tree, {"certificates": 110, "organizations": 40})  # first tab
    with pytest.raises(StaleWrite) as err:
        save(people, tree, {"certificates": 999, "organizations": 40}, expected_versions=stale)
    assert "110" in err.value.message and "off" in err.value.message
    assert QuarterlyCount.objects.get(indicator__code="certificates").value == 110


def test_saving_the_same_values_again_writes_nothing(people, tree):
    save(people, tree, {"certificates": 100, "organizations": 40})
    before = (table(), CountEvent.objects.count())
    save(people, tree, {"certificates": 100, "organizations": 40})
    assert (table(), CountEvent.objects.count()) == before


def test_large_change_needs_an_explanation_to_submit(people, tree, certs, orgs):
    make_count(tree["a"], certs, P - 1, 100)
    make_count(tree["a"], orgs, P - 1, 40)
    with pytest.raises(ValidationError) as err:
        save(people, tree, {"certificates": 140, "organizations": 40}, submit=True)
    assert "explanation" in err.value.message_dict
    assert not QuarterlyCount.objects.filter(year=P.year, quarter=P.quarter).exists()
    # a draft may be saved without it
    save(people, tree, {"certificates": 140, "organizations": 40})
    save(
        people,
        tree,
        {"certificates": 140, "organizations": 40},
        submit=True,
        explanation="新增开发区企业集中认证",
    )
    current = QuarterlyCount.objects.filter(year=P.year, quarter=P.quarter)
    assert set(current.values_list("status", flat=True)) == {S.SUBMITTED}
    assert current.get(indicator__code="certificates").note == "新增开发区企业集中认证"


def full_cycle(people, tree):
    save(people, tree, {"certificates": 100, "organizations": 40}, submit=True)
    counts_return(user=people["reviewer"], region=tree["a"], period=P, comment="请核对")
    save(people, tree, {"certificates": 101, "organizations": 40}, submit=True)
    counts_approve(user=people["reviewer"], region=tree["a"], period=P)


def test_submit_return_resubmit_approve_and_history(people, tree):
    full_cycle(people, tree)
    cert = QuarterlyCount.objects.get(indicator__code="certificates")
    assert (cert.value, cert.status, cert.reviewed_by.username) == (101, S.APPROVED, "rev")
    history = list(
        cert.events.values_list(
            "action", "old_value", "new_value", "old_status", "new_status", "comment"
        )
    )
    assert history == [
        ("create", None, 100, "", "draft", ""),
        ("submit", 100, 100, "draft", "submitted", ""),
        ("return", 100, 100, "submitted", "returned", "请核对"),
        ("update", 100, 101, "returned", "returned", ""),
        ("submit", 101, 101, "returned", "submitted", ""),
        ("approve", 101, 101, "submitted", "approved", ""),
    ]
    # One version per save (issue 22.9): save + submit 1, return 2, save + submit 3, approve 4
    # (each save that also submits is one write; its two audit events share the version).
    assert cert.version == 4 == cert.events.last().version
    assert [e.version for e in cert.events.all()] == [1, 1, 2, 3, 3, 4]


def test_approved_counts_are_locked_until_a_reviewer_reopens(people, tree):
    full_cycle(people, tree)
    with pytest.raises(ValidationError):
        save(people, tree, {"certificates": 150, "organizations": 40})
    with pytest.raises(ValidationError):
        counts_reopen(user=people["reviewer"], region=tree["a"], period=P, reason="  ")
    counts_reopen(user=people["reviewer"], region=tree["a"], period=P, reason="统计口径调整")
    save(people, tree, {"certificates": 150, "organizations": 40})
    assert QuarterlyCount.objects.get(indicator__code="certificates").value == 150


def test_submitted_counts_cannot_be_changed_while_awaiting_review(people, tree):
    save(people, tree, {"certificates": 100, "organizations": 40}, submit=True)
    with pytest.raises(ValidationError):
        save(people, tree, {"certificates": 120, "organizations": 40})


def test_return_needs_a_comment(people, tree):
    save(people, tree, {"certificates": 100, "organizations": 40}, submit=True)
    with pytest.raises(ValidationError):
        counts_return(user=people["reviewer"], region=tree["a"], period=P, comment="")
    assert set(QuarterlyCount.objects.values_list("status", flat=True)) == {S.SUBMITTED}


@pytest.mark.parametrize("who", ["official", "leader", "analyst", "other_reviewer"])
def test_only_reviewers_of_an_enclosing_region_approve(people, tree, who):
    save(people, tree, {"certificates": 100, "organizations": 40}, submit=True)
    with pytest.raises(PermissionDenied):
        counts_approve(user=people[who], region=tree["a"], period=P)
    assert set(QuarterlyCount.objects.values_list("status", flat=True)) == {S.SUBMITTED}


def test_submit_needs_both_indicators(people, tree):
    save(people, tree, {"certificates": 100})
    with pytest.raises(ValidationError):
        counts_submit(user=people["official"], region=tree["a"], period=P)
    assert QuarterlyCount.objects.get().status == S.DRAFT


def test_approve_with_stale_versions_is_refused(people, tree):
    save(people, tree, {"certificates": 100, "organizations": 40}, submit=True)
    seen = versions(tree["a"])
    counts_return(user=people["reviewer"], region=tree["a"], period=P, comment="x")
    save(people, tree, {"certificates": 90, "organizations": 40}, submit=True)
    with pytest.raises(StaleWrite):
        counts_approve(user=people["reviewer"], region=tree["a"], period=P, expected_versions=seen)
    assert set(QuarterlyCount.objects.values_list("status", flat=True)) == {S.SUBMITTED}


def test_a_count_created_by_a_colleague_meanwhile_is_a_stale_form(
    monkeypatch, people, tree, certs, orgs
):
    """Two officials of one district both start a new quarter; the colleague's count is saved
    after this save looked (no count yet, nothing to lock) and before it inserts: refused as a
    stale form that says who entered what, not a bare "already exists" (seen under load)."""
    from indicators.services import counts as services

    real = services._locked_counts

    def looked_then_colleague_saved(region, period):
        found = real(region, period)
        make_count(region, certs, period, 321, status=QuarterlyCount.Status.DRAFT)
        return found

    monkeypatch.setattr(services, "_locked_counts", looked_then_colleague_saved)
    with pytest.raises(StaleWrite) as err:
        save(people, tree, {"certificates": 100, "organizations": 40})
    assert "321" in err.value.message
