"""Demo progress reports and two demo unit users, for ``manage.py seed_demo``.

Deterministic for a given end quarter. Everything written is demo data: reports are flagged
``is_demo`` and their texts begin with 【演示】 (English pages show them in English, [Demo]:
:func:`shown_text`); running it again replaces them. The Gansu plan's
schedule is set to expect reports from three half-years before the current one (the demo's
"recent half-years"); its note says so.

Which report is in which state is fixed by the lead link's position, so that every progress
status and every state (draft, submitted, accepted, returned) appears, some reports are missing
and overdue, and the demo unit 省发展改革委 has a returned, a submitted and a due report of its own.
"""

from __future__ import annotations

import datetime as dt
import hashlib

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.hashers import make_password
from django.core.files.base import ContentFile
from django.utils import timezone, translation

from indicators.models import Plan
from indicators.periods import Quarter
from regions.people import chinese_page
from tasks.models import (
    ReportingSchedule,
    TaskAttachment,
    TaskReport,
    TaskReportEvent,
    TaskUnit,
    Unit,
    UnitMembership,
    attachment_storage,
)
from tasks.periods import HALF_YEAR, ReportPeriod

State = TaskReport.State
Status = TaskReport.Status
A = TaskReportEvent.Action

# username, unit code, Chinese full name
DEMO_UNIT_USERS = [
    ("official_fgw", "gs-fagai", "省发展改革委填报员"),
    ("official_lanzhou_gov", "gov-620100", "兰州市政府填报员"),
]


def demo_usernames() -> list[str]:
    """The demo users this module creates (seed_demo gives them example addresses)."""
    return [username for username, _code, _label in DEMO_UNIT_USERS]


GANSU_DOC = "甘政办发〔2018〕145号"
DEMO_NOTE = (
    "演示设置：报告自近三个半年起计。Demo setting: reports expected for the recent half-years."
)

# (state, status) by position in a cycle, for the latest ended half-year.
LATEST_CYCLE = [
    (State.ACCEPTED, Status.IN_PROGRESS),
    (State.SUBMITTED, Status.IN_PROGRESS),
    (State.RETURNED, Status.DELAYED),
    (State.DRAFT, Status.IN_PROGRESS),
    (None, None),  # not written: overdue
    (State.ACCEPTED, Status.DONE),
    (State.SUBMITTED, Status.NOT_STARTED),
]
# The demo unit's own reports in the latest ended half-year: (task label) -> (state, status).
FGW_LATEST = {
    "7.2": (State.RETURNED, Status.DELAYED),
    "7.3": (State.SUBMITTED, Status.IN_PROGRESS),
    "8": (None, None),
}

# A one-page PDF (blank A4), for the demo attachments.
DEMO_PDF = (
    b"%PDF-1.4\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj\n"
    b"2 0 obj<</Type/Pages/Kids[3 0 R]/Count 1>>endobj\n"
    b"3 0 obj<</Type/Page/MediaBox[0 0 595 842]/Parent 2 0 R>>endobj\n"
    b"trailer<</Root 1 0 R>>\n%%EOF\n"
)


def _at(period: ReportPeriod, days: int, salt: str) -> dt.datetime:
    """A deterministic time ``days`` (plus a 0–3 day jitter) after the period's end."""
    jitter = int(hashlib.sha256(f"{period}{salt}".encode()).hexdigest(), 16) % 4
    day = period.end + dt.timedelta(days=days + jitter)
    return timezone.make_aware(dt.datetime.combine(day, dt.time(9, 40)))


# The demo's report texts in each language: Chinese is what is stored (what a unit would
# write); English pages show the English form while the stored text is still the demo's own.
DEMO_MARK = {"zh": "【演示】", "en": "[Demo] "}
DEMO_TEXTS = {
    "done": {
        "zh": "{mark}{period}：围绕“{title}”召开推进会，制定工作清单，组织企业培训。",
        "en": "{mark}{period}: held a meeting on “{title}”, drew up a work list, trained firms.",
    },
    "delayed": {
        "zh": "{mark}配套政策尚未出台，部分工作进度滞后。",
        "en": "{mark}The supporting policy is not out yet; part of the work is behind.",
    },
    "not_started": {
        "zh": "{mark}待省级方案下发后启动。",
        "en": "{mark}Starts once the provincial plan is issued.",
    },
    "next_steps": {
        "zh": "{mark}下一阶段继续推进，按期报送进展情况。",
        "en": "{mark}Carry on in the next period and report progress on time.",
    },
    "review_comment": {
        "zh": "{mark}请补充滞后原因和整改时限。",
        "en": "{mark}Please add why the work is behind and by when it will catch up.",
    },
}


