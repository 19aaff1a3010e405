"""A crash in the middle of a write leaves nothing half-written (issue 6, faults).

Each test lets a real write get part of the way (counts updated, audit events recorded,
roll-up cells recomputed) and then fails it: an exception from a patched step, or a database
error. The tests run with ``transaction=True``, so the services' own outermost transaction
commits or rolls back for real (no test transaction around it), on SQLite and on PostgreSQL
(CI runs the suite on both). Afterwards the counts, the audit trail and the materialized
roll-ups are exactly what they were before.
"""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import DatabaseError

from indicators.imports import ImportChange
from indicators.models import CountEvent, QuarterlyCount, RollupCell
from indicators.periods import Quarter
from indicators.services import counts as count_services
from indicators.services import imports as import_services
from indicators.services.counts import counts_save, counts_submit
from indicators.services.imports import counts_import
from regions.models import Membership
from tests.conftest import make_count, make_user

pytestmark = pytest.mark.django_db(transaction=True)

Role = Membership.Role
P = Quarter(2024, 2)
TODAY = dt.date(2024, 8, 1)
ROLLUP_FIELDS = [f.attname for f in RollupCell._meta.concrete_fields if not f.primary_key]


class Crash(Exception):
    """The simulated crash (a bug, a killed worker's last exception)."""


def snapshot():
    """Everything a write may touch: counts, audit events, roll-up cells."""
    return (
        sorted(
            QuarterlyCount.objects.values_list(
                "region__code", "indicator__code", "year", "quarter", "value", "status", "version"
            )
        ),
        sorted(
            CountEvent.objects.values_list(
                "count_id", "action", "version", "old_value", "new_value", "new_status"
            )
        ),
        sorted(RollupCell.objects.values_list(*ROLLUP_FIELDS)),
    )


@pytest.fixture
def official(tree, certs, orgs, django_user_model):
    """An official of the whole province (so one import file covers several regions), with
    last quarter's counts approved everywhere and roll-up cells in place."""
    user = make_user(django_user_model, "off_all", (Role.OFFICIAL, tree["province"]))
    for key, (c, o) in {"a": (100, 40), "b": (200, 80), "c": (300, 120)}.items():
        make_count(tree[key], certs, P - 1, c)
        make_count(tree[key], orgs, P - 1, o)
    return user


def fail_on_call(monkeypatch, module, name: str, n: int, exc: Exception):
    """Make ``module.name`` raise ``exc`` on its n-th call (the earlier ones run for real)."""
    real = getattr(module, name)
    calls = {"n": 0}

    def wrapper(*args, **kwargs):
        calls["n"] += 1
        if calls["n"] == n:
            raise exc
        return real(*args, **kwargs)

    monkeypatch.setattr(module, name, wrapper)
    return calls


def three_region_import(tree):
    return [
        ImportChange(
            sheet="导入",
            row=row,
            region_code=tree[key].code,
            period=P,
            values={"certificates": c, "organizations": o},
            old={"certificates": None, "organizations": None},
            expected_versions={"certificates": None, "organizations": None},
            explanation="",
            columns={},
        )
        for row, (key, c, o) in enumerate(
            [("a", 110, 44), ("b", 210, 84), ("c", 310, 124)], start=2
        )
    ]


def test_crash_after_an_imports_counts_are_written_writes_nothing(monkeypatch, tree, official):
    """The import writes its six counts in bulk, then crashes before their audit events."""
    before = snapshot()
    real = import_services.insert_rows
    written = []

    def crash_on_events(model, objs, **kwargs):
        if model is CountEvent:
            written.append(QuarterlyCount.objects.filter(year=P.year, quarter=P.quarter).count())
            raise Crash("before the audit events")
        return real(model, objs, **kwargs)

    monkeypatch.setattr(import_services, "insert_rows", crash_on_events)
    with pytest.raises(Crash):
        counts_import(user=official, changes=three_region_import(tree), submit=True, today=TODAY)
    assert written == [6]  # the counts were in the database when it crashed
    assert snapshot() == before


