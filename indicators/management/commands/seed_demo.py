"""``manage.py seed_demo``: deterministic demo counts, a demo successor plan, and demo users.

Everything it writes is flagged ``is_demo`` and shown under a demo-data banner. Running it again
replaces the previous demo data (and resets demo users' passwords), so it is idempotent.
"""

from __future__ import annotations

import datetime as dt
import zlib
from types import SimpleNamespace

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.hashers import make_password
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction
from django.utils import timezone

from indicators import demo
from indicators.bulk import insert_rows
from indicators.demo_targets import seed_allocations
from indicators.models import CountEvent, Indicator, Plan, QuarterlyCount, Target
from indicators.periods import Quarter
from indicators.rollups import rollups_rebuild
from notifications import demo as notifications_demo
from regions.models import Membership, Region
from register import demo as register_demo
from tasks import demo as tasks_demo

Role = Membership.Role
S = QuarterlyCount.Status
A = CountEvent.Action

DEMO_USERS = [
    # username, superuser, [(role, region code)], Chinese full name
    ("admin", True, [], "系统管理员"),
    ("official_lanzhou", False, [(Role.OFFICIAL, "620100")], "兰州市填报员"),
    ("official_beihai", False, [(Role.OFFICIAL, "450500")], "北海市填报员"),
    ("reviewer_gansu", False, [(Role.REVIEWER, "620000")], "甘肃省审核员"),
    ("reviewer_beihai", False, [(Role.REVIEWER, "450500")], "北海市审核员"),
    ("leader_gansu", False, [(Role.LEADER, "620000")], "甘肃省领导"),
    ("leader_beihai", False, [(Role.LEADER, "450500")], "北海市领导"),
    ("analyst", False, [(Role.ANALYST, "620000"), (Role.ANALYST, "450500")], "分析员"),
    ("manager_gansu", False, [(Role.TARGET_MANAGER, "620000")], "甘肃省目标管理员"),
    ("useradmin_gansu", False, [(Role.USER_ADMIN, "620000")], "甘肃省用户管理员"),
]

# In the latest quarter not every unit has finished, so completeness and the workflow show.
LATEST_STATUS = {
    # 兰州新区 (official_lanzhou's, a zone: never in a roll-up) returned by reviewer_gansu: the
    # official's to-do and notifications show it.
    "620171": S.RETURNED,
    "620500": S.SUBMITTED,
    "620600": S.SUBMITTED,
    "621100": S.DRAFT,
    "621200": S.RETURNED,
    "623000": None,
    "450500": S.SUBMITTED,
}
# Years whose Q4 the provincial bureau enters directly from national statistics (a little
# above the prefectures' sum, so the discrepancy shows).
GANSU_DIRECT_YEARS = (2023, 2024, 2025)

DEMO_PLANS = [
    dict(
        region="620000",
        parent_doc="甘政办发〔2018〕145号",
        issued_on=dt.date(2024, 1, 15),
        title_zh="【演示】甘肃省质量认证后续目标（演示数据，非真实文件）",
        title_en="[DEMO] Gansu follow-up certification targets (demo data, not a real document)",
        issuer_zh="（演示）",
        issuer_en="(demo)",
        targets={"certificates": 14200, "organizations": 5600},
    ),
    dict(
        region="450500",
        parent_doc="北政办〔2018〕200号",
        issued_on=dt.date(2024, 3, 1),
        title_zh="【演示】北海市质量认证后续目标（演示数据，非真实文件）",
        title_en="[DEMO] Beihai follow-up certification targets (demo data, not a real document)",
        issuer_zh="（演示）",
        issuer_en="(demo)",
        targets={"certificates": 1000, "organizations": 360},
    ),
]
DEMO_DUE = Quarter(2027, 4)


def _at(period: Quarter, days: int, salt: str) -> dt.datetime:
    """A deterministic time ``days`` (plus a stable 0–4 day jitter) after the quarter end."""
    jitter = zlib.crc32(f"{period}{salt}".encode()) % 5
    day = period.end_date + dt.timedelta(days=days + jitter)
    return timezone.make_aware(dt.datetime.combine(day, dt.time(10, 30)))


