"""The plans' tasks, the units responsible for them, and the units' progress reports.

A plan (``indicators.Plan``) sets tasks in numbered groups; each task names its lead units
(牵头单位), which report on it, and its responsible units (责任单位), which share it. Units are
departments and governments, each belonging to a region; users belong to units. Everything a
document says is reference data (``fixtures/tasks.json``); reports are written only through
``tasks.services``, which audits every change in ``TaskReportEvent``.
"""

from __future__ import annotations

import os
import uuid

from django.conf import settings
from django.core.files.storage import FileSystemStorage
from django.db import models
from django.db.models import F, Q
from django.utils.translation import get_language, pgettext_lazy
from django.utils.translation import gettext_lazy as _

from indicators.models import Plan
from regions.models import Region
from tasks.periods import HALF_YEAR, KIND_CHOICES, ReportPeriod

CHINESE_NUMERALS = "一二三四五六七八九十"


def _localized(zh: str, en: str) -> str:
    lang = (get_language() or "zh-hans").lower()
    return (en or zh) if lang.startswith("en") else (zh or en)


def chinese_numeral(number: int) -> str:
    """1 → 一, 10 → 十, 12 → 十二, 20 → 二十 (group labels of Chinese documents)."""
    if 1 <= number <= 10:
        return CHINESE_NUMERALS[number - 1]
    if 11 <= number <= 99:
        tens, ones = divmod(number, 10)
        head = "" if tens == 1 else CHINESE_NUMERALS[tens - 1]
        return head + "十" + (CHINESE_NUMERALS[ones - 1] if ones else "")
    return str(number)


class AttachmentStorage(FileSystemStorage):
    """Files under ``CERTTRACK_MEDIA_ROOT``, read from the settings at every use (a changed
    setting, as in tests, takes effect at once). Never served by a URL of its own: files go
    out only through the view that checks permission."""

    @property
    def base_location(self):
        return str(settings.CERTTRACK_MEDIA_ROOT)

    @property
    def location(self):
        return os.path.abspath(self.base_location)

    @property
    def base_url(self):
        return None


def attachment_storage() -> FileSystemStorage:
    """Where attachments live: outside the web root (``tasks.checks`` refuses a folder the
    static files are served from)."""
    return AttachmentStorage()


class Unit(models.Model):
    """A department or government a plan names as a lead (牵头) or responsible (责任) unit.

    ``name_zh`` is the name **as written in the document** (its 2018 short form: 省质监局); a
    department renamed since keeps it, with ``current_name_zh`` beside it where the renaming is
    known (省质监局 → 甘肃省市场监督管理局 in the 2018–2019 institutional reform).

    A *collective* unit is a phrase naming several units at once ("省质量发展领导小组各成员单位",
    "各市州政府"): kept as written, with its ``members`` where the document (or an administrator)
    makes them known; a unit shares every task its collectives are responsible for.
    """

    class Kind(models.TextChoices):
        DEPARTMENT = "department", _("Department")
        GOVERNMENT = "government", _("Government")
        COLLECTIVE = "collective", _("Collective (units named together)")

    code = models.SlugField(_("code"), max_length=40, unique=True)
    name_zh = models.CharField(_("name as written (Chinese)"), max_length=100)
    name_en = models.CharField(_("English name"), max_length=200, blank=True)
    full_name_zh = models.CharField(_("full name (Chinese)"), max_length=150, blank=True)
    current_name_zh = models.CharField(
        _("current name (Chinese)"),
        max_length=150,
        blank=True,
        help_text=_("Where the unit was renamed or merged since the document; empty if unchanged."),
    )
    current_name_en = models.CharField(_("current name (English)"), max_length=250, blank=True)
    kind = models.CharField(_("kind"), max_length=12, choices=Kind.choices)
    region = models.ForeignKey(
        Region, verbose_name=_("region"), on_delete=models.PROTECT, related_name="units"
    )
    members = models.ManyToManyField(
        "self",
        verbose_name=_("members"),
        through="UnitMember",
        through_fields=("collective", "member"),
        symmetrical=False,
        blank=True,
        related_name="collectives",
        help_text=_("For a collective unit: the units it stands for, where known."),
    )
    sort_order = models.PositiveSmallIntegerField(_("order"), default=0)
    active = models.BooleanField(_("active"), default=True)

    class Meta:
        ordering = ["sort_order", "code"]
        verbose_name = _("unit")
        verbose_name_plural = _("units")

    def __str__(self) -> str:
        return self.name

    @property
    def name(self) -> str:
        return _localized(self.name_zh, self.name_en)

    @property
    def current_name(self) -> str:
        return _localized(self.current_name_zh, self.current_name_en)

    @property
    def is_collective(self) -> bool:
        return self.kind == self.Kind.COLLECTIVE


