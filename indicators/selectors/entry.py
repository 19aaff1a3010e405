"""The officials' and reviewers' reads: a region-quarter's own counts (submission, history), the
review queue and its reporting rate. Each region's own counts, any status: nothing is summed here."""

from __future__ import annotations

import datetime as _dt
from collections.abc import Sequence
from dataclasses import dataclass

from django.conf import settings
from django.db.models import (
    Case,
    CharField,
    Count,
    FilteredRelation,
    IntegerField,
    Max,
    Q,
    Value,
    When,
)
from django.utils import timezone as _tz
from django.utils.translation import gettext_lazy as _

from indicators.models import CountEvent, Indicator, QuarterlyCount
from indicators.periods import Quarter, open_quarters
from regions.models import Region
from regions.people import display_name_expression
from regions.selectors import access_for, regions_reviewable_by

Status = QuarterlyCount.Status


SubmissionStatus = QuarterlyCount.Status  # draft / submitted / approved / returned
NOT_STARTED = "not_started"
SUBMISSION_STATUS_LABELS = {
    NOT_STARTED: _("Not reported"),  # docs/glossary.md: one term for "nothing entered"
    **{s.value: s.label for s in QuarterlyCount.Status},
}
REPORTED_STATUSES = (Status.SUBMITTED, Status.APPROVED)
QUEUE_ORDER = (
    Status.SUBMITTED.value,
    Status.RETURNED.value,
    Status.DRAFT.value,
    NOT_STARTED,
    Status.APPROVED.value,
)


def _person_name(prefix: str):
    """A user's name in the active language (:func:`regions.people.display_name`)."""
    return display_name_expression(prefix)


def submission_status(*, statuses: Sequence[str], expected: int) -> str:
    """The status of a region-quarter from the statuses of its counts (one per indicator).

    Nothing entered: not started. A returned count makes the whole submission returned; a
    missing indicator or a draft makes it a draft; it is submitted once every count is submitted
    or approved, and approved only when every count is.
    """
    if not statuses:
        return NOT_STARTED
    present = set(statuses)
    if Status.RETURNED in present:
        return Status.RETURNED
    if len(statuses) < expected or Status.DRAFT in present:
        return Status.DRAFT
    if Status.SUBMITTED in present:
        return Status.SUBMITTED
    return Status.APPROVED


@dataclass(frozen=True)
class EntryRow:
    """One indicator of a region-quarter with its neighbours in time, as the entry form shows it.

    ``previous`` is last quarter's own count, ``last_year`` the same quarter a year before (any
    status; ``*_status`` says which). ``change``/``change_share`` compare ``value`` with
    ``previous``.
    """

    indicator: Indicator
    count: QuarterlyCount | None
    previous: int | None
    previous_status: str | None
    last_year: int | None
    last_year_status: str | None

    @property
    def value(self) -> int | None:
        return self.count.value if self.count else None

    @property
    def version(self) -> int | None:
        return self.count.version if self.count else None

    @property
    def change(self) -> int | None:
        if self.value is None or self.previous is None:
            return None
        return self.value - self.previous

    @property
    def change_share(self) -> float | None:
        """Signed relative change against last quarter (0.05 = +5 %); None if not defined."""
        if self.change is None or not self.previous:
            return None
        return self.change / self.previous


@dataclass(frozen=True)
class Submission:
    """A region's counts of one quarter (one per indicator) with their workflow state."""

    region: Region
    period: Quarter
    rows: list[EntryRow]

    @property
    def counts(self) -> list[QuarterlyCount]:
        return [r.count for r in self.rows if r.count is not None]

    @property
    def status(self) -> str:
        return submission_status(statuses=[c.status for c in self.counts], expected=len(self.rows))

    @property
    def status_label(self) -> str:
        return str(SUBMISSION_STATUS_LABELS[self.status])

    @property
    def editable(self) -> bool:
        """The official may change values: nothing entered yet, a draft, or returned."""
        return self.status in (NOT_STARTED, Status.DRAFT, Status.RETURNED)

    @property
    def versions(self) -> dict[str, int | None]:
        """The versions shown to the user, passed back with a write (optimistic locking)."""
        return {r.indicator.code: r.version for r in self.rows}

    @property
    def review_comment(self) -> str:
        return next((c.review_comment for c in self.counts if c.review_comment), "")

    @property
    def notes(self) -> list[str]:
        """Distinct notes/explanations kept with the counts."""
        seen: list[str] = []
        for c in self.counts:
            if c.note and c.note not in seen:
                seen.append(c.note)
        return seen


