"""Every write to quarterly counts: save (entry and import), submit, approve, return, reopen.

Each service checks permissions through ``regions.selectors.access_for``, validates, writes in one
transaction, and records a ``CountEvent`` for every change of a value or status. Nothing else in
the code base writes counts. A *submission* is the pair of counts (certificates, organizations)
of one region for one quarter; the workflow acts on a submission as a whole.

Optimistic locking: the caller passes the ``version`` of every count it showed the user
(``None`` for a count that did not exist). The write is a conditional UPDATE on that version (or
an INSERT guarded by the unique constraint), so a save made on a stale form changes nothing and
raises :class:`StaleWrite` with what changed and by whom.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _

from indicators.models import CountEvent, Indicator, QuarterlyCount
from indicators.periods import Quarter
from indicators.rollups import rollups_deferred, rollups_touch
from regions.models import Region
from regions.selectors import access_for

S = QuarterlyCount.Status
A = CountEvent.Action

CERTIFICATES = "certificates"
ORGANIZATIONS = "organizations"
EDITABLE = (S.DRAFT, S.RETURNED)


# --- validation (pure) --------------------------------------------------------------------


@dataclass(frozen=True)
class ChangeWarning:
    """A change against the previous quarter beyond the configured share."""

    indicator_code: str
    previous: int
    value: int
    share: float  # signed relative change, 0.35 = +35 %

    def message(self, indicator_name: str) -> str:
        return _(
            "%(indicator)s changes by %(pct)+.1f%% against last quarter (%(old)s → %(new)s). "
            "Explain the change before submitting."
        ) % {
            "indicator": indicator_name,
            "pct": self.share * 100,
            "old": f"{self.previous:,}",
            "new": f"{self.value:,}",
        }


def parse_count(raw: object) -> int:
    """A whole number ≥ 0 from user input (form field, Excel cell); ValidationError otherwise."""
    if isinstance(raw, bool) or raw is None or raw == "":
        raise ValidationError(_("Enter a whole number."), code="required")
    if isinstance(raw, float):
        if not raw.is_integer():
            raise ValidationError(_("Enter a whole number, not a fraction."), code="fraction")
        raw = int(raw)
    if isinstance(raw, str):
        text = raw.strip().replace(",", "").replace("，", "")
        if not text.lstrip("-").isdigit():
            raise ValidationError(
                _("“%(value)s” is not a whole number.") % {"value": raw[:40]}, code="invalid"
            )
        raw = int(text)
    if not isinstance(raw, int):
        raise ValidationError(_("Enter a whole number."), code="invalid")
    if raw < 0:
        raise ValidationError(_("A count cannot be negative."), code="negative")
    if raw > 10**12:
        raise ValidationError(_("This number is implausibly large."), code="too_large")
    return raw


def check_consistency(*, certificates: int | None, organizations: int | None) -> None:
    """Organizations ≤ certificates: every certified organization holds at least one certificate."""
    if certificates is not None and organizations is not None and organizations > certificates:
        raise ValidationError(
            {
                ORGANIZATIONS: _(
                    "Certified organizations (%(orgs)s) cannot exceed valid certificates "
                    "(%(certs)s): every certified organization holds at least one certificate."
                )
                % {"orgs": f"{organizations:,}", "certs": f"{certificates:,}"}
            },
            code="orgs_exceed_certs",
        )


def change_warnings(
    *, values: Mapping[str, int], previous: Mapping[str, int | None], share: float | None = None
) -> list[ChangeWarning]:
    """Changes beyond ``share`` (default: settings) against the previous quarter's values."""
    limit = settings.CERTTRACK["CHANGE_WARNING_SHARE"] if share is None else share
    warnings = []
    for code, value in values.items():
        old = previous.get(code)
        if old is None:
            continue
        if old == 0:
            if value > 0:
                warnings.append(ChangeWarning(code, old, value, float("inf")))
            continue
        change = (value - old) / old
        if abs(change) > limit:
            warnings.append(ChangeWarning(code, old, value, change))
    return warnings


