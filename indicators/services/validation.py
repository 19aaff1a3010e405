"""The rules a change of counts must pass, pure (no writes): whole numbers, organizations ≤
certificates, the change warning, the open quarter, the versions seen (StaleWrite), the lock.

Optimistic locking: the caller passes the ``version`` of every count it showed the user
(``None`` for a count that did not exist). The write is a conditional UPDATE on that version (or
an INSERT guarded by the unique constraint), so a save made on a stale form changes nothing and
raises :class:`StaleWrite` with what changed and by whom.
"""

from __future__ import annotations

import datetime as dt
import math
import re
from collections.abc import Mapping
from dataclasses import dataclass

from django import forms
from django.conf import settings
from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.translation import gettext as _

from indicators.models import Indicator, QuarterlyCount
from indicators.periods import Quarter, first_quarter, last_open_quarter
from regions.people import display_name

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


# A count is written in digits, ASCII or full-width (what a Chinese input method types), with
# optional thousands separators (ASCII or full-width comma) only between groups of three.
# Never str.isdigit() or int() on raw text: both accept superscripts, circled digits or
# other scripts' digits ("²", "①", "٣"), and int() takes "1_000" and thousands of digits.
_DIGITS = "0123456789０１２３４５６７８９"
_TO_ASCII = str.maketrans("０１２３４５６７８９，－", "0123456789,-")
_COUNT_RE = re.compile(r"(?:[0-9]+|[0-9]{1,3}(?:,[0-9]{3})+)")
MAX_COUNT = 10**12
MAX_COUNT_DIGITS = 15  # longer text is refused before any conversion
# A version a form sends back (a count of writes): beyond a 32-bit integer it would reach the
# database as an overflow (a 500).
MAX_VERSION = 2**31 - 1
_ECHO = 20  # characters of the refused input repeated in a message


def _echo(raw: str) -> str:
    text = "".join(ch if ch.isprintable() else "\ufffd" for ch in raw.strip())
    return text if len(text) <= _ECHO else text[:_ECHO] + "…"


def _not_whole(raw: object, name: str) -> ValidationError:
    value = _echo(raw if isinstance(raw, str) else repr(raw))
    if name:
        return ValidationError(
            _("%(name)s: “%(value)s” is not a whole number.") % {"name": name, "value": value},
            code="invalid",
        )
    return ValidationError(
        _("“%(value)s” is not a whole number.") % {"value": value}, code="invalid"
    )


def _whole(raw: object, name: str) -> int:
    """The number of ``raw`` (``-1`` for any negative one), or "not a whole number"; see
    :func:`parse_count` for what is accepted. Blank input is the callers' to judge."""
    if isinstance(raw, bool):  # TRUE / FALSE in a spreadsheet
        raise _not_whole(str(raw), name)
    if isinstance(raw, float):
        if not math.isfinite(raw) or not raw.is_integer():
            raise _not_whole(f"{raw:g}", name)
        raw = int(raw)
    if isinstance(raw, str):
        text = raw.strip()
        negative = text[:1] in ("-", "－")
        if negative:
            text = text[1:]
        if (
            not text
            or len(text) > MAX_COUNT_DIGITS * 4 // 3 + 1
            or any(ch not in _DIGITS and ch not in ",，" for ch in text)
        ):
            raise _not_whole(raw, name)
        ascii_text = text.translate(_TO_ASCII)
        if not _COUNT_RE.fullmatch(ascii_text):
            raise _not_whole(raw, name)
        digits = ascii_text.replace(",", "")
        if len(digits) > MAX_COUNT_DIGITS:
            raise _not_whole(raw, name)
        # "-0" too: a minus says the figure is not a count
        return -1 if negative else int(digits)
    if not isinstance(raw, int):
        raise _not_whole(raw, name)
    return max(raw, -1)


def parse_count(raw: object, *, name: str = "") -> int:
    """A whole number ≥ 0 from user input (form field, Excel cell); ValidationError otherwise.

    The one parser of counts: the entry form and the Excel import both call it, so they accept
    and refuse the same text with the same messages. ``name`` (a field's label, a cell such as
    "D5") is named in the message. Accepted: ``1200``, ``1,200``, ``１，２００``, ``12,345``, and
    from a spreadsheet an int or an integral float. A single leading minus before a valid
    number is refused as negative; anything else (other signs, ``1,5``, ``1.0``, ``1e3``,
    superscript, circled or other scripts' digits, more than 15 digits) is "not a whole number".
    """
    if raw is None or (isinstance(raw, str) and not raw.strip()):
        raise ValidationError(_("Enter a whole number."), code="required")
    raw = _whole(raw, name)
    if raw < 0:
        if name:
            raise ValidationError(
                _("%(name)s: a count cannot be negative.") % {"name": name}, code="negative"
            )
        raise ValidationError(_("A count cannot be negative."), code="negative")
    if raw > MAX_COUNT:
        raise ValidationError(_("This number is implausibly large."), code="too_large")
    return raw