class Command(BaseCommand):
    help = (
        "Load deterministic demo data (counts 2017Q4 to the last complete quarter) and demo users."
    )

    def add_arguments(self, parser):
        parser.add_argument("--end", help="last quarter, e.g. 2026Q3 (default: last complete)")
        parser.add_argument(
            "--if-empty",
            action="store_true",
            help="do nothing if any quarterly count exists (so `make run` never overwrites work)",
        )

    def handle(self, *args, **options):
        try:
            end = Quarter.parse(options["end"]) if options["end"] else Quarter.last_complete()
        except ValueError as exc:
            raise CommandError(str(exc)) from exc
        if options["if_empty"] and QuarterlyCount.objects.exists():
            self.stdout.write("Counts already present; demo data left as it is.")
            self._print_logins()
            return
        if not Region.objects.filter(code="620000").exists():
            raise CommandError("Reference data missing: run `manage.py load_reference` first.")
        with transaction.atomic():
            users = self._users()
            self._plans()
            n = self._counts(end, users)
            seed_allocations(user=users["admin"])  # demo allocations of the 2022 targets
            tasks_demo.seed(end=end, stdout=self.stdout)  # progress reports, unit users
            notifications_demo.seed(usernames=[*users, *tasks_demo.demo_usernames()])
            register_demo.seed(end=end, stdout=self.stdout)  # certificates behind the counts
        self.stdout.write(self.style.SUCCESS(f"Demo data: {n} quarterly counts up to {end}."))
        self._print_logins()

    def _print_logins(self) -> None:
        password = settings.CERTTRACK["DEMO_PASSWORD"]
        self.stdout.write(f"Demo logins (password: {password}):")
        for username, _su, _roles, label in DEMO_USERS:
            self.stdout.write(f"  {username:<18} {label}")

    def _users(self) -> dict[str, object]:
        User = get_user_model()
        # Hashed once, not once per user: each hash is ≈ 0.6 s of PBKDF2 (`make run`'s first
        # seed); the demo users share the one published demo password anyway.
        password = make_password(settings.CERTTRACK["DEMO_PASSWORD"])
        regions = {r.code: r for r in Region.objects.all()}
        users = {}
        for username, superuser, roles, label in DEMO_USERS:
            user, _ = User.objects.get_or_create(username=username)
            user.first_name = label
            user.is_superuser = user.is_staff = superuser
            user.is_active = True
            user.password = password
            user.save()
            Membership.objects.filter(user=user).delete()
            for role, code in roles:
                Membership.objects.create(user=user, region=regions[code], role=role)
            users[username] = user
        return users

    def _plans(self) -> None:
        indicators = {i.code: i for i in Indicator.objects.all()}
        Plan.objects.filter(is_demo=True).delete()
        for spec in DEMO_PLANS:
            region = Region.objects.get(code=spec["region"])
            plan = Plan.objects.create(
                title_zh=spec["title_zh"],
                title_en=spec["title_en"],
                document_number="DEMO",  # neutral in both languages
                issuer_zh=spec["issuer_zh"],
                issuer_en=spec["issuer_en"],
                issued_on=spec["issued_on"],
                parent=Plan.objects.filter(document_number=spec["parent_doc"]).first(),
                region=region,
                is_demo=True,
                note="演示数据：用于展示尚未到期目标的进度与预测。",
                note_en="Demo data: shows progress and forecasts for a target still ahead.",
            )
            for code, value in spec["targets"].items():
                Target.objects.create(
                    plan=plan,
                    region=region,
                    indicator=indicators[code],
                    due_year=DEMO_DUE.year,
                    due_quarter=DEMO_DUE.quarter,
                    value=value,
                    clause="DEMO",
                )

    def _counts(self, end: Quarter, users: dict) -> int:
        CountEvent.objects.filter(count__is_demo=True).delete()
        QuarterlyCount.objects.filter(is_demo=True).delete()
        regions = {r.code: r for r in Region.objects.all()}
        series: dict[tuple[str, str], dict[Quarter, int]] = {}
        for indicator in ("certificates", "organizations"):
            for code, values in demo.gansu_units(indicator, end).items():
                series[(code, indicator)] = values
            series[("450500", indicator)] = demo.total_series("450500", indicator, end)
            provincial = {}
            for year in GANSU_DIRECT_YEARS:
                q4 = Quarter(year, 4)
                if q4 <= end:
                    units = sum(series[(c, indicator)][q4] for c in demo.GANSU_WEIGHTS)
                    provincial[q4] = round(units * 1.005)
            series[("620000", indicator)] = provincial

        official = {"620100": users["official_lanzhou"], "450500": users["official_beihai"]}
        reviewer = {"62": users["reviewer_gansu"], "45": users["reviewer_beihai"]}
        indicators = {i.code: i for i in Indicator.objects.all()}
        counts, plans = [], []
        for (code, indicator), values in sorted(series.items()):
            for period, value in sorted(values.items()):
                status = S.APPROVED
                if period == end:
                    status = LATEST_STATUS.get(code, S.APPROVED)
                if status is None:
                    continue
                entered = _at(period, 3, code)
                submitted = _at(period, 8, code) if status != S.DRAFT else None
                reviewed = _at(period, 14, code) if status in (S.APPROVED, S.RETURNED) else None
                who = official.get(code) or (users["reviewer_gansu"] if code == "620000" else None)
                rev = reviewer[code[:2]] if reviewed else None
                comment = (
                    "请核对与上季度的差异。Please check the change against last quarter."
                    if status == S.RETURNED
                    else ""
                )
                steps = [(A.CREATE, entered, S.DRAFT)]
                if submitted:
                    steps.append((A.SUBMIT, submitted, S.SUBMITTED))
                if reviewed:
                    steps.append(
                        (A.APPROVE if status == S.APPROVED else A.RETURN, reviewed, status)
                    )
                # rows for insert_rows: bulk_create and model instances cost more than the
                # statements themselves (≈ 0.3 s of every seed, and the test suite seeds often)
                count = SimpleNamespace(
                    region_id=regions[code].pk,
                    indicator_id=indicators[indicator].pk,
                    year=period.year,
                    quarter=period.quarter,
                    value=value,
                    status=status,
                    entered_by_id=who.pk if who else None,
                    entered_at=entered,
                    submitted_at=submitted,
                    first_submitted_at=submitted,
                    reviewed_by_id=rev.pk if rev else None,
                    reviewed_at=reviewed,
                    review_comment=comment,
                    version=len(steps),
                    note="演示数据 demo data",
                    is_demo=True,
                )
                counts.append(count)
                plans.append((steps, who, rev, value, comment))
        insert_rows(QuarterlyCount, counts, batch=500)
        ids = {  # insert_rows reads no keys back: by natural key
            tuple(key): pk
            for pk, *key in QuarterlyCount.objects.filter(is_demo=True).values_list(
                "pk", "region_id", "indicator_id", "year", "quarter"
            )
        }
        events = []
        for count, (steps, who, rev, value, comment) in zip(counts, plans, strict=True):
            pk = ids[(count.region_id, count.indicator_id, count.year, count.quarter)]
            previous = ""
            for version, (action, at, status) in enumerate(steps, start=1):
                user = who if action in (A.CREATE, A.SUBMIT) else rev
                events.append(
                    SimpleNamespace(
                        count_id=pk,
                        action=action,
                        at=at,
                        version=version,
                        user_id=user.pk if user else None,
                        old_value=None if action == A.CREATE else value,
                        new_value=value,
                        old_status=previous,
                        new_status=status,
                        comment=comment if action == A.RETURN else "",
                    )
                )
                previous = status
        insert_rows(CountEvent, events, batch=1000)
        rollups_rebuild()  # bulk writes bypass the services: recompute the roll-ups once
        return len(counts)