def _text(key: str, lang: str, **params) -> str:
    return DEMO_TEXTS[key][lang].format(mark=DEMO_MARK[lang], **params)


def _texts(task, period: ReportPeriod, status: str, lang: str = "zh") -> dict[str, str]:
    """The demo texts of a report on ``task`` (its top-level task) in ``lang`` (zh or en)."""
    top = task.parent or task
    title = top.title_zh if lang == "zh" else (top.title_en or top.number_label)
    with translation.override("zh-hans" if lang == "zh" else "en"):
        label = period.label
    done = _text("done", lang, period=label, title=title)
    problems = ""
    if status == Status.DELAYED:
        problems = _text("delayed", lang)
    elif status == Status.NOT_STARTED:
        done = ""
        problems = _text("not_started", lang)
    return {"done": done, "problems": problems, "next_steps": _text("next_steps", lang)}


def shown_text(report: TaskReport, field: str, value: str | None = None) -> str:
    """A report's text as the page shows it: a demo report's text, unchanged since the seed,
    in English on English pages (docs/glossary.md: one language per page); else as stored.
    ``value``: the text when it is not the report's own field (a history entry's comment)."""
    value = getattr(report, field) if value is None else value
    if not value or not report.is_demo or chinese_page():
        return value
    if field == "review_comment":
        return _text(field, "en") if value == _text(field, "zh") else value
    period = ReportPeriod.parse(report.period)
    zh = _texts(report.task, period, report.status, "zh")
    if zh.get(field) != value:
        return value  # edited since: the unit's own words
    return _texts(report.task, period, report.status, "en")[field]


def clear_demo() -> None:
    """Remove the demo reports, their history and files."""
    storage = attachment_storage()
    for attachment in TaskAttachment.objects.filter(report__is_demo=True):
        storage.delete(attachment.file.name)
    TaskAttachment.objects.filter(report__is_demo=True).delete()
    TaskReportEvent.objects.filter(report__is_demo=True).delete()
    TaskReport.objects.filter(is_demo=True).delete()


def _users() -> dict[str, object]:
    User = get_user_model()
    units = {u.code: u for u in Unit.objects.filter(code__in=[c for _u, c, _n in DEMO_UNIT_USERS])}
    users = {}
    password = make_password(settings.CERTTRACK["DEMO_PASSWORD"])  # once: see seed_demo._users
    for username, code, label in DEMO_UNIT_USERS:
        user, _ = User.objects.get_or_create(username=username)
        user.first_name = label
        user.is_active = True
        user.is_staff = user.is_superuser = False
        user.password = password
        user.save()
        UnitMembership.objects.filter(user=user).delete()
        if code in units:
            UnitMembership.objects.create(user=user, unit=units[code])
        users[code] = user
    return users