def submission_for(*, region: Region, period: Quarter) -> Submission:
    """A region's own counts for ``period``, last quarter and the same quarter last year.

    Two queries (indicators, counts) whatever the number of indicators.
    """
    indicators = list(Indicator.objects.all())
    wanted = (period, period - 1, period - 4)
    q = Q()
    for p in wanted:
        q |= Q(year=p.year, quarter=p.quarter)
    counts = QuarterlyCount.objects.filter(q, region=region).select_related(
        "entered_by", "entered_by__profile", "reviewed_by", "reviewed_by__profile"
    )
    by_key = {(c.indicator_id, c.period): c for c in counts}
    rows = []
    for ind in indicators:
        count = by_key.get((ind.pk, period))
        prev = by_key.get((ind.pk, period - 1))
        year_ago = by_key.get((ind.pk, period - 4))
        rows.append(
            EntryRow(
                indicator=ind,
                count=count,
                previous=prev.value if prev else None,
                previous_status=prev.status if prev else None,
                last_year=year_ago.value if year_ago else None,
                last_year_status=year_ago.status if year_ago else None,
            )
        )
    return Submission(region=region, period=period, rows=rows)


def count_history(*, region: Region, period: Quarter) -> list[CountEvent]:
    """Every audit event of the region's counts for ``period``, oldest first (one query)."""
    return list(
        CountEvent.objects.filter(
            count__region=region, count__year=period.year, count__quarter=period.quarter
        )
        .select_related("user", "user__profile", "count__indicator")
        .order_by("at", "id")
    )


def entry_quarters(*, today=None) -> list[Quarter]:
    """The quarters an official may pick, newest first: exactly those that may be entered,
    from the one whose last day has come (``periods.last_open_quarter``) back to the configured
    first quarter (``CERTTRACK_FIRST_QUARTER``)."""
    return open_quarters(today or _tz.localdate())


def submission_last_day(period: Quarter) -> _dt.date:
    """The last day a submission for ``period`` counts as on time (inclusive): the quarter's
    last day plus ``CERTTRACK["DEADLINE_DAYS"]`` (default 20): 2026Q3 → 2026-10-20."""
    return period.end_date + _dt.timedelta(days=settings.CERTTRACK["DEADLINE_DAYS"])


def submission_deadline(period: Quarter) -> _dt.datetime:
    """The moment a submission for ``period`` becomes late: the start (local time) of the day
    after :func:`submission_last_day`. A submission at 23:59 on the last day is on time."""
    after = submission_last_day(period) + _dt.timedelta(days=1)
    return _tz.make_aware(_dt.datetime.combine(after, _dt.time.min))


def review_queue_units(*, user):
    """The reporting units in the reviewer's subtrees: the rows of :func:`review_queue` before
    their submissions are joined (a queryset of ``Region``)."""
    return regions_reviewable_by(user).filter(is_reporting_unit=True)


def review_queue(*, user, period: Quarter):
    """Every reporting unit in the reviewer's subtrees with its submission for ``period``.

    A queryset of ``Region`` (one query, sortable and filterable in the database) annotated
    with ``status`` (not_started/draft/submitted/returned/approved, see
    :func:`submission_status`), ``value_<indicator code>``, ``entered_by_name``,
    ``last_entered_at``, ``last_submitted_at``, ``first_submitted_at``, ``reviewed_by_name``,
    ``last_reviewed_at`` and ``on_time``. Each unit's own counts only: nothing is summed.

    ``on_time``: the unit's submission was *first* complete before :func:`submission_deadline`
    (indicators.selectors.obligations, the one rule): the latest of its counts' first
    submission times, so a reviewer's return or reopen, the time the count then spends returned
    and the resubmission after it never make a unit late.
    """
    indicators = list(Indicator.objects.all())
    # The quarter's counts joined on the quarter (a FilteredRelation: the ON clause names it),
    # not every count of each unit filtered in the aggregates: a national reviewer's queue
    # joined all 408,000 counts to keep 6,000 (1 s; issue 25).
    qc = "qc__"
    annotations = {
        "n_counts": Count(qc + "id"),
        "n_returned": Count(qc + "id", filter=Q(qc__status=Status.RETURNED)),
        "n_draft": Count(qc + "id", filter=Q(qc__status=Status.DRAFT)),
        "n_submitted": Count(qc + "id", filter=Q(qc__status=Status.SUBMITTED)),
        "entered_by_name": Max(_person_name(qc + "entered_by")),
        "last_entered_at": Max(qc + "entered_at"),
        "last_submitted_at": Max(qc + "submitted_at"),
        "first_submitted_at": Max(qc + "first_submitted_at"),
        "n_first": Count(qc + "first_submitted_at"),
        "reviewed_by_name": Max(_person_name(qc + "reviewed_by")),
        "last_reviewed_at": Max(qc + "reviewed_at"),
    }
    for ind in indicators:
        annotations[f"value_{ind.code}"] = Max(qc + "value", filter=Q(qc__indicator_id=ind.pk))
    status = Case(
        When(n_counts=0, then=Value(NOT_STARTED)),
        When(n_returned__gt=0, then=Value(Status.RETURNED.value)),
        When(n_counts__lt=len(indicators), then=Value(Status.DRAFT.value)),
        When(n_draft__gt=0, then=Value(Status.DRAFT.value)),
        When(n_submitted__gt=0, then=Value(Status.SUBMITTED.value)),
        default=Value(Status.APPROVED.value),
        output_field=CharField(),
    )
    from indicators.selectors.obligations import on_time_expression

    on_time = on_time_expression(period=period, expected=len(indicators))
    # What needs the reviewer first: submitted, then returned, drafts, not started, approved.
    queue_rank = Case(
        *(When(status=value, then=Value(rank)) for rank, value in enumerate(QUEUE_ORDER)),
        default=Value(len(QUEUE_ORDER)),
        output_field=IntegerField(),
    )
    return (
        review_queue_units(user=user)
        .annotate(
            qc=FilteredRelation(
                "counts", condition=Q(counts__year=period.year, counts__quarter=period.quarter)
            )
        )
        .annotate(**annotations)
        .annotate(status=status)
        .annotate(on_time=on_time, queue_rank=queue_rank)
        .order_by("queue_rank", "path")
    )