def check_period_open(period: Quarter, *, today: dt.date | None = None) -> None:
    """A quarter after the current one cannot be entered."""
    current = Quarter.of_date(today or timezone.localdate())
    if period > current:
        raise ValidationError(
            _("%(period)s has not begun yet; counts can be entered up to %(current)s.")
            % {"period": period, "current": current},
            code="future",
        )


# --- errors -------------------------------------------------------------------------------


class StaleWrite(Exception):
    """The form was based on an older version: someone else changed the count in between."""

    def __init__(self, changes: list[dict]):
        self.changes = changes  # [{indicator, expected_version, current: QuarterlyCount|None}]
        super().__init__(self.message)

    @property
    def message(self) -> str:
        parts = []
        for change in self.changes:
            current = change["current"]
            if current is None:
                parts.append(_("%(indicator)s was deleted meanwhile.") % change)
                continue
            who = current.entered_by.get_username() if current.entered_by else _("someone")
            if current.reviewed_at and current.reviewed_at >= current.entered_at:
                who = current.reviewed_by.get_username() if current.reviewed_by else who
            parts.append(
                _(
                    "%(indicator)s was changed by %(who)s: it is now %(value)s (%(status)s, "
                    "version %(version)s)."
                )
                % {
                    "indicator": change["indicator"],
                    "who": who,
                    "value": f"{current.value:,}",
                    "status": current.get_status_display(),
                    "version": current.version,
                }
            )
        return " ".join(parts) + " " + _("Your changes were not saved; review them and try again.")


# --- helpers ------------------------------------------------------------------------------


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


def _check_versions(
    counts: Mapping[str, QuarterlyCount],
    expected: Mapping[str, int | None],
    indicators: Mapping[str, Indicator],
) -> None:
    stale = []
    for code, version in expected.items():
        current = counts.get(code)
        if (current.version if current else None) != version:
            name = indicators[code].name if code in indicators else code
            stale.append({"indicator": name, "expected_version": version, "current": current})
    if stale:
        raise StaleWrite(stale)


def _event(count, *, action, user, now, old_value=None, old_status="", comment="") -> CountEvent:
    """Record a change in the audit trail; every change passes here, so the materialized
    roll-ups of the count's region and its ancestors are refreshed here too."""
    rollups_touch(region=count.region, indicator=count.indicator, period=count.period)
    return CountEvent.objects.create(
        count=count,
        action=action,
        user=user,
        at=now,
        old_value=old_value,
        new_value=count.value,
        old_status=old_status,
        new_status=count.status,
        comment=comment,
        version=count.version,
    )


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


def previous_values(*, region: Region, period: Quarter) -> dict[str, int | None]:
    """Last quarter's values of the region (any status but none), for the change check."""
    prev = period - 1
    rows = QuarterlyCount.objects.filter(
        region=region, year=prev.year, quarter=prev.quarter
    ).values_list("indicator__code", "value")
    return dict(rows)


