"""An official's writes: save a region-quarter's counts (draft or submitted), submit them, and
withdraw a submission no reviewer has acted on.
Review is in review.py, the Excel import in imports.py, the shared rules in validation.py.

Each service checks permissions through ``regions.selectors.access_for``, validates, writes in one
transaction, and records a ``CountEvent`` for every change of a value or status. Nothing else in
the code base writes counts. A *submission* is the pair of counts (certificates, organizations)
of one region for one quarter; the workflow acts on a submission as a whole.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from indicators.models import CountEvent, QuarterlyCount
from indicators.periods import Quarter
from indicators.rollups import rollups_deferred
from indicators.services._common import (
    _bump,
    _event,
    _indicators,
    _locked_counts,
    _submission,
)
from indicators.services.validation import (
    EDITABLE,
    StaleWrite,
    _check_change,
    _parse_values,
    change_warnings,
    check_period_open,
)
from notifications.services import notifications_create, notifications_settle
from regions.models import Region
from regions.selectors import access_for
from register.selectors import register_counts

S = QuarterlyCount.Status
A = CountEvent.Action


def previous_values(*, region: Region, period: Quarter) -> dict[str, int | None]:
    """Last quarter's values of the region (any status but none), for the change check."""
    prev = period - 1
    rows = QuarterlyCount.objects.filter(
        region=region, year=prev.year, quarter=prev.quarter
    ).values_list("indicator__code", "value")
    return dict(rows)


@transaction.atomic
@rollups_deferred()
def counts_save(
    *,
    user,
    region: Region,
    period: Quarter,
    values: Mapping[str, object],
    expected_versions: Mapping[str, int | None],
    note: str = "",
    explanation: str = "",
    submit: bool = False,
    action: str = A.UPDATE,
    today: dt.date | None = None,
) -> list[QuarterlyCount]:
    """Enter (or import) one region's counts for a quarter, as a draft or submitted.

    ``values`` maps indicator codes to raw values (parsed with :func:`parse_count`); indicators
    left out are not touched, but the organizations ≤ certificates rule is checked against the
    stored value of the other. Approved and submitted counts cannot be changed. A change beyond
    the configured share against last quarter needs ``explanation`` before it can be submitted.
    An unchanged value with an unchanged note writes nothing (re-importing a file is a no-op).
    Raises PermissionDenied, ValidationError (by field) or StaleWrite; writes nothing then.
    """
    if not access_for(user).can_enter(region):
        raise PermissionDenied(
            _("You may not enter counts for %(region)s.") % {"region": region.name}
        )
    check_period_open(period, today=today)
    indicators = _indicators()
    parsed = _parse_values(values, indicators)
    counts = _locked_counts(region, period)
    _check_change(
        indicators=indicators,
        period=period,
        parsed=parsed,
        counts=counts,
        expected_versions=expected_versions,
        previous=previous_values(region=region, period=period),
        explanation=explanation,
        submit=submit,
        # Read only for a submission: a draft is never held to the register.
        register=register_counts(region=region, period=period) if submit else None,
    )

    now = timezone.now()
    note = explanation.strip() or note  # an explanation is kept with the value
    saved: list[QuarterlyCount] = []
    submitted_now: list[QuarterlyCount] = []
    for code, value in parsed.items():
        current = counts.get(code)
        if current is None:
            try:
                with transaction.atomic():
                    current = QuarterlyCount(
                        region=region,
                        indicator=indicators[code],
                        year=period.year,
                        quarter=period.quarter,
                        value=value,
                        note=note,
                        status=S.DRAFT,
                        entered_by=user,
                        entered_at=now,
                        version=1,
                    )

                    # Not the unique constraint here: a count another official created since
                    # we looked must be the IntegrityError below (a stale form, saying who),
                    # not a bare "already exists" form error. The database enforces it.
                    current.full_clean(validate_unique=False, validate_constraints=False)
                    current.save()
            except IntegrityError as exc:  # created by someone else since we looked
                raise StaleWrite(
                    [
                        {
                            "indicator": indicators[code].name,
                            "expected_version": None,
                            "current": QuarterlyCount.objects.filter(
                                region=region,
                                indicator=indicators[code],
                                year=period.year,
                                quarter=period.quarter,
                            ).first(),
                        }
                    ]
                ) from exc
            _event(
                current,
                action=A.IMPORT if action == A.IMPORT else A.CREATE,
                user=user,
                now=now,
                comment=explanation,
            )
            if submit:  # created and submitted by one save: still version 1 (issue 22.9)
                _submit_written(current, user=user, now=now, comment=explanation)
                submitted_now.append(current)
        elif current.value != value or (note and current.note != note):
            old_value, old_status = current.value, current.status
            # One save, one version: a change submitted at once is one write (issue 22.9).
            submitting = submit and current.status in EDITABLE
            _bump(
                current,
                current.version,
                value=value,
                note=note or current.note,
                entered_by=user,
                entered_at=now,
            )
            _event(
                current,
                action=action,
                user=user,
                now=now,
                old_value=old_value,
                old_status=old_status,
                comment=explanation,
            )
            if submitting:
                _submit_written(current, user=user, now=now, comment=explanation)
                submitted_now.append(current)
        saved.append(current)
    if submit:
        submitted = [c for c in saved if c.status in EDITABLE] + submitted_now
        for count in saved:
            _submit_one(count, user=user, now=now, comment=explanation)
        if submitted:
            _notify_submitted(user=user, region=region, period=period, comment=explanation)
    return saved


