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
from collections import defaultdict
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from types import SimpleNamespace

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.db.models import F, QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from indicators.bulk import insert_rows
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
IMPORT_BATCH = 2000  # rows per INSERT / UPDATE statement of an import


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


def previous_values(*, region: Region, period: Quarter) -> dict[str, int | None]:
    """Last quarter's values of the region (any status but none), for the change check."""
    prev = period - 1
    rows = QuarterlyCount.objects.filter(
        region=region, year=prev.year, quarter=prev.quarter
    ).values_list("indicator__code", "value")
    return dict(rows)


def _parse_values(values: Mapping[str, object], indicators: Mapping[str, Indicator]) -> dict:
    """Raw values by indicator code → whole numbers; ValidationError by field otherwise."""
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
    return parsed


def _check_change(
    *,
    indicators: Mapping[str, Indicator],
    period: Quarter,
    parsed: Mapping[str, int],
    counts: Mapping[str, QuarterlyCount],
    expected_versions: Mapping[str, int | None],
    previous: Mapping[str, int | None],
    explanation: str,
    submit: bool,
) -> None:
    """The rules one region-quarter's change must pass against its stored ``counts`` (pure):
    the versions seen, the workflow lock, organizations ≤ certificates, and the change rule
    against ``previous`` (last quarter's values). Raises StaleWrite or ValidationError.
    The entry form (:func:`counts_save`) and the Excel import (:func:`counts_import`) share it.
    """
    _check_versions(counts, {c: expected_versions.get(c) for c in parsed}, indicators)
    errors: dict[str, list[str]] = {}
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
    merged = {code: c.value for code, c in counts.items()} | dict(parsed)
    check_consistency(
        certificates=merged.get(CERTIFICATES), organizations=merged.get(ORGANIZATIONS)
    )
    warnings = change_warnings(values=parsed, previous=previous)
    if submit and warnings and not explanation.strip():
        raise ValidationError(
            {"explanation": [w.message(indicators[w.indicator_code].name) for w in warnings]},
            code="explanation_required",
        )


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


def _counts_in(pairs: Iterable[tuple[int, Quarter]]) -> Iterator[tuple[Quarter, QuerySet]]:
    """The counts of many (region id, quarter) pairs: a queryset per quarter, in order, each
    taking that quarter's regions as one array parameter (``any_of``)."""
    by_period: dict[Quarter, set[int]] = defaultdict(set)
    for region_id, period in pairs:
        by_period[period].add(region_id)
    for period in sorted(by_period):
        yield (
            period,
            QuarterlyCount.objects.filter(
                region_id__any_of=list(by_period[period]), year=period.year, quarter=period.quarter
            ),
        )


def _counts_of(pairs: set[tuple[int, Quarter]], *, lock: bool) -> dict[tuple, QuarterlyCount]:
    """The stored counts of many (region id, quarter) pairs, keyed by (region id, quarter,
    indicator code): one query per quarter in the file, locked FOR UPDATE when ``lock``."""
    found: dict[tuple, QuarterlyCount] = {}
    for period, rows in _counts_in(pairs):
        rows = rows.select_related("indicator", "entered_by", "reviewed_by")
        if lock:
            rows = rows.select_for_update(of=("self",)).order_by("pk")
        for count in rows:
            found[(count.region_id, period, count.indicator.code)] = count
    return found


def _stored_values(pairs: set[tuple[int, Quarter]]) -> dict[tuple[int, Quarter], dict[str, int]]:
    """Values by indicator code of many (region id, quarter) pairs, one query per quarter."""
    found: dict[tuple[int, Quarter], dict[str, int]] = {}
    for period, rows in _counts_in(pairs):
        for region_id, code, value in rows.values_list("region_id", "indicator__code", "value"):
            found.setdefault((region_id, period), {})[code] = value
    return found


def counts_import(
    *,
    user,
    changes,
    submit: bool = False,
    dry_run: bool = False,
    today: dt.date | None = None,
) -> int:
    """Apply an Excel import (``indicators.imports.ImportChange`` rows) all or nothing.

    Every region-quarter passes the entry form's own rules (permission, open quarter, whole
    numbers, versions seen at preview, workflow lock, organizations ≤ certificates, the change
    rule; :func:`_check_change`), and every problem of the file is reported at once. Only when
    there is none, and not for ``dry_run`` (the preview), the file is written in one transaction,
    set-wise: the counts locked in one query per quarter, inserted and updated in bulk, one audit
    event per change and per submission (exactly those of :func:`counts_save`), the roll-ups
    refreshed once. Returns the number of values changed; raises :class:`ImportRejected`.

    The change rule compares a value with last quarter's as it stands after the import, so a
    file holding two successive quarters is checked against its own earlier one.
    """
    access = access_for(user)
    indicators = _indicators()
    codes = list({c.region_code for c in changes})
    regions = {r.code: r for r in Region.objects.filter(code__any_of=codes)}
    problems: list[ImportProblem] = []
    accepted = []  # (index, change, region, parsed)
    for index, change in enumerate(changes):
        region = regions.get(change.region_code)
        if region is None:
            refused = _("“%(code)s” is not a known region code.") % {"code": change.region_code}
        elif not access.can_enter(region):
            refused = _("You may not enter counts for %(region)s.") % {"region": region.name}
        else:
            refused = None
        if refused:
            problems.append(ImportProblem(index, "region", refused))
            continue
        try:
            check_period_open(change.period, today=today)
            accepted.append((index, change, region, _parse_values(change.values, indicators)))
        except ValidationError as exc:
            problems.extend(_problems(index, exc))

    with transaction.atomic(), rollups_deferred():
        pairs = {(region.pk, change.period) for _, change, region, _ in accepted}
        stored = _counts_of(pairs, lock=not dry_run)
        previous = _stored_values({(region_id, period - 1) for region_id, period in pairs})
        in_file = {(region.pk, change.period): parsed for _, change, region, parsed in accepted}
        items = []
        for index, change, region, parsed in accepted:
            counts = {
                code: stored[key]
                for code in indicators
                if (key := (region.pk, change.period, code)) in stored
            }
            last = (region.pk, change.period - 1)
            before = previous.get(last, {}) | in_file.get(last, {})
            try:
                _check_change(
                    indicators=indicators,
                    period=change.period,
                    parsed=parsed,
                    counts=counts,
                    expected_versions=change.expected_versions,
                    previous=before,
                    explanation=change.explanation,
                    submit=submit,
                )
            except StaleWrite as exc:
                problems.append(ImportProblem(index, "__all__", exc.message, stale=True))
                continue
            except ValidationError as exc:
                problems.extend(_problems(index, exc))
                continue
            items.append((index, change, region, parsed, counts))
        if problems:
            raise ImportRejected(sorted(problems, key=lambda p: p.index))
        if not dry_run:
            problems = _import_write(user=user, items=items, submit=submit, indicators=indicators)
            if problems:  # leaving the block by an exception rolls back the whole file
                raise ImportRejected(problems)
    return sum(len(change.values) for _, change, _, _, _ in items)


