"""The Excel import applied set-wise, all or nothing: every row checked by the entry form's rules,
then bulk writes and one roll-up refresh. Parsing the workbook is indicators/imports.py."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from types import SimpleNamespace

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from indicators.bulk import insert_rows
from indicators.models import CountEvent, QuarterlyCount
from indicators.periods import Quarter
from indicators.rollups import rollups_deferred, rollups_touch
from indicators.services._common import (
    _event_row,
    _indicators,
)
from indicators.services.validation import (
    EDITABLE,
    StaleWrite,
    _check_change,
    _parse_values,
    check_period_open,
)
from notifications.services import notifications_create_many
from regions.models import Region
from regions.selectors import access_for
from register.selectors import register_counts, register_holds_anything

S = QuarterlyCount.Status
A = CountEvent.Action

IMPORT_BATCH = 2000  # rows per INSERT / UPDATE statement of an import


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
        # A submission is checked against the certificate register, as on the entry form; one
        # query when the register is empty, else its totals per region-quarter of the file.
        held = submit and register_holds_anything()
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
                    partial=not getattr(change, "complete", True),
                    register=register_counts(region=region, period=change.period) if held else None,
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
            if submit:  # the reviewers hear of each region-quarter now complete
                _notify_submitted_set(user=user, items=items, expected=len(indicators))
    return sum(len(change.values) for _, change, _, _, _ in items)


def _notify_submitted_set(*, user, items, expected: int) -> None:
    """Tell the reviewers of every region-quarter of the file now wholly submitted (two
    queries whatever the file's size). After the write, an indicator's count of an item is
    the stored one (updated in place by :func:`_import_write`) or, where none was stored,
    the new one, submitted."""
    subjects = {}
    for _index, change, region, parsed, counts in items:
        statuses = [
            counts[code].status if code in counts else S.SUBMITTED for code in {*counts, *parsed}
        ]
        if len(statuses) == expected and all(s == S.SUBMITTED for s in statuses):
            subjects[(region.pk, change.period)] = (region, change.period)
    complete = [subjects[key] for key in sorted(subjects)]
    notifications_create_many(kind="submitted", subjects=complete, actor=user)


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
        written = set()  # counts this item writes already: a submission adds no version
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
                written.add(id(current))
                item_of_new[(region.pk, change.period, code)] = index
                events.append((current, _event_row(current, A.IMPORT, user_id, now, explanation)))
            elif current.value != value or (note and current.note != note):
                old_value, old_status = current.value, current.status
                current.value, current.note = value, note or current.note
                current.entered_by, current.entered_at = user, now
                current.version += 1
                written.add(id(current))
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
            # Kept through returns and reopens (the on-time rate counts the first submission).
            current.first_submitted_at = getattr(current, "first_submitted_at", None) or now
            # A new round: the previous review stays in the history only (issue 22.9).
            current.reviewed_by_id, current.reviewed_at, current.review_comment = None, None, ""
            if id(current) not in written:  # one save, one version
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
        [
            "value",
            "note",
            "entered_by",
            "entered_at",
            "status",
            "submitted_at",
            "first_submitted_at",
            "reviewed_by",
            "reviewed_at",
            "review_comment",
            "version",
        ],  # fmt: skip
        batch_size=IMPORT_BATCH,
    )
    for count, event in events:
        event.count_id = count.pk
    insert_rows(CountEvent, [event for _, event in events], batch=IMPORT_BATCH)
    return []
