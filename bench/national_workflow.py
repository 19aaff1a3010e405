"""The people and the work of the national benchmark set (issue 25): what bench/national_data.py
adds on top of its regions and counts so that every page a role opens is measured at scale.

* users with memberships at every level: the country (reviewer, leader, analyst, target
  manager), each province (reviewer, leader, target manager, analyst), each prefecture
  (official, reviewer), each county (official); one user per provincial unit of the task plan;
* the reporting quarter :data:`WORKFLOW_QUARTER` in every state across the reporting units
  (approved, submitted, draft, returned, not started), with who and when;
* a national plan whose targets are allocated to the 34 provinces and on to their prefectures;
* a task plan of the country with :data:`TASKS` tasks led by the 34 provincial governments,
  reported every half-year since 2018H2 (accepted, the latest ones submitted, draft, returned);
* notifications of the submitted and returned quarters to their reviewers and officials.

Deterministic; bulk inserts only (the services are measured, not used to load). Run by
national_data.py; ``python bench/national_workflow.py`` adds it to a national set made before.
"""

from __future__ import annotations

import datetime as dt
import os
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "certtrack.settings")
os.environ.setdefault("CERTTRACK_DEV", "1")

WORKFLOW_QUARTER = (2026, 3)
NATIONAL_PLAN = "模〔2018〕100000号"
TASKS = 15
FIRST_HALF, LAST_HALF = (2018, 2), (2026, 1)
PASSWORD = "bench-password-2026"
STATES = ("approved", "submitted", "draft", "returned", "not_started")


def _half_years():
    year, half = FIRST_HALF
    while (year, half) <= LAST_HALF:
        yield year, half
        year, half = (year, 2) if half == 1 else (year + 1, 1)


def username(role, code: str) -> str:
    """The bench user holding ``role`` (a Membership.Role) on the region ``code``."""
    return f"n_{getattr(role, 'value', role)}_{code}"


def workflow_state(index: int) -> str:
    """The state of the ``index``-th reporting unit (in path order) for the workflow quarter."""
    return STATES[index % len(STATES)]