# --- services -----------------------------------------------------------------------------


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
    errors: dict[str, list[str]] = {}
    parsed: dict[str, int] = {}
    for code, raw in values.items():
        if code not in indicators:
            errors.setdefault("__all__", []).append(
                _("Unknown indicator “%(code)s”.") % {"code": code}
            )
            continue
        try:
            parsed[code] = parse_count(raw)
        except ValidationError as exc:
            errors.setdefault(code, []).extend(exc.messages)
    if errors:
        raise ValidationError(errors)

    counts = _locked_counts(region, period)
    _check_versions(counts, {c: expected_versions.get(c) for c in parsed}, indicators)
    for code in parsed:
        current = counts.get(code)
        if current is not None and current.status not in EDITABLE:
            if current.status == S.APPROVED:
                msg = _(
                    "%(indicator)s for %(period)s is approved and locked; a reviewer must reopen it first."
                )
            else:
                msg = _(
                    "%(indicator)s for %(period)s is awaiting review and cannot be changed now."
                )
            errors.setdefault(code, []).append(
                msg % {"indicator": indicators[code].name, "period": period}
            )
    if errors:
        raise ValidationError(errors)

    merged = {code: c.value for code, c in counts.items()} | parsed
    check_consistency(
        certificates=merged.get(CERTIFICATES), organizations=merged.get(ORGANIZATIONS)
    )
    warnings = change_warnings(
        values=parsed, previous=previous_values(region=region, period=period)
    )
    if submit and warnings and not explanation.strip():
        raise ValidationError(
            {"explanation": [w.message(indicators[w.indicator_code].name) for w in warnings]},
            code="explanation_required",
        )

    now = timezone.now()
    note = explanation.strip() or note  # an explanation is kept with the value
    saved: list[QuarterlyCount] = []
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
                    current.full_clean()
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
        elif current.value != value or (note and current.note != note):
            old_value, old_status = current.value, current.status
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
        saved.append(current)
    if submit:
        for count in saved:
            _submit_one(count, user=user, now=now, comment=explanation)
    return saved


def _submit_one(count: QuarterlyCount, *, user, now, comment="") -> None:
    if count.status not in EDITABLE:
        return
    old_status = count.status
    _bump(count, count.version, status=S.SUBMITTED, submitted_at=now)
    _event(
        count,
        action=A.SUBMIT,
        user=user,
        now=now,
        old_value=count.value,
        old_status=old_status,
        comment=comment,
    )


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
    return list(counts.values())


def _review(user, region, action_word: str) -> None:
    if not access_for(user).can_review(region):
        raise PermissionDenied(
            _("You may not %(action)s counts of %(region)s.")
            % {"action": action_word, "region": region.name}
        )


@rollups_deferred()
def _review_transition(
    *,
    user,
    region: Region,
    period: Quarter,
    expected_versions: Mapping[str, int | None] | None,
    action: str,
    from_status: str,
    to_status: str,
    comment: str,
    wrong_status: str,
) -> list[QuarterlyCount]:
    """Move every count of a submission from ``from_status`` to ``to_status`` as a reviewer,
    recording who, when and the comment on the counts and in the audit trail."""
    counts = _submission(region, period, expected_versions)
    if any(c.status != from_status for c in counts.values()):
        raise ValidationError(wrong_status)
    now = timezone.now()
    for count in counts.values():
        _bump(
            count,
            count.version,
            status=to_status,
            reviewed_by=user,
            reviewed_at=now,
            review_comment=comment,
        )
        _event(
            count,
            action=action,
            user=user,
            now=now,
            old_value=count.value,
            old_status=from_status,
            comment=comment,
        )
    return list(counts.values())


@transaction.atomic
def counts_approve(
    *,
    user,
    region: Region,
    period: Quarter,
    expected_versions: Mapping[str, int | None] | None = None,
    comment: str = "",
) -> list[QuarterlyCount]:
    """A reviewer of an enclosing region approves a submitted quarter; approved counts are locked."""
    _review(user, region, _("approve"))
    return _review_transition(
        user=user,
        region=region,
        period=period,
        expected_versions=expected_versions,
        action=A.APPROVE,
        from_status=S.SUBMITTED,
        to_status=S.APPROVED,
        comment=comment,
        wrong_status=_("Only submitted counts can be approved."),
    )


@transaction.atomic
def counts_return(
    *,
    user,
    region: Region,
    period: Quarter,
    comment: str,
    expected_versions: Mapping[str, int | None] | None = None,
) -> list[QuarterlyCount]:
    """A reviewer returns a submitted quarter to the official, with a required comment."""
    _review(user, region, _("return"))
    if not comment.strip():
        raise ValidationError({"comment": [_("Say why the counts are returned.")]})
    return _review_transition(
        user=user,
        region=region,
        period=period,
        expected_versions=expected_versions,
        action=A.RETURN,
        from_status=S.SUBMITTED,
        to_status=S.RETURNED,
        comment=comment.strip(),
        wrong_status=_("Only submitted counts can be returned."),
    )


