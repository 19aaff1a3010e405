"""indicators.bulk.insert_rows stores exactly what QuerySet.bulk_create stores (COPY on
PostgreSQL, multi-row INSERTs elsewhere: the suite runs on both)."""

from __future__ import annotations

import datetime as dt
from types import SimpleNamespace

from django.utils import timezone

from indicators.bulk import insert_rows
from indicators.models import CountEvent, QuarterlyCount
from tests.conftest import make_count, make_user

COLUMNS = [f.attname for f in QuarterlyCount._meta.concrete_fields if not f.primary_key]
NOTES = ["", 'say "当然", then, a\nnew line', "\\N", " ", "=1+2"]


def _counts(tree, certs, user, year: int) -> list[QuarterlyCount]:
    at = timezone.make_aware(dt.datetime(2024, 7, 3, 9, 30, 15, 123456))
    return [
        QuarterlyCount(
            region_id=tree[key].pk,
            indicator_id=certs.pk,
            year=year,
            quarter=quarter,
            value=10**11 + quarter,
            note=NOTES[(i + quarter) % len(NOTES)],
            status=QuarterlyCount.Status.SUBMITTED,
            entered_by_id=user.pk if quarter != 3 else None,
            entered_at=at,
            submitted_at=at if quarter == 2 else None,
            version=quarter,
            is_demo=quarter == 3,
        )
        for i, key in enumerate(("a", "b", "c"))
        for quarter in (1, 2, 3)
    ]


def _stored(year):
    rows = QuarterlyCount.objects.filter(year=year).order_by("region__code", "quarter")
    return [tuple(getattr(c, name) for name in COLUMNS if name != "year") for c in rows]


def test_insert_rows_stores_what_bulk_create_stores(tree, certs, django_user_model):
    user = make_user(django_user_model, "u")
    insert_rows(QuarterlyCount, _counts(tree, certs, user, 2023), batch=4)  # 4 + 4 + 1 rows
    QuarterlyCount.objects.bulk_create(_counts(tree, certs, user, 2024))
    assert len(_stored(2023)) == 9
    assert _stored(2023) == _stored(2024)
    assert {c.note for c in QuarterlyCount.objects.filter(year=2023)} == set(NOTES)


def test_insert_rows_fills_missing_fields_with_their_defaults(tree, certs, django_user_model):
    """A SimpleNamespace row without ``old_value``, ``old_status`` or ``comment``: NULL, ""."""
    user = make_user(django_user_model, "u")
    count = make_count(tree["a"], certs, "2024Q2", 5)
    at = timezone.now()
    insert_rows(
        CountEvent,
        [
            SimpleNamespace(
                count_id=count.pk,
                action="create",
                user_id=user.pk,
                at=at,
                new_value=5,
                new_status="draft",
                version=1,
            )
        ],
    )
    event = CountEvent.objects.get()
    assert (event.old_value, event.old_status, event.comment) == (None, "", "")
    assert (event.at, event.new_value, event.user, event.count) == (at, 5, user, count)


def test_update_rows_stores_what_bulk_update_stores(tree, certs, django_user_model):
    """Text with quotes and new lines, NULLs, dates and numbers set by primary key; the rows
    not listed keep their values."""
    from indicators.bulk import update_rows

    user = make_user(django_user_model, "u")
    insert_rows(QuarterlyCount, _counts(tree, certs, user, 2023))
    insert_rows(QuarterlyCount, _counts(tree, certs, user, 2024))
    at = timezone.make_aware(dt.datetime(2025, 1, 2, 3, 4, 5, 6))

    def changed(year):
        rows = list(QuarterlyCount.objects.filter(year=year, quarter__lte=2).order_by("pk"))
        for n, row in enumerate(rows):
            row.value, row.note = n * 7, NOTES[(n + 1) % len(NOTES)]
            row.entered_by_id, row.submitted_at = (None, at) if n % 2 else (user.pk, None)
        return rows

    update_rows(QuarterlyCount, changed(2023), ["value", "note", "entered_by", "submitted_at"])
    QuarterlyCount.objects.bulk_update(
        changed(2024), ["value", "note", "entered_by", "submitted_at"]
    )
    assert _stored(2023) == _stored(2024)
    assert [c.value for c in QuarterlyCount.objects.filter(year=2023).order_by("pk")] == [
        0, 7, 10**11 + 3, 14, 21, 10**11 + 3, 28, 35, 10**11 + 3,
    ]  # fmt: skip


def test_rows_written_with_keys_from_new_ids_keep_those_keys(tree, certs, django_user_model):
    """PostgreSQL: keys drawn from the table's sequence, written with the rows (nothing to read
    back), and a later ordinary insert takes the next key; elsewhere no keys are drawn."""
    from django.db import connection

    from indicators.bulk import new_ids

    user = make_user(django_user_model, "u")
    rows = _counts(tree, certs, user, 2023)
    ids = new_ids(QuarterlyCount, len(rows))
    if connection.vendor != "postgresql":
        assert ids is None
        return
    assert len(set(ids)) == len(rows) == 9
    for row, pk in zip(rows, ids, strict=True):
        row.pk = pk
    insert_rows(QuarterlyCount, rows, with_pk=True)
    stored = dict(QuarterlyCount.objects.filter(year=2023).values_list("pk", "region_id"))
    assert stored == {row.pk: row.region_id for row in rows}
    later = make_count(tree["a"], certs, "2030Q1", 1)
    assert later.pk > max(ids)