def _notify_submitted(*, user, region: Region, period: Quarter, comment: str) -> None:
    """Tell the region's reviewers once the whole submission is in (every indicator)."""
    statuses = QuarterlyCount.objects.filter(
        region=region, year=period.year, quarter=period.quarter
    ).values_list("status", flat=True)
    if len(statuses) == len(_indicators()) and all(s == S.SUBMITTED for s in statuses):
        notifications_create(
            kind="submitted", region=region, period=period, actor=user, comment=comment
        )


def _submit_fields(count: QuarterlyCount, now) -> dict:
    """What a submission writes: a new round begins. The previous round's reviewer, time and
    comment leave the count (they stay in its history, the audit events), so every page shows
    the current round (issue 22.9)."""
    return dict(
        status=S.SUBMITTED,
        submitted_at=now,
        # Kept through returns and reopens: on time is judged on the first submission.
        first_submitted_at=count.first_submitted_at or now,
        reviewed_by=None,
        reviewed_at=None,
        review_comment="",
    )


def _submit_written(count: QuarterlyCount, *, user, now, comment: str) -> None:
    """Submit a count this same save has just written (created or changed, its version already
    raised): one save, one version. The count is locked (``_locked_counts``) or new."""
    old_status = count.status
    fields = _submit_fields(count, now)
    QuarterlyCount.objects.filter(pk=count.pk, version=count.version).update(**fields)
    for name, value in fields.items():
        setattr(count, name, value)
    _event(count, action=A.SUBMIT, user=user, now=now, old_value=count.value,
           old_status=old_status, comment=comment)  # fmt: skip


def _submit_one(count: QuarterlyCount, *, user, now, comment="") -> None:
    if count.status not in EDITABLE:
        return
    old_status = count.status
    _bump(count, count.version, **_submit_fields(count, now))
    _event(
        count,
        action=A.SUBMIT,
        user=user,
        now=now,
        old_value=count.value,
        old_status=old_status,
        comment=comment,
    )


@transaction.atomic
@rollups_deferred()
def counts_submit(
    *,
    user,
    region: Region,
    period: Quarter,
    expected_versions: Mapping[str, int | None] | None = None,
    explanation: str = "",
) -> list[QuarterlyCount]:
    """Submit a region's draft (or returned) counts for review.

    Both indicators must be present; a large change needs an explanation (kept in the note).
    """
    if not access_for(user).can_enter(region):
        raise PermissionDenied(
            _("You may not submit counts for %(region)s.") % {"region": region.name}
        )
    counts = _submission(region, period, expected_versions)
    indicators = _indicators()
    missing = [indicators[c].name for c in indicators if c not in counts]
    if missing:
        raise ValidationError(
            _("Enter every indicator before submitting (missing: %(names)s).")
            % {"names": "、".join(missing)}
        )
    if not any(c.status in EDITABLE for c in counts.values()):
        raise ValidationError(_("This quarter has already been submitted."))
    warnings = change_warnings(
        values={code: c.value for code, c in counts.items()},
        previous=previous_values(region=region, period=period),
    )
    has_explanation = explanation.strip() or all(
        c.note.strip()
        for c in counts.values()
        if c.indicator.code in {w.indicator_code for w in warnings}
    )
    if warnings and not has_explanation:
        raise ValidationError(
            {"explanation": [w.message(indicators[w.indicator_code].name) for w in warnings]},
            code="explanation_required",
        )
    now = timezone.now()
    for count in counts.values():
        if explanation.strip() and count.note != explanation.strip():
            count.note = explanation.strip()
            QuarterlyCount.objects.filter(pk=count.pk).update(note=count.note)
        _submit_one(count, user=user, now=now, comment=explanation.strip())
    _notify_submitted(user=user, region=region, period=period, comment=explanation.strip())
    return list(counts.values())


@transaction.atomic
@rollups_deferred()
def counts_withdraw(
    *,
    user,
    region: Region,
    period: Quarter,
    expected_versions: Mapping[str, int | None] | None = None,
) -> list[QuarterlyCount]:
    """An official takes back a submission that no reviewer has acted on: every count of the
    region-quarter is still *submitted*; they become drafts again, audited (``withdraw``).

    A withdrawn first submission no longer counts for the on-time rate (``first_submitted_at``
    is cleared where the round taken back is the first); the reviewers are told.
    """
    if not access_for(user).can_enter(region):
        raise PermissionDenied(
            _("You may not withdraw counts of %(region)s.") % {"region": region.name}
        )
    counts = _submission(region, period, expected_versions)
    if any(c.status != S.SUBMITTED for c in counts.values()):
        raise ValidationError(_("Only a submission no reviewer has acted on yet can be withdrawn."))
    now = timezone.now()
    for count in counts.values():
        fields = {"status": S.DRAFT, "submitted_at": None}
        if count.first_submitted_at == count.submitted_at:  # the first round is taken back
            fields["first_submitted_at"] = None
        _bump(count, count.version, **fields)
        _event(
            count, action=A.WITHDRAW, user=user, now=now, old_value=count.value,
            old_status=S.SUBMITTED,
        )  # fmt: skip
    notifications_settle(kind="submitted", region=region, period=period)
    notifications_create(kind="withdrawn", region=region, period=period, actor=user)
    return list(counts.values())