@transaction.atomic
def counts_reopen(
    *,
    user,
    region: Region,
    period: Quarter,
    reason: str,
    expected_versions: Mapping[str, int | None] | None = None,
) -> list[QuarterlyCount]:
    """A reviewer reopens an approved quarter (it goes back to the official as returned)."""
    _review(user, region, _("reopen"))
    if not reason.strip():
        raise ValidationError({"reason": [_("Give the reason for reopening approved counts.")]})
    return _review_transition(
        user=user,
        region=region,
        period=period,
        expected_versions=expected_versions,
        action=A.REOPEN,
        from_status=S.APPROVED,
        to_status=S.RETURNED,
        comment=reason.strip(),
        wrong_status=_("Only approved counts can be reopened."),
    )


# --- Excel import -------------------------------------------------------------------------


@dataclass(frozen=True)
class ImportProblem:
    """Why one change of an import cannot be applied; ``field`` is an indicator code,
    "explanation", "region" or "__all__"."""

    index: int  # position in the list of changes
    field: str
    message: str
    stale: bool = False


class ImportRejected(Exception):
    """An import that cannot be applied as a whole; nothing was written."""

    def __init__(self, problems: list[ImportProblem]):
        self.problems = problems
        super().__init__("; ".join(p.message for p in problems))

    @property
    def stale(self) -> bool:
        return any(p.stale for p in self.problems)


class _Rollback(Exception):
    pass


def counts_import(
    *,
    user,
    changes,
    submit: bool = False,
    dry_run: bool = False,
    today: dt.date | None = None,
) -> int:
    """Apply an Excel import (``indicators.imports.ImportChange`` rows) all or nothing.

    Each region-quarter goes through :func:`counts_save` with ``action=IMPORT`` and the versions
    seen at preview, so the permissions, validation, workflow locks, change rule and audit are
    the entry form's own. Every change is tried (each in a savepoint) so that every problem is
    reported at once; if any fails, or ``dry_run`` (the preview), the one outer transaction is
    rolled back and nothing is written. Returns the number of values changed; raises
    :class:`ImportRejected` with every problem.
    """
    problems: list[ImportProblem] = []
    changed = 0
    regions = {r.code: r for r in Region.objects.filter(code__in={c.region_code for c in changes})}
    try:
        # The roll-ups are refreshed once, at the end, inside the same transaction (skipped when
        # the block is rolled back: a preview, or a file with problems), and only after every
        # count of the file is locked, so an import never holds the regions' roll-up lock while
        # waiting for a count that an official's save holds (a deadlock).
        with transaction.atomic(), rollups_deferred():
            for index, change in enumerate(changes):
                region = regions.get(change.region_code)
                if region is None:
                    problems.append(
                        ImportProblem(
                            index,
                            "region",
                            _("“%(code)s” is not a known region code.")
                            % {"code": change.region_code},
                        )
                    )
                    continue
                try:
                    with transaction.atomic():
                        counts_save(
                            user=user,
                            region=region,
                            period=change.period,
                            values=change.values,
                            expected_versions=change.expected_versions,
                            explanation=change.explanation,
                            submit=submit,
                            action=A.IMPORT,
                            today=today,
                        )
                    changed += len(change.values)
                except StaleWrite as exc:
                    problems.append(ImportProblem(index, "__all__", exc.message, stale=True))
                except PermissionDenied as exc:
                    problems.append(ImportProblem(index, "region", str(exc)))
                except ValidationError as exc:
                    by_field = exc.message_dict if hasattr(exc, "error_dict") else None
                    for field_name, messages in (by_field or {"__all__": exc.messages}).items():
                        for message in messages:
                            problems.append(ImportProblem(index, field_name, message))
            if problems or dry_run:
                raise _Rollback
    except _Rollback:
        pass
    if problems:
        raise ImportRejected(problems)
    return changed
