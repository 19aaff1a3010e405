"""An Excel import with "submit for review" tells the reviewers, like the form's submit does:
each reviewer whose scope covers a region-quarter of the file gets exactly one "submission
waits" notification for it (not one per indicator or per row), never the importer; a draft
import tells nobody (issue 14.3)."""

from __future__ import annotations

import datetime as dt

import pytest

from indicators.imports import ImportChange
from indicators.periods import Quarter
from indicators.services.imports import counts_import
from notifications.models import Notification
from notifications.selectors import notification_text, notification_url
from regions.models import Membership
from tests.conftest import make_count, make_user

Role = Membership.Role
P = Quarter(2024, 2)
TODAY = dt.date(2024, 8, 1)


def _change(region, period, certificates, organizations, row=2):
    return ImportChange(
        sheet="导入", row=row, region_code=region.code, period=period,
        values={"certificates": certificates, "organizations": organizations},
        old={"certificates": None, "organizations": None},
        expected_versions={"certificates": None, "organizations": None},
        explanation="", columns={},
    )  # fmt: skip


@pytest.fixture
def s(tree, certs, orgs, django_user_model):
    """An official of the province who is also one of its reviewers (never told of their own
    import); a reviewer of the province, one of A only, one of another province."""
    for key, (c, o) in {"a": (100, 40), "b": (200, 80)}.items():
        make_count(tree[key], certs, P - 1, c)
        make_count(tree[key], orgs, P - 1, o)
    importer = make_user(
        django_user_model, "imp", (Role.OFFICIAL, tree["province"]), (Role.REVIEWER, tree["b"])
    )
    return dict(
        tree,
        importer=importer,
        rev_p=make_user(django_user_model, "rev_p", (Role.REVIEWER, tree["province"])),
        rev_a=make_user(django_user_model, "rev_a", (Role.REVIEWER, tree["a"])),
        rev_other=make_user(django_user_model, "rev_o", (Role.REVIEWER, tree["other"])),
    )


def _received(user):
    return sorted(
        (n.kind, n.region.code, str(n.period))
        for n in Notification.objects.filter(user=user).select_related("region")
    )


def test_import_submit_tells_each_reviewer_once_per_region_quarter(s):
    # A for two quarters (2023Q4 and 2024Q2), B for 2024Q2: three region-quarters, six values.
    changes = [
        _change(s["a"], P - 2, 90, 36, row=2),
        _change(s["a"], P, 110, 44, row=3),
        _change(s["b"], P, 210, 84, row=4),
    ]
    assert counts_import(user=s["importer"], changes=changes, submit=True, today=TODAY) == 6
    assert _received(s["rev_p"]) == [
        ("submitted", "990100", "2023Q4"),
        ("submitted", "990100", "2024Q2"),
        ("submitted", "990200", "2024Q2"),
    ]
    assert _received(s["rev_a"]) == [
        ("submitted", "990100", "2023Q4"),
        ("submitted", "990100", "2024Q2"),
    ]
    assert _received(s["rev_other"]) == []
    assert _received(s["importer"]) == []  # B's reviewer, but the import is theirs
    note = Notification.objects.get(user=s["rev_a"], year=2024, quarter=2)
    assert note.actor == s["importer"] and note.read_at is None
    assert notification_url(note) == "/review/990100/2024Q2/"
    assert "2024Q2" in notification_text(note) and "imp" in notification_text(note)


def test_a_draft_import_tells_no_reviewer(s):
    counts_import(user=s["importer"], changes=[_change(s["a"], P, 110, 44)], today=TODAY)
    assert Notification.objects.count() == 0


def test_an_import_preview_tells_no_reviewer(s):
    changes = [_change(s["a"], P, 110, 44)]
    counts_import(user=s["importer"], changes=changes, submit=True, dry_run=True, today=TODAY)
    assert Notification.objects.count() == 0
