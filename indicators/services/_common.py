"""Helpers shared by the services (not services themselves): the indicators, the locked
submission, the version bump and the audit event that also refreshes the roll-ups."""

from __future__ import annotations

from collections.abc import Mapping
from types import SimpleNamespace

from django.core.exceptions import ValidationError
from django.db.models import F
from django.utils.translation import gettext as _

from indicators.models import CountEvent, Indicator, QuarterlyCount
from indicators.periods import Quarter
from indicators.rollups import rollups_touch
from indicators.services.validation import (
    StaleWrite,
    _check_versions,
)
from regions.models import Region


def _indicators() -> dict[str, Indicator]:
    return {i.code: i for i in Indicator.objects.all()}


def _locked_counts(region: Region, period: Quarter) -> dict[str, QuarterlyCount]:
    """The submission's counts, locked for the transaction (FOR UPDATE where supported)."""
    # of=("self",): the users are joined (nullable, LEFT OUTER JOIN) for StaleWrite messages;
    # PostgreSQL refuses FOR UPDATE on the nullable side of an outer join, and only the counts
    # need locking anyway.
    rows = (
        QuarterlyCount.objects.select_for_update(of=("self",))
        .filter(region=region, year=period.year, quarter=period.quarter)
        .select_related("indicator", "entered_by", "reviewed_by")
    )
    return {c.indicator.code: c for c in rows}


def _event_row(count, action, user_id, now, comment="", old_value=None, old_status=""):
    """An audit record of ``count`` as it stands now (its value, status and version after), as
    a row for :func:`indicators.bulk.insert_rows` (``count_id`` None until a new count has
    its id)."""
    return SimpleNamespace(
        count_id=count.pk,
        action=action,
        user_id=user_id,
        at=now,
        old_value=old_value,
        new_value=count.value,
        old_status=old_status,
        new_status=count.status,
        comment=comment,
        version=count.version,
    )


def _event(count, *, action, user, now, old_value=None, old_status="", comment="") -> CountEvent:
    """Record a change in the audit trail; every change passes here, so the materialized
    roll-ups of the count's region and its ancestors are refreshed here too."""
    rollups_touch(
        region=count.region,
        indicator=count.indicator,
        period=count.period,
        statuses=(old_status, count.status),
    )
    user_id = user.pk if user is not None else None
    row = _event_row(count, action, user_id, now, comment, old_value, old_status)
    return CountEvent.objects.create(**vars(row))


def _bump(count: QuarterlyCount, expected_version: int, **fields) -> None:
    """Conditional UPDATE on the version; StaleWrite if someone got there first."""
    updated = QuarterlyCount.objects.filter(pk=count.pk, version=expected_version).update(
        version=F("version") + 1, **fields
    )
    if updated != 1:
        raise StaleWrite(
            [
                {
                    "indicator": count.indicator.name,
                    "expected_version": expected_version,
                    "current": None,
                }
            ]
        )
    for name, value in fields.items():
        setattr(count, name, value)
    count.version = expected_version + 1


def _submission(
    region: Region, period: Quarter, expected_versions: Mapping[str, int | None] | None
):
    counts = _locked_counts(region, period)
    if not counts:
        raise ValidationError(
            _("Nothing has been entered for %(region)s in %(period)s.")
            % {"region": region.name, "period": period}
        )
    if expected_versions is not None:
        _check_versions(counts, expected_versions, _indicators())
    return counts
