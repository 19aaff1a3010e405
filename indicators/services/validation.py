"""The rules a change of counts must pass, pure (no writes): whole numbers, organizations ≤
certificates, the change warning, the open quarter, the versions seen (StaleWrite), the lock.

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
from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.translation import gettext as _

from indicators.models import Indicator, QuarterlyCount
from indicators.periods import Quarter, first_quarter, last_open_quarter

S = QuarterlyCount.Status

CERTIFICATES = "certificates"
ORGANIZATIONS = "organizations"
EDITABLE = (S.DRAFT, S.RETURNED)


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
    """A quarter may be entered from its last day on (a quarter-end stock is not known before)
    and never before the configured first quarter (``CERTTRACK_FIRST_QUARTER``)."""
    today = today or timezone.localdate()
    first = first_quarter()
    if period < first:
        raise ValidationError(
            _("%(period)s is before %(first)s, the first quarter counts can be entered for.")
            % {"period": period, "first": first},
            code="too_early",
        )
    if period > Quarter.of_date(today):
        raise ValidationError(
            _("%(period)s has not begun yet; counts can be entered up to %(last)s.")
            % {"period": period, "last": last_open_quarter(today)},
            code="future",
        )
    if today < period.end_date:
        raise ValidationError(
            _(
                "%(period)s has not ended yet: its counts can be entered from its last day, "
                "%(day)s (now up to %(last)s)."
            )
            % {
                "period": period,
                "day": period.end_date.isoformat(),
                "last": last_open_quarter(today),
            },
            code="future",
        )


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