def test_database_error_in_the_middle_of_an_import_writes_nothing(monkeypatch, tree, official):
    """The counts are written, then the database refuses the audit events (the seventh breaks
    the version's CHECK constraint)."""
    before = snapshot()
    real = import_services.insert_rows
    written = []

    def seventh_event_broken(model, objs, **kwargs):
        if model is CountEvent:
            objs[6].version = -1
        written.append(model)
        return real(model, objs, **kwargs)

    monkeypatch.setattr(import_services, "insert_rows", seventh_event_broken)
    with pytest.raises(DatabaseError):
        counts_import(user=official, changes=three_region_import(tree), submit=True, today=TODAY)
    assert written == [QuarterlyCount, CountEvent]
    assert snapshot() == before


def test_the_same_import_without_a_crash_writes_everything(tree, official):
    """The control: the file of the crash tests is valid; submitted, it adds six counts, twelve
    events (change and submit) and the province's submitted total of the new quarter."""
    before = snapshot()
    changes = three_region_import(tree)
    assert counts_import(user=official, changes=changes, submit=True, today=TODAY) == 6
    counts, events, cells = snapshot()
    assert len(counts) == len(before[0]) + 6 and len(events) == len(before[1]) + 12
    province = RollupCell.objects.get(
        region=tree["province"],
        indicator__code="certificates",
        year=2024,
        quarter=2,
        inclusion="submitted",
    )
    assert province.value == 110 + 210 + 310


def test_crash_in_the_roll_up_refresh_of_an_import_writes_nothing(monkeypatch, tree, official):
    """The roll-up cells of the province are deleted, then re-inserting them fails."""
    before = snapshot()
    from indicators import rollups

    monkeypatch.setattr(
        rollups,
        "insert_rows",
        lambda *a, **k: (_ for _ in ()).throw(DatabaseError("disk full")),
    )
    with pytest.raises(DatabaseError):
        counts_import(user=official, changes=three_region_import(tree), submit=True, today=TODAY)
    assert snapshot() == before


def _draft(tree, official):
    counts_save(
        user=official,
        region=tree["a"],
        period=P,
        values={"certificates": 110, "organizations": 44},
        expected_versions={"certificates": None, "organizations": None},
        today=TODAY,
    )


def test_crash_after_the_first_count_is_submitted_leaves_both_drafts(monkeypatch, tree, official):
    _draft(tree, official)
    before = snapshot()
    real_bump = count_services._bump
    bumped = []

    def bump_then_crash(count, expected_version, **fields):
        real_bump(count, expected_version, **fields)
        bumped.append(count.indicator.code)
        if fields.get("status") == QuarterlyCount.Status.SUBMITTED:
            raise Crash("after the first count was bumped")

    monkeypatch.setattr(count_services, "_bump", bump_then_crash)
    with pytest.raises(Crash):
        counts_submit(user=official, region=tree["a"], period=P)
    assert len(bumped) == 1
    assert snapshot() == before
    assert set(
        QuarterlyCount.objects.filter(region=tree["a"], year=2024, quarter=2).values_list(
            "status", "version"
        )
    ) == {("draft", 1)}


def test_crash_after_the_first_count_of_a_save_and_submit_writes_nothing(
    monkeypatch, tree, official
):
    """The entry form's "submit": both values changed, the first one submitted, then a crash."""
    _draft(tree, official)
    before = snapshot()
    fail_on_call(monkeypatch, count_services, "_submit_one", 2, Crash("second count"))
    with pytest.raises(Crash):
        counts_save(
            user=official,
            region=tree["a"],
            period=P,
            values={"certificates": 111, "organizations": 45},
            expected_versions={"certificates": 1, "organizations": 1},
            submit=True,
            today=TODAY,
        )
    assert snapshot() == before


def test_crash_during_a_submit_through_the_entry_page_answers_500_and_writes_nothing(
    monkeypatch, client, tree, official
):
    """The whole request: the official's POST fails half-way; the page is a 500, the data
    untouched (the services' transaction, not the view, decides)."""
    _draft(tree, official)
    before = snapshot()
    fail_on_call(monkeypatch, count_services, "_event", 2, Crash("second audit event"))
    client.raise_request_exception = False
    client.force_login(official)
    response = client.post(
        "/entry/",
        {
            "region": tree["a"].code,
            "period": "2024Q2",
            "value_certificates": "112",
            "value_organizations": "46",
            "version_certificates": "1",
            "version_organizations": "1",
            "explanation": "checked",
            "action": "submit",
        },
    )
    assert response.status_code == 500
    assert snapshot() == before