def seed(*, end: Quarter, stdout=None) -> int:
    """Write the demo reports for the half-years up to the one containing ``end``'s last day
    (the three before it ended, that one current); returns the number of reports."""
    clear_demo()
    users = _users()
    plan = Plan.objects.filter(document_number=GANSU_DOC).first()
    if plan is None:
        return 0
    current = ReportPeriod.of_date(HALF_YEAR, end.end_date)
    ended = [current - 3, current - 2, current - 1]
    ReportingSchedule.objects.update_or_create(
        plan=plan,
        defaults=dict(
            period_kind=HALF_YEAR,
            deadline_days=settings.CERTTRACK["TASK_DEADLINE_DAYS"],
            starts_on=ended[0].start,
            ends_on=None,
            note=DEMO_NOTE,
        ),
    )
    User = get_user_model()
    reviewer = User.objects.filter(username="reviewer_gansu").first()
    links = list(
        TaskUnit.objects.filter(task__plan=plan, role=TaskUnit.Role.LEAD, task__items__isnull=True)
        .select_related("task", "task__parent", "unit")
        .order_by("task__number", "task__item", "position")
    )
    plans: list[tuple[TaskReport, list[tuple[str, dt.datetime, str]]]] = []
    for i, link in enumerate(links):
        label, code = link.task.number_label, link.unit.code
        for age, period in enumerate(reversed([*ended, current])):  # 0: current
            if age == 0:
                state, status = (State.DRAFT, Status.IN_PROGRESS) if i % 4 == 0 else (None, None)
            elif age == 1:
                state, status = LATEST_CYCLE[i % len(LATEST_CYCLE)]
                if code == "gs-fagai" and label in FGW_LATEST:
                    state, status = FGW_LATEST[label]
            elif age == 2:
                state = State.SUBMITTED if i % 9 == 3 else State.ACCEPTED
                status = Status.DONE if i % 5 == 1 else Status.IN_PROGRESS
            else:
                state, status = (
                    (None, None) if i % 13 == 6 else (State.ACCEPTED, Status.IN_PROGRESS)
                )
            if state is None:
                continue
            plans.append(_report(link, period, state, status, users.get(code), reviewer))
    TaskReport.objects.bulk_create([report for report, _steps in plans], batch_size=500)
    ids = {
        (r.task_id, r.unit_id, r.period): r.pk
        for r in TaskReport.objects.filter(is_demo=True).only("id", "task", "unit", "period")
    }
    events = []
    for report, steps in plans:
        report.pk = ids[(report.task_id, report.unit_id, report.period)]
        previous = ""
        for version, (action, at, state) in enumerate(steps, start=1):
            by = reviewer if action in (A.ACCEPT, A.RETURN) else report.submitted_by
            events.append(
                TaskReportEvent(
                    report_id=report.pk,
                    action=action,
                    user=by,
                    at=at,
                    old_state=previous,
                    new_state=state,
                    old_status=report.status if previous else "",
                    new_status=report.status,
                    comment=report.review_comment if action == A.RETURN else "",
                    file_name=_attachment_name(report) if action == A.ATTACH else "",
                    version=version,
                )
            )
            previous = state
    TaskReportEvent.objects.bulk_create(events, batch_size=1000)
    _attach(plans)
    if stdout is not None:
        password = settings.CERTTRACK["DEMO_PASSWORD"]
        stdout.write(f"Demo task reports: {len(plans)} ({ended[0]}–{current}).")
        for username, _code, label in DEMO_UNIT_USERS:
            stdout.write(f"  {username:<18} {label} (password: {password})")
    return len(plans)


def _report(link, period, state, status, author, reviewer):
    salt = f"{link.task_id}-{link.unit_id}"
    created = _at(period, -20, salt)
    submitted = _at(period, 5, salt) if state != State.DRAFT else None
    reviewed = _at(period, 12, salt) if state in (State.ACCEPTED, State.RETURNED) else None
    steps = [(A.CREATE, created, State.DRAFT)]
    if _has_attachment(link.unit.code, state):
        steps.append((A.ATTACH, created + dt.timedelta(hours=1), State.DRAFT))
    if submitted:
        steps.append((A.SUBMIT, submitted, State.SUBMITTED))
    if reviewed:
        steps.append((A.ACCEPT if state == State.ACCEPTED else A.RETURN, reviewed, state))
    report = TaskReport(
        task=link.task,
        unit=link.unit,
        period=str(period),
        status=status,
        state=state,
        created_at=created,
        updated_by=author,
        updated_at=submitted or created,
        submitted_by=author if submitted else None,
        submitted_at=submitted,
        reviewed_by=reviewer if reviewed else None,
        reviewed_at=reviewed,
        review_comment=_text("review_comment", "zh") if state == State.RETURNED else "",
        version=len(steps),
        is_demo=True,
        **_texts(link.task, period, status),
    )
    return report, steps


def _has_attachment(unit_code: str, state: str) -> bool:
    return unit_code == "gs-fagai" and state == State.SUBMITTED


def _attachment_name(report: TaskReport) -> str:
    """Neutral (the same on pages in either language)."""
    return f"demo-{report.task.number_label}-{report.period}.pdf"


def _attach(plans) -> None:
    """A PDF on the demo unit's submitted reports (stored like any upload)."""
    storage = attachment_storage()
    for report, _steps in plans:
        if not _has_attachment(report.unit.code, report.state):
            continue
        name = storage.save(
            TaskAttachment.storage_name(plan_id=report.task.plan_id, extension="pdf"),
            ContentFile(DEMO_PDF),
        )
        TaskAttachment.objects.create(
            report=report,
            file=name,
            original_name=_attachment_name(report),
            file_type="pdf",
            content_type="application/pdf",
            size=len(DEMO_PDF),
            sha256=hashlib.sha256(DEMO_PDF).hexdigest(),
            uploaded_by=report.submitted_by,
            uploaded_at=report.submitted_at,
        )