def next_waiting(*, user, period: Quarter, after: Region) -> Region | None:
    """The next reporting unit of ``period`` whose counts wait for this reviewer (submitted),
    after ``after`` in the tree's order (wrapping round), or None when nothing else waits."""
    waiting = (
        review_queue(user=user, period=period)
        .filter(status=Status.SUBMITTED.value)
        .exclude(pk=after.pk)
        .order_by("path")
    )
    return waiting.filter(path__gt=after.path).first() or waiting.first()


@dataclass(frozen=True)
class Completeness:
    """Reporting for one quarter: units expected, reported (submitted or approved), on time.

    Rates are shares of the units expected (DHIS2's reporting rate and on-time rate); ``None``
    where no unit is expected.
    """

    period: Quarter
    expected: int
    reported: int
    on_time: int
    by_status: dict[str, int]
    deadline: _dt.datetime  # the moment a submission becomes late
    last_day: _dt.date  # the last day a submission is on time (inclusive): shown to people

    @property
    def reporting_rate(self) -> float | None:
        return self.reported / self.expected if self.expected else None

    @property
    def on_time_rate(self) -> float | None:
        return self.on_time / self.expected if self.expected else None


def queue_completeness(*, user, period: Quarter, today: _dt.date | None = None) -> Completeness:
    """Reporting rate and on-time rate over every reporting unit of the reviewer: the totals of
    the quarter's reporting obligations (indicators.selectors.obligations), counted without
    reading the units (three queries)."""
    from indicators.selectors.obligation_counts import quarter_totals

    totals = quarter_totals(
        scope=access_for(user).review_q(), period=period, today=today or _tz.localdate()
    )
    return Completeness(
        period=period,
        expected=totals.expected,
        reported=totals.reported,
        on_time=totals.on_time,
        by_status=totals.by_status,
        deadline=submission_deadline(period),
        last_day=submission_last_day(period),
    )


# Separation of duties (CERTTRACK_SEPARATION_OF_DUTIES): the actions by which a user puts values
# forward, and those that close a round of review.
_ENTERING_ACTIONS = ("create", "update", "import", "submit")
_REVIEW_ACTIONS = ("approve", "return", "reopen")


def regions_entered_by(*, user, period: Quarter, regions=None) -> set[str]:
    """Codes of the regions whose counts for ``period`` ``user`` entered, changed, imported or
    submitted since they were last reviewed (approved, returned or reopened): the submissions
    that, with separation of duties on, this user may not approve or return. One query;
    ``regions`` (a queryset or list of regions) narrows it to those."""
    events = CountEvent.objects.filter(count__year=period.year, count__quarter=period.quarter)
    if regions is not None:
        events = events.filter(count__region__in=regions)
    rows = events.order_by("at", "id").values_list(
        "count_id", "count__region__code", "action", "user_id"
    )
    takers: dict[int, set] = {}
    codes: dict[int, str] = {}
    for count_id, code, action, user_id in rows:
        codes[count_id] = code
        if action in _REVIEW_ACTIONS:
            takers[count_id] = set()
        elif action in _ENTERING_ACTIONS:
            takers.setdefault(count_id, set()).add(user_id)
    return {codes[c] for c, users in takers.items() if user.pk in users}


def separation_applies(*, user, region: Region, period: Quarter) -> bool:
    """True when separation of duties is on and ``user`` entered or submitted the region's
    counts for ``period`` in the round now awaiting review (:func:`regions_entered_by`)."""
    if not settings.CERTTRACK.get("SEPARATION_OF_DUTIES", True):
        return False
    return region.code in regions_entered_by(user=user, period=period, regions=[region])