def _problems(index: int, exc: ValidationError) -> list[ImportProblem]:
    by_field = exc.message_dict if hasattr(exc, "error_dict") else None
    return [
        ImportProblem(index, field_name, message)
        for field_name, messages in (by_field or {"__all__": exc.messages}).items()
        for message in messages
    ]


def _import_write(*, user, items, submit: bool, indicators) -> list[ImportProblem]:
    """Write checked import items set-wise: what :func:`counts_save` (and, with ``submit``,
    :func:`_submit_one`) would write for each, counts first, then their audit events in order.
    The counts were locked when read; a count created meanwhile by someone else (the unique
    constraint) is reported as a stale preview and the caller rolls everything back."""
    now = timezone.now()
    created: list[QuarterlyCount] = []
    updated: dict[int, QuarterlyCount] = {}
    events: list[tuple] = []  # (count, its event row: count_id set once the count has one)
    user_id = user.pk
    item_of_new: dict[tuple[int, Quarter, str], int] = {}
    for index, change, region, parsed, counts in items:
        explanation = change.explanation
        note = explanation.strip()
        saved = []  # (indicator code, count, its status before)
        for code, value in parsed.items():
            current = counts.get(code)
            before = current.status if current is not None else ""
            if current is None:
                current = SimpleNamespace(  # not a model instance: 20,000 in a big file
                    pk=None,
                    region_id=region.pk,
                    indicator_id=indicators[code].pk,
                    year=change.period.year,
                    quarter=change.period.quarter,
                    value=value,
                    note=note,
                    status=S.DRAFT,
                    entered_by_id=user_id,
                    entered_at=now,
                    submitted_at=None,
                    reviewed_by_id=None,
                    reviewed_at=None,
                    review_comment="",
                    version=1,
                    is_demo=False,
                )
                created.append(current)
                item_of_new[(region.pk, change.period, code)] = index
                events.append((current, _event_row(current, A.IMPORT, user_id, now, explanation)))
            elif current.value != value or (note and current.note != note):
                old_value, old_status = current.value, current.status
                current.value, current.note = value, note or current.note
                current.entered_by, current.entered_at = user, now
                current.version += 1
                updated[current.pk] = current
                events.append(
                    (
                        current,
                        _event_row(
                            current, A.IMPORT, user_id, now, explanation, old_value, old_status
                        ),
                    )
                )
            saved.append((code, current, before))
        for _code, current, _before in saved if submit else ():
            if current.status not in EDITABLE:
                continue
            old_status = current.status
            current.status, current.submitted_at = S.SUBMITTED, now
            current.version += 1
            if current.pk is not None:
                updated[current.pk] = current
            events.append(
                (
                    current,
                    _event_row(
                        current, A.SUBMIT, user_id, now, explanation, current.value, old_status
                    ),
                )
            )
        for code, current, before in saved:
            rollups_touch(
                region=region,
                indicator=indicators[code],
                period=change.period,
                statuses=(before, current.status),
            )
    try:
        with transaction.atomic():
            insert_rows(QuarterlyCount, created, batch=IMPORT_BATCH)
    except IntegrityError:
        taken = _counts_of({(c.region_id, Quarter(c.year, c.quarter)) for c in created}, lock=False)
        return [
            ImportProblem(
                index,
                "__all__",
                StaleWrite(
                    [
                        {
                            "indicator": indicators[code].name,
                            "expected_version": None,
                            "current": taken[key],
                        }
                    ]
                ).message,
                stale=True,
            )
            for key, index in item_of_new.items()
            if key in taken and (code := key[2])
        ]
    ids = {}  # the new counts' ids, for their audit events
    for period, rows in _counts_in((c.region_id, Quarter(c.year, c.quarter)) for c in created):
        for region_id, indicator_id, pk in rows.values_list("region_id", "indicator_id", "pk"):
            ids[(region_id, indicator_id, period.year, period.quarter)] = pk
    for count in created:
        count.pk = ids[(count.region_id, count.indicator_id, count.year, count.quarter)]
    QuarterlyCount.objects.bulk_update(
        list(updated.values()),
        ["value", "note", "entered_by", "entered_at", "status", "submitted_at", "version"],
        batch_size=IMPORT_BATCH,
    )
    for count, event in events:
        event.count_id = count.pk
    insert_rows(CountEvent, [event for _, event in events], batch=IMPORT_BATCH)
    return []