def parse_whole(raw: object, *, name: str = "", minimum: int = 0, maximum: int) -> int:
    """Any other whole number a user sends (a version seen, a count of something): the same
    text as :func:`parse_count` (its sibling), between ``minimum`` and ``maximum``."""
    if raw is None or (isinstance(raw, str) and not raw.strip()):
        raise ValidationError(_("Enter a whole number."), code="required")
    value = _whole(raw, name)
    if value < minimum or value > maximum:
        text = _("a whole number from %(min)s to %(max)s") % {
            "min": f"{minimum:,}",
            "max": f"{maximum:,}",
        }
        message = _("%(name)s: enter %(range)s.") if name else _("Enter %(range)s.")
        raise ValidationError(message % {"name": name, "range": text}, code="out_of_range")
    return value


class WholeNumberField(forms.Field):
    """A form field read with :func:`parse_whole` (never ``int()``, which takes ``٣``, ``²``,
    ``1_000``, ``+5`` or thousands of digits): what Django's IntegerField is elsewhere."""

    def __init__(self, *, min_value: int = 0, max_value: int, **kwargs):
        self.min_value, self.max_value = min_value, max_value
        super().__init__(**kwargs)

    def to_python(self, value):
        if value in self.empty_values or (isinstance(value, str) and not value.strip()):
            return None
        return parse_whole(
            value, name=str(self.label or ""), minimum=self.min_value, maximum=self.max_value
        )


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


@dataclass(frozen=True)
class RegisterWarning:
    """A value that differs from the certificate register's count by more than the configured
    share of the register's value (docs/register.md)."""

    indicator_code: str
    register: int
    value: int

    def message(self, indicator_name: str) -> str:
        return _(
            "%(indicator)s differs from the certificate register (%(register)s) by %(diff)s. "
            "Explain the difference before submitting."
        ) % {
            "indicator": indicator_name,
            "register": f"{self.register:,}",
            "diff": f"{self.value - self.register:+,}",
        }


def register_warnings(
    *, values: Mapping[str, int], register: Mapping[str, int | None], share: float | None = None
) -> list[RegisterWarning]:
    """Values further from the register's count than ``share`` (default: settings) of it; a
    region the register holds nothing for (None) is never warned about."""
    limit = settings.CERTTRACK["REGISTER_DIFFERENCE_SHARE"] if share is None else share
    warnings = []
    for code, value in values.items():
        reg = register.get(code)
        if reg is None:
            continue
        if abs(value - reg) > limit * reg:
            warnings.append(RegisterWarning(code, reg, value))
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
            who = display_name(current.entered_by) or _("someone")
            if current.reviewed_at and current.reviewed_at >= current.entered_at:
                who = display_name(current.reviewed_by) or who
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
    partial: bool = False,
    register: Mapping[str, int | None] | None = None,
) -> None:
    """The rules one region-quarter's change must pass against its stored ``counts`` (pure):
    the versions seen, the workflow lock, organizations ≤ certificates, and the change rule
    against ``previous`` (last quarter's values). Raises StaleWrite or ValidationError.
    The entry form (:func:`counts_save`) and the Excel import (:func:`counts_import`) share it.

    Every rule is checked and all their errors are raised together (by field), so that an
    official fixes a form or a file once. ``register``: the certificate register's counts of
    the region-quarter (a difference beyond the configured share needs an explanation too, as
    a large change does). ``partial``: some values of the row were refused
    before (an import row with a bad cell); only the per-value rules (versions, lock) apply,
    as the rules across values would judge a row the official has still to correct.
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
    if not partial:
        merged = {code: c.value for code, c in counts.items()} | dict(parsed)
        try:
            check_consistency(
                certificates=merged.get(CERTIFICATES), organizations=merged.get(ORGANIZATIONS)
            )
        except ValidationError as exc:
            for field_name, messages in exc.message_dict.items():
                errors.setdefault(field_name, []).extend(messages)
        warnings = change_warnings(values=parsed, previous=previous)
        warnings += register_warnings(values=parsed, register=register or {})
        if submit and warnings and not explanation.strip():
            errors.setdefault("explanation", []).extend(
                w.message(indicators[w.indicator_code].name) for w in warnings
            )
    if errors:
        raise ValidationError(errors)
