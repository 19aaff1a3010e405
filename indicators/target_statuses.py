"""Materialized target statuses (``TargetStatus``): every target's progress as of the reporting
quarter, kept beside the roll-up cells.

A home lists the first targets needing attention in the user's scope and how many there are.
Computing them meant the progress of every target in scope on every cold visit (≈ 0.2 ms a
target: 0.6–0.9 s for the nation's 2,996; issue 25). The statuses are kept here instead, and a
home reads them with one indexed query and a count (``work.selectors.target_attention``).

One fact, one place: a stored row is exactly what ``selectors.progress.target_rows`` returns for
the target, default values (``DEFAULT_INCLUSION``, what the homes and the digests show), as of
the stored quarter. Nothing here decides a status; :func:`_rows` only copies it. Every
target's milestone path runs through the other targets of its plan, region and indicator, so
targets are always recomputed with all of those (every set below holds whole groups), and the
series start where the whole set's would (:func:`_start`): a row never depends on which other
targets were refreshed with it (tests/test_target_statuses.py compares every row with the
computation over all targets after random writes).

What keeps them fresh, in the writer's transaction (only the as-of quarters already stored;
normally one, the reporting quarter):

- a count written, submitted, approved, returned, reopened or withdrawn, a draft too (a draft
  of a due quarter makes its target *pending*): :func:`target_statuses_touch`, called where the
  roll-ups are refreshed (``rollups_touch``; once at the end of a ``rollups_deferred`` block,
  so an import refreshes once): the targets of the touched regions and their ancestors (the
  regions whose cells changed) for the touched indicators, a few targets per count;
- a roll-up rebuild (bulk loads, a change to the tree): the whole set;
- a target saved or deleted (admin, ``load_reference``; the allocations' bulk writes call
  :func:`target_statuses_refresh_groups` themselves): the targets of its plan, region and
  indicator, before and after the change;
- a plan saved: its targets; an indicator saved or deleted: the whole set (rare, ≈ 0.6 s at
  national scale). A region's change of shape (parent, kind, active) rebuilds every roll-up
  (``regions.admin``), which refreshes the whole set; its name or code decides no status, and
  a deleted region's targets go with it (a target deleted: above).

A new quarter: when the reporting quarter has no rows, the first reader builds them once
(:func:`target_statuses_ensure`, ≈ 0.6 s nationally) and drops the older quarter's; the daily
timer's ``refresh_target_statuses`` command does it before anyone visits (docs/deploy.md).

Writers and the builder agree through the regions' row locks (PostgreSQL): a writer of statuses
locks the regions of the targets it recomputes and their ancestors root first (as
``rollups_refresh`` does for a count), before it reads which quarters are stored; the builder
and a whole-set refresh lock the roots. So two writers never compute one target at once, a
build never misses a count committed meanwhile, and two builders of a new quarter do not both
insert it. A row's target is no database foreign key (``TargetStatus.target``): a count writer
inserting statuses would otherwise take key locks on targets that an allocation save holds
while it waits for the regions the count writer holds (a deadlock).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from types import SimpleNamespace

from django.db import connection, transaction
from django.db.models import Min, Q

from indicators.bulk import insert_rows
from indicators.models import Target, TargetStatus
from indicators.periods import Quarter
from indicators.progress import Point, Status, TargetProgress
from indicators.selectors.progress import TargetRow, target_rows, targets_with_relations
from regions.models import Region

Key = tuple[int, int, Quarter]  # region id, indicator id, quarter (as indicators.rollups)

SERIES_START = Quarter(2017, 4)  # target_rows' default start (the demo series' first quarter)


def _start() -> Quarter:
    """Where every target's series starts: where ``target_rows`` of all the targets would
    start it (2017Q4, or the earliest issued quarter of a plan with targets if earlier)."""
    first = Target.objects.aggregate(first=Min("plan__issued_on"))["first"]
    return min(SERIES_START, Quarter.of_date(first)) if first else SERIES_START


def _earliest_read() -> Quarter:
    """The earliest quarter whose counts any status reads: the series' start, or a due
    quarter before it (``target_gaps`` reads the counts of a due quarter)."""
    due = Target.objects.order_by("due_year", "due_quarter").values_list("due_year", "due_quarter")
    first = due.first()
    return min(_start(), Quarter(*first)) if first else _start()


def progress_rows(targets: list[Target], as_of: Quarter) -> list[TargetRow]:
    """``target_rows`` of ``targets`` (whole groups, with their relations) as of ``as_of``,
    the series started where the whole set's is: what is stored, and what a home shows for
    the targets it lists."""
    return target_rows(targets=targets, as_of=as_of, start=_start())


def _rows(targets: list[Target], as_of: Quarter) -> list[SimpleNamespace]:
    """Rows for ``insert_rows``, copied from ``target_rows`` (``targets``: whole groups)."""
    rows = []
    for row in progress_rows(targets, as_of):
        baseline = row.progress.baseline
        rows.append(
            SimpleNamespace(
                target_id=row.target.pk,
                as_of_year=as_of.year,
                as_of_quarter=as_of.quarter,
                status=row.progress.status.value,
                value=row.progress.value,
                percent=row.progress.percent,
                baseline_year=baseline.period.year if baseline else None,
                baseline_quarter=baseline.period.quarter if baseline else None,
                baseline_value=baseline.value if baseline else None,
            )
        )
    return rows


@dataclass(frozen=True)
class KeptProgress:
    """What a stored row keeps of a target's ``TargetProgress``: its status, value, percent
    and baseline; a home's list shows these (``increase_percent`` is ``TargetProgress``'s own
    rule, over the same fields)."""

    status: Status
    value: int | None
    percent: float | None
    baseline: Point | None
    target_value: int

    increase_percent = TargetProgress.increase_percent


@dataclass(frozen=True)
class KeptRow:
    """A target with its kept progress, shaped as a ``TargetRow`` for the lists that show only
    what is kept (a home's first targets needing attention)."""

    target: Target
    progress: KeptProgress

    @property
    def plan(self):
        return self.target.plan


def kept_row(status: TargetStatus) -> KeptRow:
    """The row a stored status shows (``status.target`` read with its relations)."""
    baseline = None
    if status.baseline_year is not None:
        baseline = Point(
            Quarter(status.baseline_year, status.baseline_quarter), status.baseline_value
        )
    progress = KeptProgress(
        status=Status(status.status),
        value=status.value,
        percent=status.percent,
        baseline=baseline,
        target_value=status.target.value,
    )
    return KeptRow(target=status.target, progress=progress)


def _stored() -> list[Quarter]:
    """The as-of quarters whose statuses are stored (normally one)."""
    pairs = TargetStatus.objects.order_by().values_list("as_of_year", "as_of_quarter").distinct()
    return sorted(Quarter(y, q) for y, q in pairs)


def _at(as_of: Quarter) -> Q:
    return Q(as_of_year=as_of.year, as_of_quarter=as_of.quarter)


def _lock_roots() -> None:
    """Hold the root regions (every count writer locks its root first): nothing is committed
    under them while the whole set is computed."""
    if connection.vendor == "postgresql":
        list(Region.objects.select_for_update().filter(parent__isnull=True).order_by("path"))


def _lock_above(region_ids: Iterable[int]) -> list[int]:
    """Hold ``region_ids`` and their ancestors, root first, as ``rollups_refresh`` does for a
    count (those of a count's regions are held already then); their ids. Every writer of
    statuses takes its roots first, so two never compute the same target at once (each
    without the other's change; or both inserting its row: a unique violation), and none
    while the whole set is built."""
    touched = Region.objects.filter(pk__any_of=sorted(set(region_ids))).only("path")
    codes = sorted({c for r in touched for c in r.path.strip("/").split("/")})
    above = Region.objects.filter(code__any_of=codes).order_by("path")
    if connection.vendor == "postgresql":
        above = above.select_for_update()
    return [r.pk for r in above.only("pk")]


def _write(targets: list[Target], as_of: Quarter, *, everything: bool = False) -> int:
    rows = _rows(targets, as_of)
    stored = TargetStatus.objects.filter(_at(as_of))
    if not everything:
        stored = stored.filter(target_id__in=[t.pk for t in targets])
    stored.delete()
    insert_rows(TargetStatus, rows)
    return len(rows)


def _refresh(scope: Q, quarters: Iterable[Quarter]) -> None:
    """Recompute the stored rows of the targets of ``scope`` (whole groups) for ``quarters``."""
    quarters = list(quarters)
    if not quarters:
        return
    targets = targets_with_relations(Target.objects.filter(scope).order_by("pk"))
    for as_of in quarters:
        _write(targets, as_of)


@transaction.atomic
def target_statuses_build(as_of: Quarter) -> int:
    """Every target's status as of ``as_of``, stored in place of whatever was (other as-of
    quarters included): the reporting quarter's set, built once when a quarter begins."""
    _lock_roots()
    targets = targets_with_relations(Target.objects.order_by("pk"))
    TargetStatus.objects.exclude(_at(as_of)).delete()
    return _write(targets, as_of, everything=True)


def target_statuses_ensure(as_of: Quarter) -> None:
    """Build the statuses as of ``as_of`` unless they are stored (one query when they are)."""
    if TargetStatus.objects.filter(_at(as_of)).exists() or not Target.objects.exists():
        return
    with transaction.atomic():
        _lock_roots()
        # Another builder may have stored them while this one waited for the roots.
        if not TargetStatus.objects.filter(_at(as_of)).exists():
            target_statuses_build(as_of)


@transaction.atomic
def target_statuses_refresh_all() -> None:
    """Recompute every stored as-of quarter's whole set (a roll-up rebuild; an indicator
    changed)."""
    _lock_roots()  # before reading what is stored: a build may be under way
    quarters = _stored()
    if not quarters:
        return
    targets = targets_with_relations(Target.objects.order_by("pk"))
    for as_of in quarters:
        _write(targets, as_of, everything=True)


@transaction.atomic
def target_statuses_touch(keys: Iterable[Key]) -> None:
    """Counts of (region, indicator, quarter) ``keys`` changed, in the current transaction:
    recompute the stored statuses of the targets set for those regions or any of their
    ancestors for those indicators (only theirs read the regions' cells and counts). Counts
    after every stored as-of quarter, or before the earliest quarter any status reads (an
    import of old years), change nothing."""
    keys = list(keys)
    if not keys:
        return
    # Locked before reading what is stored, a draft's too (it takes no roll-up lock): a build
    # under way would otherwise store the statuses without this count.
    ids = _lock_above(k[0] for k in keys)
    quarters = _stored()
    if not quarters:
        return
    keys = [k for k in keys if k[2] <= quarters[-1]]
    if keys:
        first = _earliest_read()
        keys = [k for k in keys if first <= k[2]]
    if not keys:
        return
    _refresh(Q(region_id__in=ids, indicator_id__in=sorted({k[1] for k in keys})), quarters)


def target_statuses_refresh_groups(groups: Iterable[tuple[int, int, int]]) -> None:
    """Recompute the stored statuses of the targets of (plan id, region id, indicator id)
    ``groups`` (a target saved or deleted moves its siblings' milestone paths)."""
    groups = set(groups)
    if not groups:
        return
    with transaction.atomic():
        _lock_above(g[1] for g in groups)
        quarters = _stored()
        if not quarters:
            return
        scope = Q(pk__in=[])
        for plan_id, region_id, indicator_id in sorted(groups):
            scope |= Q(plan_id=plan_id, region_id=region_id, indicator_id=indicator_id)
        _refresh(scope, quarters)


# --- signals: saves outside the services (the admin, load_reference, the demo seed) ---------


def _group(target: Target) -> tuple[int, int, int]:
    return (target.plan_id, target.region_id, target.indicator_id)


def _target_before(sender, instance, raw=False, **kwargs) -> None:
    if raw or instance.pk is None:
        return
    old = (
        Target.objects.filter(pk=instance.pk)
        .values_list("plan_id", "region_id", "indicator_id")
        .first()
    )
    instance._status_group_before = old


def _target_saved(sender, instance, raw=False, **kwargs) -> None:
    if raw:
        return
    groups = {_group(instance)}
    before = getattr(instance, "_status_group_before", None)
    if before is not None:
        groups.add(before)
    target_statuses_refresh_groups(groups)


def _target_deleted(sender, instance, **kwargs) -> None:
    target_statuses_refresh_groups({_group(instance)})


def _plan_saved(sender, instance, raw=False, **kwargs) -> None:
    if raw:
        return
    with transaction.atomic():
        _lock_roots()
        _refresh(Q(plan_id=instance.pk), _stored())


def _everything(sender, raw=False, **kwargs) -> None:
    if not raw:
        target_statuses_refresh_all()


def connect_signals() -> None:
    """Refresh the statuses when a target, plan or indicator is saved or deleted
    outside the count services (see the module's docstring for what each refreshes)."""
    from django.db.models.signals import post_delete, post_save, pre_save

    from indicators.models import Indicator, Plan

    uid = "target-statuses"
    pre_save.connect(_target_before, sender=Target, dispatch_uid=f"{uid}-target-pre")
    post_save.connect(_target_saved, sender=Target, dispatch_uid=f"{uid}-target-save")
    post_delete.connect(_target_deleted, sender=Target, dispatch_uid=f"{uid}-target-delete")
    post_save.connect(_plan_saved, sender=Plan, dispatch_uid=f"{uid}-plan-save")
    post_save.connect(_everything, sender=Indicator, dispatch_uid=f"{uid}-indicator-save")
    post_delete.connect(_everything, sender=Indicator, dispatch_uid=f"{uid}-indicator-delete")
