"""What waits for whom: each role's to-do items, read from the counts, targets and task reports.

Statuses only (and the progress rows of indicators.selectors.progress for leaders): nothing is
summed here. Every read goes through the user's scope (``regions.selectors.access_for``). The
to-do home (work.views), the reviewer's badge and the reminder digests
(notifications.digests) all read these functions, so the page and the mail never disagree.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from urllib.parse import urlencode

from django.conf import settings
from django.db.models import Q
from django.utils import timezone

from certtrack.paths import path_for
from indicators.models import CountEvent, QuarterlyCount, Target
from indicators.periods import Quarter, quarter_range
from indicators.selectors.entry import NOT_STARTED, submission_last_day
from indicators.selectors.obligation_counts import unreported_page, unreported_pages
from indicators.selectors.obligations import (
    Obligation,
    open_submission_count,
    open_submissions,
    open_submissions_page,
    quarter_obligations,
    reporting_obligations,
    shared_reads,
)
from indicators.selectors.progress import TargetRow
from regions.models import Membership, Region
from regions.people import display_name
from regions.selectors import access_for
from tasks.selectors.due import (
    DueReport,
    task_reports_awaiting_review,
    task_reports_awaiting_review_page,
    task_reports_due,
)
from work.selectors.target_attention import targets_needing_attention_rows
from work.selectors.to_allocate import Allocation, targets_to_allocate

S = QuarterlyCount.Status
A = CountEvent.Action
Role = Membership.Role

# Most urgent first: a quarter sent back to the official, then a draft, then one not started.
_URGENCY = {S.RETURNED: 0, S.DRAFT: 1, NOT_STARTED: 2}


def todo_quarters() -> int:
    """How many ended quarters back an official is asked for a missing submission (setting)."""
    return settings.CERTTRACK.get("TODO_QUARTERS", 4)


def reporting_quarter(today: dt.date) -> Quarter:
    """The quarter being reported now: the latest that has ended."""
    return Quarter.last_complete(today)


def entry_url(region: Region, period: Quarter) -> str:
    query = urlencode({"region": region.code, "period": period})
    return f"{path_for('indicators:entry')}?{query}"


def review_url(region: Region, period: Quarter) -> str:
    return path_for("indicators:review", region.code, period)


@dataclass(frozen=True)
class QuarterItem:
    """A region-quarter that needs an official's action (or waits for a reviewer's).

    ``status``: returned, draft, not_started or submitted (see
    ``indicators.selectors.entry.submission_status``). ``by``/``at``/``comment``: who returned
    or reopened it, when and why (returned); who submitted it and when (submitted).
    """

    region: Region
    period: Quarter
    status: str
    last_day: dt.date
    today: dt.date
    by: str = ""
    at: dt.datetime | None = None
    comment: str = ""
    reopened: bool = False
    has_official: bool = True
    on_time: bool = False  # first submitted on time: a later return or reopen is never late

    @property
    def days_left(self) -> int:
        """Days until the last on-time day (0 on that day), negative once overdue."""
        return (self.last_day - self.today).days

    @property
    def overdue(self) -> bool:
        """Past the last on-time day and not first submitted by then (a reopen never makes a
        unit late: indicators.selectors.obligations)."""
        return self.days_left < 0 and not self.on_time

    @property
    def on_time_past_due(self) -> bool:
        """Past the last on-time day but first submitted by it (returned, reopened or taken
        back since): never shown as late, nor as days left."""
        return self.days_left < 0 and self.on_time

    @property
    def days_overdue(self) -> int:
        return -self.days_left

    @property
    def waited_days(self) -> int | None:
        """Whole days since ``at`` (a waiting submission's age)."""
        if self.at is None:
            return None
        return (self.today - timezone.localtime(self.at).date()).days

    @property
    def entry_url(self) -> str:
        return entry_url(self.region, self.period)

    @property
    def review_url(self) -> str:
        return review_url(self.region, self.period)


def _item(o: Obligation, **extra) -> QuarterItem:
    """A to-do item from the reporting obligation it stands for."""
    return QuarterItem(
        region=o.region,
        period=o.period,
        status=o.status,
        last_day=o.last_day,
        today=o.today,
        has_official=o.has_official,
        on_time=o.on_time,
        **extra,
    )


def official_items(user, *, today: dt.date) -> list[QuarterItem]:
    """Every quarter of the official's regions that needs their action, most urgent first:
    returned or reopened (with the reason and who), a draft not submitted (any quarter), and
    for each reporting unit each of the last :func:`todo_quarters` ended quarters not started
    (the reporting quarter first). The statuses are the reporting obligations'
    (indicators.selectors.obligations); a constant number of queries."""
    access = access_for(user)
    if access.everything or not access.enter:
        return []
    return official_items_in(access.enter_q("region__"), access.enter_q(), today=today)


def official_items_in(counts_scope: Q, regions_scope: Q, *, today: dt.date) -> list[QuarterItem]:
    """:func:`official_items` of the regions of ``regions_scope`` (``counts_scope``: the same
    as a ``Q`` on counts); with ``Q()`` every region's, which work.selectors.todo_set divides
    among the officials."""
    current = reporting_quarter(today)
    first = current - (todo_quarters() - 1)
    back = open_submissions(scope=counts_scope, statuses=[S.RETURNED, S.DRAFT], today=today)
    returned = [o for o in back if o.status == S.RETURNED]
    details: dict[tuple[int, Quarter], QuarterlyCount] = {}
    last_review: dict[int, CountEvent] = {}
    if returned:
        rows = QuarterlyCount.objects.filter(
            counts_scope, region__active=True, status=S.RETURNED
        ).select_related("reviewed_by", "reviewed_by__profile")
        for c in rows:
            details.setdefault((c.region_id, c.period), c)
        for event in CountEvent.objects.filter(
            count_id__in=[c.pk for c in details.values()], action__in=[A.RETURN, A.REOPEN]
        ).order_by("at", "id"):
            last_review[event.count_id] = event
    items = []
    for o in back:
        extra = {}
        if o.status == S.RETURNED:
            count = details.get((o.region.pk, o.period))
            if count is not None:
                event = last_review.get(count.pk)
                extra = dict(
                    by=display_name(count.reviewed_by),
                    at=count.reviewed_at,
                    comment=count.review_comment,
                    reopened=event is not None and event.action == A.REOPEN,
                )
        items.append(_item(o, **extra))
    window = list(quarter_range(first, current))
    for o in reporting_obligations(scope=regions_scope, periods=window, today=today):
        if o.status == NOT_STARTED:
            items.append(_item(o))
    # Returned and drafts: the earliest deadline first. Not started: the reporting quarter
    # first (the one being collected now), then the older ones still missing.
    items.sort(
        key=lambda i: (
            _URGENCY[i.status],
            -i.period.index if i.status == NOT_STARTED else i.period.index,
            i.region.path,
        )
    )
    return items


def official_waiting(user, *, today: dt.date) -> list[QuarterItem]:
    """The official's submissions waiting for a reviewer (they may still withdraw them)."""
    access = access_for(user)
    if access.everything or not access.enter:
        return []
    return _waiting(access.enter_q("region__"), today=today)


def _waiting(scope: Q, *, today: dt.date) -> list[QuarterItem]:
    """Whole submissions waiting for review (obligations' *waiting*), oldest wait first, each
    with who submitted the current round and since when."""
    waiting = open_submissions(scope=scope, statuses=[S.SUBMITTED], today=today)
    return _waiting_items(scope, waiting)


def _waiting_page(scope: Q, *, today: dt.date, limit: int) -> tuple[list[QuarterItem], int]:
    """The first ``limit`` of :func:`_waiting` and how many there are in all, grouped once
    (obligations.open_submissions_page); who submitted is read for the shown ones only."""
    waiting, total = open_submissions_page(
        scope=scope, statuses=[S.SUBMITTED], today=today, limit=limit
    )
    return _waiting_items(scope, waiting, shown_only=True), total


def _waiting_items(scope: Q, waiting, *, shown_only: bool = False) -> list[QuarterItem]:
    if not waiting:
        return []
    names: dict[tuple[int, Quarter], tuple] = {}
    counts = QuarterlyCount.objects.filter(
        scope, region__active=True, status=S.SUBMITTED
    ).select_related("entered_by", "entered_by__profile")
    if shown_only:  # only the submissions shown
        counts = counts.filter(region__in=sorted({o.region.pk for o in waiting}))
    for c in counts:
        key = (c.region_id, c.period)
        moment = c.submitted_at or c.entered_at
        if key not in names or moment > names[key][0]:
            names[key] = (moment, c.entered_by)
    return [
        _item(
            o,
            by=display_name(names[(o.region.pk, o.period)][1])
            if (o.region.pk, o.period) in names
            else "",
            at=o.waiting_since,
        )
        for o in waiting
    ]


def submissions_waiting(user, *, today: dt.date) -> list[QuarterItem]:
    """Every submission waiting for this reviewer, across quarters, oldest first (with the
    days it has waited since the current round was submitted)."""
    access = access_for(user)
    if not access.can_review_anything:
        return []
    return _cached(
        "submissions_waiting",
        access,
        access.review,
        today,
        lambda: _waiting(access.review_q("region__"), today=today),
    )


def submissions_waiting_page(user, *, today: dt.date, limit: int) -> tuple[list[QuarterItem], int]:
    """The first ``limit`` of :func:`submissions_waiting` and how many there are in all,
    without reading the others (a home's section; issue 25)."""
    access = access_for(user)
    if not access.can_review_anything:
        return [], 0
    scope = access.review_q("region__")
    first, total = _cached(
        f"submissions_waiting_head:{limit}",
        access,
        access.review,
        today,
        lambda: _waiting_page(scope, today=today, limit=limit),
    )
    return first, _waiting_total(access, known=total)


def _waiting_total(access, *, request=None, known: int | None = None) -> int:
    """How many whole submissions wait for the holder of ``access``, kept under the data
    version: the header's badge and the home's section read the one count (counted twice a
    cold home; issue 25). ``known``: the number a home's page just counted with its rows
    (under the same data version), kept for the badge instead of counting again."""
    from indicators.pagecache import cached_value

    def count() -> int:
        if known is not None:
            return known
        return open_submission_count(scope=access.review_q("region__"), statuses=[S.SUBMITTED])

    scope = ["*"] if access.everything else sorted(access.review)
    return cached_value("waiting_count", scope, count, request=request)


def waiting_count(user, *, request=None) -> int:
    """The reviewer's badge: exactly the items of the to-do home's review sections, counted
    without fetching them: whole submissions waiting (:func:`submissions_waiting`) plus the
    plans' task reports awaiting the user's review.

    Read on every page, so it never scans the data (issue 25): the counts' part is kept under
    the data version (every count write changes it) and, when computed, reads only the
    submitted counts (a partial index); the task reports' part is one count over the
    submitted reports (a partial index too). A constant number of queries whatever the data's
    size (the data version is shared with the page's other cached parts through ``request``)."""
    from tasks.selectors.due import task_reports_awaiting_review_count

    access = access_for(user)
    if not access.can_review_anything:
        return 0
    return _waiting_total(access, request=request) + task_reports_awaiting_review_count(user)


def unreported_units(*, scope: Q, period: Quarter, today: dt.date) -> list[QuarterItem]:
    """The reporting units of ``scope`` whose submission for ``period`` is not in (neither
    submitted nor approved), each with its status, whether it is overdue and whether any
    official can enter its counts: the reporting obligations' *not reported*."""
    summary = quarter_obligations(scope=scope, period=period, today=today)
    return [_item(o) for o in summary.not_reported]


def late_units(user, *, today: dt.date, scope: str = "review") -> list[QuarterItem]:
    """Units of the user's scope (``review`` or ``view``) not reported for the reporting
    quarter; once its last on-time day has passed they are late (``overdue``)."""
    access = access_for(user)
    if scope == "review" and not access.can_review_anything:
        return []
    q = access.review_q() if scope == "review" else access.visible_q()
    paths = access.review if scope == "review" else access.view
    return _cached(
        "late_units",
        access,
        paths,
        today,
        lambda: unreported_units(scope=q, period=reporting_quarter(today), today=today),
    )


def late_units_page(
    user, *, today: dt.date, limit: int, scope: str = "review", overdue_only: bool = False
) -> tuple[list[QuarterItem], int]:
    """The first ``limit`` of :func:`late_units` (only the ``overdue`` ones if asked) and how
    many there are in all, chosen and counted in the database (a home's section)."""
    access = access_for(user)
    if scope == "review" and not access.can_review_anything:
        return [], 0
    q = access.review_q() if scope == "review" else access.visible_q()
    paths = access.review if scope == "review" else access.view

    def compute() -> tuple[list[QuarterItem], int]:
        # A unit not reported is overdue (QuarterItem.overdue) exactly when it is late.
        shown, total = unreported_page(
            scope=q,
            period=reporting_quarter(today),
            today=today,
            limit=limit,
            late_only=overdue_only,
        )
        return [_item(o) for o in shown], total

    name = f"late_units_page:{scope}:{limit}:{overdue_only}"
    return _cached(name, access, paths, today, compute)


def late_units_pages(user, *, today: dt.date, limit: int) -> list | None:
    """``late_units_page(scope="review")`` and ``(scope="view", overdue_only=True)`` from one
    grouped query (obligations.unreported_pages) if the review and view scopes are equal."""
    access = access_for(user)
    if not access.can_review_anything or not (access.everything or access.review == access.view):
        return None
    period = reporting_quarter(today)

    def compute():
        pages = unreported_pages(scope=access.review_q(), period=period, today=today, limit=limit)
        return [([_item(o) for o in shown], total) for shown, total in pages]

    return _cached(f"late_units_pages:{limit}", access, access.review, today, compute)


def _cached(name: str, access, paths, today: dt.date, compute):
    """``compute()`` kept under the data version for everyone with the same scope and day:
    the lists of a national home (thousands of units, hundreds of submissions) are read once
    per write, not on every visit (issue 25). Counts, targets, regions and memberships change
    the data version (indicators.pagecache)."""
    from indicators.pagecache import cached_value

    scope = ["*"] if access.everything else sorted(paths)
    return cached_value(name, [*scope, today], compute)


def targets_needing_attention(user, *, today: dt.date) -> list[TargetRow]:
    """Targets in the user's scope that are behind, at risk or pending, as of the reporting
    quarter, with the progress every dashboard shows (indicators.selectors.progress): any
    target set for a region the user sees, allocated ones included. Behind first."""
    from indicators.pagecache import cached_value

    access = access_for(user)
    as_of = reporting_quarter(today)
    # The same for everyone who sees the same regions, and changed only by a write (targets and
    # counts change the data version): kept under it, as the dashboards keep their parts; a
    # national leader's home computed 1,496 targets' progress on every visit (issue 25).
    scope = ["*"] if access.everything else sorted(access.view)
    return cached_value(
        "targets_needing_attention",
        [*scope, as_of],
        lambda: targets_needing_attention_in(access.visible_q("region__"), as_of=as_of),
    )


def targets_needing_attention_page(
    user, *, today: dt.date, limit: int
) -> tuple[list[TargetRow], int]:
    """The first ``limit`` of :func:`targets_needing_attention` and how many there are: the
    ``limit`` shown as kept (their stored status, value, percent and baseline, with their
    targets: one indexed query) and a count (work.selectors.target_attention), kept under the
    data version."""
    from indicators.pagecache import cached_value

    access = access_for(user)
    as_of = reporting_quarter(today)

    def compute() -> tuple[list[TargetRow], int]:
        return targets_needing_attention_rows(
            access.visible_q("region__"), as_of=as_of, limit=limit
        )

    scope = ["*"] if access.everything else sorted(access.view)
    return cached_value(f"targets_needing_attention_page:{limit}", [*scope, as_of], compute)


def targets_needing_attention_in(scope: Q, *, as_of: Quarter) -> list[TargetRow]:
    """:func:`targets_needing_attention` of the targets of ``scope`` (a ``Q`` on targets);
    with ``Q()`` every region's, which work.selectors.todo_set divides among the leaders.
    Which targets, and their order, are read from the kept statuses
    (work.selectors.target_attention); the progress of those listed is computed."""
    return targets_needing_attention_rows(scope, as_of=as_of)[0]


@dataclass(frozen=True)
class Change:
    """An approval since the analyst's last visit: a region-quarter whose counts are final."""

    region: Region
    period: Quarter
    at: dt.datetime
    by: str


def approvals_since(user, *, since: dt.datetime | None, limit: int = 50) -> list[Change]:
    """Region-quarters approved (or re-approved) in the user's scope after ``since``, newest
    first; nothing when ``since`` is None (a first visit has no "since")."""
    if since is None:
        return []
    access = access_for(user)
    events = (
        CountEvent.objects.filter(
            access.visible_q("count__region__"), action=A.APPROVE, at__gt=since
        )
        .select_related("count__region", "user")
        .order_by("-at", "-id")
    )
    seen: dict[tuple[int, Quarter], Change] = {}
    for e in events[: limit * 4]:
        key = (e.count.region_id, e.count.period)
        if key not in seen:
            seen[key] = Change(e.count.region, e.count.period, e.at, display_name(e.user))
    return list(seen.values())[:limit]


def targets_added_since(user, *, after_id: int | None) -> list[Target]:
    """Targets in the user's scope added after the one with id ``after_id`` (ids only grow);
    nothing when ``after_id`` is None (a first visit)."""
    if after_id is None:
        return []
    access = access_for(user)
    return list(
        Target.objects.filter(access.visible_q("region__"), pk__gt=after_id)
        .select_related("plan", "region", "indicator")
        .order_by("-pk")[:50]
    )


def latest_target_id() -> int:
    last = Target.objects.order_by("-pk").values_list("pk", flat=True).first()
    return last or 0


def roles_of(user) -> set[str]:
    """The roles the home shows sections for: the user's memberships' roles; a superuser
    (who may do everything) sees the reviewer's and the leader's."""
    access = access_for(user)
    if access.everything:
        return {Role.REVIEWER, Role.LEADER}
    return set(access.roles)  # read with the user's access: no query of its own


@dataclass
class Todo:
    """Everything the home shows one user, by role (empty lists where the role is absent)."""

    today: dt.date
    roles: set[str]
    period: Quarter
    last_day: dt.date
    official: list[QuarterItem] = field(default_factory=list)
    waiting_mine: list[QuarterItem] = field(default_factory=list)
    tasks_due: list[DueReport] = field(default_factory=list)
    waiting: list[QuarterItem] = field(default_factory=list)
    tasks_to_review: list = field(default_factory=list)
    late: list[QuarterItem] = field(default_factory=list)
    targets: list[TargetRow] = field(default_factory=list)
    scope_late: list[QuarterItem] = field(default_factory=list)
    approvals: list[Change] = field(default_factory=list)
    new_targets: list[Target] = field(default_factory=list)
    to_allocate: list[Allocation] = field(default_factory=list)
    to_allocate_total: int = 0
    # Kinds read bounded (todo_for's ``limit``): how many there are in all.
    totals: dict[str, int] = field(default_factory=dict)

    def total(self, kind: str) -> int:
        """How many items of ``kind`` there are, shown or not (a home's ``Shown`` keeps its
        own total)."""
        if kind in self.totals:
            return self.totals[kind]
        items = getattr(self, kind)
        return items.total if hasattr(items, "total") else len(items)

    @property
    def quarterly_duties(self) -> bool:
        """Whether the user enters or reviews quarterly counts: only they see the reporting
        quarter's deadline."""
        return bool(self.roles & {Role.OFFICIAL, Role.REVIEWER})

    @property
    def count(self) -> int:
        """How many things wait for the user's own action."""
        return sum(self.total(k) for k in ("official", "tasks_due", "waiting", "tasks_to_review"))


def todo_for(
    user,
    *,
    today: dt.date,
    since: dt.datetime | None = None,
    seen_target_id: int | None = None,
    limit: int | None = None,
) -> Todo:
    """Each of the user's roles' to-do items as of ``today`` (``since``/``seen_target_id``: the
    analyst's previous visit). ``limit``: a home's bounded read, the first ``limit`` waiting
    submissions, task reports to review and late units with their totals (``Todo.totals``),
    the others not read. What every section's obligations read alike (the indicators'
    number, the officials' regions) is read once (``obligations.shared_reads``)."""
    with shared_reads():
        return _todo_for(user, today=today, since=since, seen_target_id=seen_target_id, limit=limit)


def _todo_for(user, *, today, since, seen_target_id, limit) -> Todo:
    roles = roles_of(user)
    period = reporting_quarter(today)
    todo = Todo(today=today, roles=roles, period=period, last_day=submission_last_day(period))
    if Role.OFFICIAL in roles:
        todo.official = official_items(user, today=today)
        todo.waiting_mine = official_waiting(user, today=today)
    todo.tasks_due = task_reports_due(user, today)
    pair = limit is not None and {Role.REVIEWER, Role.LEADER} <= roles
    both = late_units_pages(user, today=today, limit=limit) if pair else None
    if Role.REVIEWER in roles:
        if limit is None:
            todo.waiting = submissions_waiting(user, today=today)
            todo.late = late_units(user, today=today)
        else:
            todo.waiting, todo.totals["waiting"] = submissions_waiting_page(
                user, today=today, limit=limit
            )
            late = both[0] if both else late_units_page(user, today=today, limit=limit)
            todo.late, todo.totals["late"] = late
        if limit is None:
            todo.tasks_to_review = task_reports_awaiting_review(user)
        else:
            todo.tasks_to_review, todo.totals["tasks_to_review"] = (
                task_reports_awaiting_review_page(user, limit=limit)
            )
    if Role.LEADER in roles:
        if limit is None:
            todo.targets = targets_needing_attention(user, today=today)
            todo.scope_late = [i for i in late_units(user, today=today, scope="view") if i.overdue]
        else:
            todo.targets, todo.totals["targets"] = targets_needing_attention_page(
                user, today=today, limit=limit
            )
            scope_late = both[1] if both else None
            todo.scope_late, todo.totals["scope_late"] = scope_late or late_units_page(
                user, today=today, limit=limit, scope="view", overdue_only=True
            )
    if Role.ANALYST in roles:
        todo.approvals = approvals_since(user, since=since)
        todo.new_targets = targets_added_since(user, after_id=seen_target_id)
    if Role.TARGET_MANAGER in roles:
        todo.to_allocate, todo.to_allocate_total = targets_to_allocate(user, today=today)
    return todo


def entry_start(user, *, today: dt.date, region: Region | None = None) -> QuarterItem | None:
    """Where the entry page opens when no quarter is asked for: the official's most urgent
    item (of ``region`` when given), or None when nothing needs action."""
    for item in official_items(user, today=today):
        if region is None or item.region.pk == region.pk:
            return item
    return None