def add_workflow(batch: int = 5000) -> dict[str, int]:
    from django.contrib.auth import get_user_model
    from django.contrib.auth.hashers import make_password
    from django.db import transaction
    from django.utils import timezone

    from indicators.models import CountEvent, Indicator, Plan, QuarterlyCount, Target, TargetEvent
    from notifications.models import Notification
    from regions.models import Membership, Region
    from tasks.models import Task, TaskGroup, TaskReport, TaskUnit, Unit, UnitMembership

    User = get_user_model()
    Role = Membership.Role
    if Plan.objects.filter(document_number=NATIONAL_PLAN).exists():
        print("the workflow is there already")
        return {}
    now = timezone.now()
    year, quarter = WORKFLOW_QUARTER
    regions = list(Region.objects.order_by("path"))
    by_level: dict[str, list[Region]] = {}
    for r in regions:
        by_level.setdefault(r.level, []).append(r)
    country = by_level["country"][0]
    password = make_password(PASSWORD)
    out: dict[str, int] = {}

    with transaction.atomic():
        # --- people ------------------------------------------------------------------------
        wanted: list[tuple[str, Region, str]] = []
        for role in (Role.REVIEWER, Role.LEADER, Role.ANALYST, Role.TARGET_MANAGER):
            wanted.append((role, country, username(role, country.code)))
        for p in by_level["province"]:
            for role in (Role.REVIEWER, Role.LEADER, Role.TARGET_MANAGER, Role.ANALYST):
                wanted.append((role, p, username(role, p.code)))
        for r in by_level["prefecture"]:
            for role in (Role.OFFICIAL, Role.REVIEWER):
                wanted.append((role, r, username(role, r.code)))
        for r in by_level["county"]:
            wanted.append((Role.OFFICIAL, r, username(Role.OFFICIAL, r.code)))
        User.objects.bulk_create(
            [
                User(
                    username=name,
                    password=password,
                    email=f"{name}@bench.example.org",
                    first_name=f"{name[2:]}",
                    date_joined=now,
                )
                for _role, _region, name in wanted
            ],
            batch_size=batch,
        )
        ids = dict(User.objects.filter(username__startswith="n_").values_list("username", "pk"))
        Membership.objects.bulk_create(
            [Membership(user_id=ids[name], region=region, role=role) for role, region, name in
             wanted],
            batch_size=batch,
        )  # fmt: skip
        out["users"] = len(wanted)

        # --- the reporting quarter in every state ------------------------------------------
        units = [r for r in regions if r.is_reporting_unit]
        state_of = {r.pk: workflow_state(i) for i, r in enumerate(units)}
        official = {r.pk: ids.get(username(Role.OFFICIAL, r.code)) for r in units}
        # The reviewer of the unit's prefecture (a prefecture's own, a county's parent's).
        reviewer = {r.pk: ids.get(username(Role.REVIEWER, r.code[:4] + "00")) for r in units}
        counts = list(
            QuarterlyCount.objects.filter(year=year, quarter=quarter, region_id__in=list(state_of))
        )
        gone = [c.pk for c in counts if state_of[c.region_id] == "not_started"]
        QuarterlyCount.objects.filter(pk__in=gone).delete()
        changed = []
        events = []
        at = now - dt.timedelta(days=5)
        for c in counts:
            state = state_of[c.region_id]
            if state in ("approved", "not_started"):
                continue
            c.status = state
            c.entered_by_id = official[c.region_id]
            c.entered_at = at
            c.version = 2
            if state in ("submitted", "returned"):
                c.submitted_at = at
            if state == "returned":
                c.reviewed_by_id = reviewer[c.region_id]
                c.reviewed_at = at + dt.timedelta(days=1)
                c.review_comment = "请核对证书数（模拟）"
            changed.append(c)
            events.append(
                CountEvent(
                    count=c,
                    action=CountEvent.Action.SUBMIT
                    if state != "draft"
                    else CountEvent.Action.UPDATE,
                    user_id=official[c.region_id],
                    at=at,
                    old_value=c.value,
                    new_value=c.value,
                    old_status="approved",
                    new_status=state,
                    version=2,
                )  # fmt: skip
            )
        fields = ["status", "entered_by", "entered_at", "version", "submitted_at",
                  "reviewed_by", "reviewed_at", "review_comment"]  # fmt: skip
        QuarterlyCount.objects.bulk_update(changed, fields, batch_size=batch)
        try:
            CountEvent.objects.bulk_create(events, batch_size=batch)
        except Exception as exc:  # noqa: BLE001  the audit rows are decoration here
            print(f"count events left out: {exc}")
        out["workflow counts changed"] = len(changed)
        out["workflow counts removed"] = len(gone)

        # --- notifications: reviewers of submitted quarters, officials of returned ones -----
        notes = []
        seen = set()
        for c in changed:
            key = (c.region_id, c.status)
            if key in seen or c.status not in ("submitted", "returned"):
                continue
            seen.add(key)
            if c.status == "submitted":
                users = [reviewer[c.region_id], ids[username(Role.REVIEWER, "100000")]]
                kind, actor = Notification.Kind.SUBMITTED, official[c.region_id]
            else:
                users = [official[c.region_id]]
                kind, actor = Notification.Kind.RETURNED, reviewer[c.region_id]
            for uid in users:
                if uid:
                    notes.append(
                        Notification(
                            user_id=uid,
                            kind=kind,
                            region_id=c.region_id,
                            year=year,
                            quarter=quarter,
                            actor_id=actor,
                            created_at=at,
                        )  # fmt: skip
                    )
        Notification.objects.bulk_create(notes, batch_size=batch)
        out["notifications"] = len(notes)

        # --- allocations down two levels ----------------------------------------------------
        indicators = list(Indicator.objects.order_by("sort_order"))
        plan = Plan.objects.create(
            title_zh="全国模拟方案", title_en="Synthetic national plan",
            document_number=NATIONAL_PLAN, issuer_zh="模拟", issued_on=dt.date(2018, 7, 1),
            region=country,
        )  # fmt: skip
        top = Target.objects.bulk_create(
            [
                Target(plan=plan, region=country, indicator=ind, due_year=y, due_quarter=4,
                       value=v)
                for ind in indicators
                for y, v in ((2025, 1_000_000), (2027, 1_200_000))
            ]
        )  # fmt: skip
        provinces = by_level["province"]
        prefectures_of: dict[int, list[Region]] = {}
        for r in by_level["prefecture"]:
            prefectures_of.setdefault(r.parent_id, []).append(r)
        second = Target.objects.bulk_create(
            [
                Target(plan=plan, region=p, indicator=t.indicator, due_year=t.due_year,
                       due_quarter=4, value=t.value // len(provinces), allocated_from=t)
                for t in top
                for p in provinces
            ],
            batch_size=batch,
        )  # fmt: skip
        third = Target.objects.bulk_create(
            [
                Target(plan=plan, region=r, indicator=t.indicator, due_year=t.due_year,
                       due_quarter=4, value=t.value // 10, allocated_from=t)
                for t in second
                for r in prefectures_of.get(t.region_id, [])
            ],
            batch_size=batch,
        )  # fmt: skip
        manager = ids[username(Role.TARGET_MANAGER, "100000")]
        TargetEvent.objects.bulk_create(
            [
                TargetEvent(target=t, parent_id=t.allocated_from_id, region_id=t.region_id,
                            action=TargetEvent.Action.CREATE, user_id=manager, at=now,
                            new_value=t.value)
                for t in second + third
            ],
            batch_size=batch,
        )  # fmt: skip
        out["allocated targets"] = len(second) + len(third)

        # --- a task plan reported every half-year --------------------------------------------
        task_units = Unit.objects.bulk_create(
            [
                Unit(code=f"gov-{p.code}", name_zh=f"{p.name_zh}政府", kind=Unit.Kind.GOVERNMENT,
                     region=p, sort_order=i)
                for i, p in enumerate(provinces)
            ]
        )  # fmt: skip
        unit_users = User.objects.bulk_create(
            [User(username=f"n_unit_{u.code}", password=password, email=f"{u.code}@bench.example.org",
                  date_joined=now) for u in task_units]
        )  # fmt: skip
        UnitMembership.objects.bulk_create(
            [UnitMembership(user=user, unit=u) for user, u in zip(unit_users, task_units,
             strict=True)]
        )  # fmt: skip
        group = TaskGroup.objects.create(plan=plan, number=1, title_zh="模拟任务组")
        tasks = Task.objects.bulk_create(
            [
                Task(plan=plan, group=group, number=n, title_zh=f"模拟任务{n}",
                     text="推进质量认证工作（模拟）。" * 10, lead_text="各省政府")
                for n in range(1, TASKS + 1)
            ]
        )  # fmt: skip
        TaskUnit.objects.bulk_create(
            [
                TaskUnit(task=t, unit=u, role=TaskUnit.Role.LEAD, position=i)
                for t in tasks
                for i, u in enumerate(task_units)
            ]
        )  # fmt: skip
        halves = list(_half_years())
        text = "本期完成情况（模拟）：开展认证宣传、培训与监督检查，推动企业获证。" * 6
        reports = []
        for t in tasks:
            for k, u in enumerate(task_units):
                for i, (y, h) in enumerate(halves):
                    latest = i == len(halves) - 1
                    state = (
                        ("submitted", "draft", "returned", "accepted")[(k + t.number) % 4]
                        if latest
                        else "accepted"
                    )
                    at_report = dt.datetime(y, 6 * h, 28, 10, tzinfo=dt.UTC)
                    reports.append(
                        TaskReport(
                            task=t,
                            unit=u,
                            period=f"{y}H{h}",
                            status="in_progress",
                            done=text,
                            problems=text[:120],
                            next_steps=text[:160],
                            state=state,
                            created_at=at_report,
                            updated_at=at_report,
                            updated_by_id=unit_users[k].pk,
                            submitted_by_id=unit_users[k].pk if state != "draft" else None,
                            submitted_at=at_report if state != "draft" else None,
                        )  # fmt: skip
                    )
        TaskReport.objects.bulk_create(reports, batch_size=batch)
        out["task reports"] = len(reports)
    return out


def main() -> int:
    import django

    django.setup()
    from django.db import connection

    from indicators.rollups import rollups_rebuild

    started = time.perf_counter()
    print(add_workflow())
    rollups_rebuild()  # the workflow quarter's statuses changed
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")
    print(f"in {time.perf_counter() - started:.1f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