class UnitMember(models.Model):
    """A unit a collective stands for: 兰州市政府 is one of 各市州政府.

    A model of its own (not an implicit table) so that fixtures and backups load collectives
    and members in any order: its rows come after every unit."""

    collective = models.ForeignKey(
        Unit, verbose_name=_("collective"), on_delete=models.CASCADE, related_name="+"
    )
    member = models.ForeignKey(
        Unit, verbose_name=_("member"), on_delete=models.CASCADE, related_name="+"
    )

    class Meta:
        ordering = ["collective", "member__sort_order"]
        verbose_name = _("member of a collective")
        verbose_name_plural = _("members of collectives")
        constraints = [
            models.UniqueConstraint(
                fields=["collective", "member"], name="%(app_label)s_%(class)s_unique"
            ),
            models.CheckConstraint(
                condition=~Q(collective=F("member")), name="%(app_label)s_%(class)s_not_itself"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.collective} ⊃ {self.member}"


class UnitMembership(models.Model):
    """A user works for a unit: the user reports for the tasks the unit leads, and sees the
    tasks of the plans covering the unit's region."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("user"),
        on_delete=models.CASCADE,
        related_name="unit_memberships",
    )
    unit = models.ForeignKey(
        Unit, verbose_name=_("unit"), on_delete=models.CASCADE, related_name="memberships"
    )

    class Meta:
        verbose_name = _("unit membership")
        verbose_name_plural = _("unit memberships")
        ordering = ["user__username", "unit__sort_order"]
        constraints = [
            models.UniqueConstraint(fields=["user", "unit"], name="%(app_label)s_%(class)s_unique")
        ]

    def __str__(self) -> str:
        return f"{self.user} · {self.unit}"


class ReportingSchedule(models.Model):
    """How often a plan's lead units report, and by when.

    A plan without a schedule reports every half-year from the period it was issued in, due
    ``CERTTRACK_TASK_DEADLINE_DAYS`` days after each period ends (``tasks.selectors.
    schedule_for``). ``starts_on`` lets a plan begin collecting later than it was issued (the
    first period expected is the one containing that day); ``ends_on`` stops it.
    """

    plan = models.OneToOneField(
        Plan, verbose_name=_("plan"), on_delete=models.CASCADE, related_name="reporting_schedule"
    )
    period_kind = models.CharField(
        _("reporting period"), max_length=10, choices=KIND_CHOICES, default=HALF_YEAR
    )
    deadline_days = models.PositiveSmallIntegerField(
        _("days after period end"),
        help_text=_("A report is on time up to this many days after its period ends."),
    )
    starts_on = models.DateField(
        _("reports expected from"),
        null=True,
        blank=True,
        help_text=_("Empty: from the day the plan was issued."),
    )
    ends_on = models.DateField(_("reports expected until"), null=True, blank=True)
    note = models.TextField(_("note"), blank=True)

    class Meta:
        verbose_name = _("reporting schedule")
        verbose_name_plural = _("reporting schedules")
        constraints = [
            models.CheckConstraint(
                condition=Q(ends_on__isnull=True)
                | Q(starts_on__isnull=True)
                | Q(ends_on__gte=F("starts_on")),
                name="%(app_label)s_%(class)s_ends_after_start",
            )
        ]

    def __str__(self) -> str:
        return f"{self.plan} · {self.get_period_kind_display()}"


class TaskGroup(models.Model):
    """A numbered group of a plan's tasks or measures: "(一)大力推广质量管理先进标准和方法".

    ``text`` holds a group's own wording where the document gives the group no numbered tasks
    (Beihai's four groups of measures); ``short_zh`` is the short name used in lists (组织领导).
    """

    plan = models.ForeignKey(
        Plan, verbose_name=_("plan"), on_delete=models.CASCADE, related_name="task_groups"
    )
    number = models.PositiveSmallIntegerField(_("number"))
    title_zh = models.CharField(_("title (Chinese)"), max_length=200)
    title_en = models.CharField(_("title (English)"), max_length=300, blank=True)
    short_zh = models.CharField(_("short name (Chinese)"), max_length=40, blank=True)
    short_en = models.CharField(_("short name (English)"), max_length=80, blank=True)
    text = models.TextField(_("text"), blank=True)
    clause = models.CharField(_("clause"), max_length=100, blank=True)

    class Meta:
        ordering = ["plan", "number"]
        verbose_name = _("task group")
        verbose_name_plural = _("task groups")
        constraints = [
            models.UniqueConstraint(
                fields=["plan", "number"], name="%(app_label)s_%(class)s_unique_number"
            ),
            models.CheckConstraint(
                condition=Q(number__gte=1), name="%(app_label)s_%(class)s_number_positive"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.label} {self.title}"

    @property
    def label(self) -> str:
        """The document's numbering: 一, 二, …"""
        return chinese_numeral(self.number)

    @property
    def heading_label(self) -> str:
        """The numbering before a heading's title: "一、" in Chinese, "1. " in English."""
        lang = (get_language() or "zh-hans").lower()
        return f"{self.number}. " if lang.startswith("en") else f"{self.label}、"

    @property
    def title(self) -> str:
        return _localized(self.title_zh, self.title_en)

    @property
    def short(self) -> str:
        return _localized(self.short_zh, self.short_en)


class Task(models.Model):
    """A numbered task of a plan, or one paragraph (sub-item) of a task.

    A task whose paragraphs name their own lead units (Gansu's task 7) has sub-items: ``Task``
    rows with ``parent`` set and ``item`` 1, 2, 3, each with its text and units. Reports are made
    on *reportable* tasks: a task without sub-items, or a sub-item.
    ``lead_text`` and ``responsible_text`` keep the units as the document writes them.
    """

    plan = models.ForeignKey(
        Plan, verbose_name=_("plan"), on_delete=models.CASCADE, related_name="tasks"
    )
    group = models.ForeignKey(
        TaskGroup,
        verbose_name=pgettext_lazy("a task's group", "group"),
        on_delete=models.CASCADE,
        related_name="tasks",
    )
    parent = models.ForeignKey(
        "self",
        verbose_name=_("task"),
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="items",
    )
    number = models.PositiveSmallIntegerField(_("number"))
    item = models.PositiveSmallIntegerField(
        _("paragraph"), default=0, help_text=_("0 for a task; 1, 2, … for its paragraphs.")
    )
    title_zh = models.CharField(_("title (Chinese)"), max_length=200)
    title_en = models.CharField(_("title (English)"), max_length=300, blank=True)
    text = models.TextField(_("text"), blank=True)
    lead_text = models.CharField(_("lead units as written"), max_length=300, blank=True)
    responsible_text = models.CharField(
        _("responsible units as written"), max_length=500, blank=True
    )
    units = models.ManyToManyField(
        Unit, through="TaskUnit", verbose_name=_("units"), related_name="tasks"
    )

    class Meta:
        ordering = ["plan", "number", "item"]
        verbose_name = _("task")
        verbose_name_plural = _("tasks")
        constraints = [
            models.UniqueConstraint(
                fields=["plan", "number", "item"], name="%(app_label)s_%(class)s_unique_number"
            ),
            models.CheckConstraint(
                condition=Q(item=0, parent__isnull=True) | Q(item__gte=1, parent__isnull=False),
                name="%(app_label)s_%(class)s_item_has_parent",
            ),
            models.CheckConstraint(
                condition=~Q(parent=F("id")), name="%(app_label)s_%(class)s_not_own_parent"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.number_label} {self.title}"

    @property
    def title(self) -> str:
        return _localized(self.title_zh, self.title_en)

    @property
    def number_label(self) -> str:
        """``7`` for a task, ``7.2`` for its second paragraph."""
        return f"{self.number}.{self.item}" if self.item else str(self.number)


class TaskUnit(models.Model):
    """A unit named on a task: as lead unit (reports on it) or responsible unit (shares it)."""

    class Role(models.TextChoices):
        LEAD = "lead", _("Lead unit")
        RESPONSIBLE = "responsible", _("Responsible unit")

    task = models.ForeignKey(
        Task, verbose_name=_("task"), on_delete=models.CASCADE, related_name="task_units"
    )
    unit = models.ForeignKey(
        Unit, verbose_name=_("unit"), on_delete=models.PROTECT, related_name="task_units"
    )
    role = models.CharField(_("role"), max_length=12, choices=Role.choices)
    position = models.PositiveSmallIntegerField(_("position"), default=0)

    class Meta:
        ordering = ["task", "role", "position"]
        verbose_name = _("unit of a task")
        verbose_name_plural = _("units of tasks")
        constraints = [
            models.UniqueConstraint(
                fields=["task", "unit", "role"], name="%(app_label)s_%(class)s_unique_role"
            )
        ]

    def __str__(self) -> str:
        return f"{self.task.number_label} · {self.get_role_display()} · {self.unit}"


class TaskReport(models.Model):
    """A lead unit's progress report on a task for one reporting period.

    ``status`` is the progress the unit reports (未启动 / 推进中 / 已完成 / 滞后); ``state`` is the
    report's way through review: a draft, submitted, accepted by the plan's owner (a reviewer of
    the plan's region), or returned with a reason. ``version`` rises at every write, so a form
    saved on a stale page is refused (the same optimistic locking as the quarterly counts).
    """

    class Status(models.TextChoices):
        NOT_STARTED = "not_started", pgettext_lazy("task progress", "Not started")
        IN_PROGRESS = "in_progress", pgettext_lazy("task progress", "In progress")
        DONE = "done", pgettext_lazy("task progress", "Done")
        DELAYED = "delayed", pgettext_lazy("task progress", "Delayed")

    class State(models.TextChoices):
        DRAFT = "draft", _("Draft")
        SUBMITTED = "submitted", _("Submitted")
        ACCEPTED = "accepted", _("Accepted")
        RETURNED = "returned", _("Returned")

    task = models.ForeignKey(
        Task, verbose_name=_("task"), on_delete=models.PROTECT, related_name="reports"
    )
    unit = models.ForeignKey(
        Unit, verbose_name=_("unit"), on_delete=models.PROTECT, related_name="reports"
    )
    period = models.CharField(_("period"), max_length=8)
    status = models.CharField(_("progress"), max_length=12, choices=Status.choices)
    done = models.TextField(_("what was done"), blank=True)
    problems = models.TextField(_("problems"), blank=True)
    next_steps = models.TextField(_("next steps"), blank=True)
    state = models.CharField(_("state"), max_length=10, choices=State.choices, default=State.DRAFT)
    created_at = models.DateTimeField(_("created at"))
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("last changed by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    updated_at = models.DateTimeField(_("last changed at"))
    submitted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("submitted by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    submitted_at = models.DateTimeField(_("submitted at"), null=True, blank=True)
    reviewed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("reviewed by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    reviewed_at = models.DateTimeField(_("reviewed at"), null=True, blank=True)
    review_comment = models.TextField(_("review comment"), blank=True)
    version = models.PositiveIntegerField(_("version"), default=1)
    is_demo = models.BooleanField(_("demo data"), default=False)

    class Meta:
        ordering = ["task", "unit", "period"]
        verbose_name = _("progress report")
        verbose_name_plural = _("progress reports")
        constraints = [
            models.UniqueConstraint(
                fields=["task", "unit", "period"], name="%(app_label)s_%(class)s_unique_period"
            ),
            models.CheckConstraint(
                condition=Q(version__gte=1), name="%(app_label)s_%(class)s_version_positive"
            ),
        ]
        indexes = [
            models.Index(fields=["unit", "period"]),
            # The reports awaiting review (the header's badge on every page): only those.
            models.Index(
                fields=["task"], condition=Q(state="submitted"), name="tasks_report_submitted"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.task.number_label} · {self.unit} · {self.period}"

    def get_absolute_url(self) -> str:
        """The report's page (read it, and review it there): ``tasks:review`` takes only the
        reviewer's POST, so links (the to-do home, the reminder digest) point here."""
        from certtrack.paths import path_for

        return path_for("tasks:report", self.task_id, self.unit_id, self.period)

    @property
    def report_period(self) -> ReportPeriod:
        return ReportPeriod.parse(self.period)

    @property
    def is_editable(self) -> bool:
        return self.state in (self.State.DRAFT, self.State.RETURNED)


class TaskAttachment(models.Model):
    """A file attached to a report (PDF, Word, Excel, image): type checked by its content,
    stored under ``CERTTRACK_MEDIA_ROOT`` with a random name, served only through the view
    that checks the reader may see the task."""

    report = models.ForeignKey(
        TaskReport, verbose_name=_("report"), on_delete=models.CASCADE, related_name="attachments"
    )
    file = models.FileField(_("file"), storage=attachment_storage, max_length=200)
    original_name = models.CharField(_("file name"), max_length=200)
    file_type = models.CharField(_("type"), max_length=10)
    content_type = models.CharField(_("content type"), max_length=100)
    size = models.PositiveIntegerField(_("size (bytes)"))
    sha256 = models.CharField(_("SHA-256"), max_length=64)
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("uploaded by"),
        null=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    uploaded_at = models.DateTimeField(_("uploaded at"))

    class Meta:
        ordering = ["report", "uploaded_at", "id"]
        verbose_name = _("attachment")
        verbose_name_plural = _("attachments")

    def __str__(self) -> str:
        return self.original_name

    @staticmethod
    def storage_name(*, plan_id: int, extension: str) -> str:
        """A random name under the plan's folder; the user's file name is never a path."""
        return f"tasks/{plan_id}/{uuid.uuid4().hex}.{extension}"


class TaskReportEvent(models.Model):
    """One entry of a report's audit trail; never edited or deleted."""

    class Action(models.TextChoices):
        CREATE = "create", _("Created")
        UPDATE = "update", _("Changed")
        SUBMIT = "submit", _("Submitted")
        ACCEPT = "accept", _("Accepted")
        RETURN = "return", _("Returned")
        REOPEN = "reopen", _("Reopened")
        ATTACH = "attach", _("File attached")
        DETACH = "detach", _("File removed")

    report = models.ForeignKey(
        TaskReport, verbose_name=_("report"), on_delete=models.PROTECT, related_name="events"
    )
    action = models.CharField(_("action"), max_length=10, choices=Action.choices)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("user"),
        null=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    at = models.DateTimeField(_("at"))
    old_state = models.CharField(_("old state"), max_length=10, blank=True)
    new_state = models.CharField(_("new state"), max_length=10, blank=True)
    old_status = models.CharField(_("old progress"), max_length=12, blank=True)
    new_status = models.CharField(_("new progress"), max_length=12, blank=True)
    comment = models.TextField(_("comment"), blank=True)
    file_name = models.CharField(_("file"), max_length=200, blank=True)
    version = models.PositiveIntegerField(_("version after"))

    class Meta:
        ordering = ["report_id", "at", "id"]
        verbose_name = _("report history entry")
        verbose_name_plural = _("report history")

    def __str__(self) -> str:
        return f"{self.report_id} {self.action} {self.at:%Y-%m-%d %H:%M}"
