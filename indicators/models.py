"""Plans, their numeric targets, the indicators they measure, and the quarterly counts entered.

Both indicators are *stocks*: a quarterly count is a snapshot at quarter end. Counts add up over
regions for the same quarter and are never summed over time; the aggregation lives in
``indicators.selectors`` and nowhere else.
"""

from __future__ import annotations

import datetime as dt
import re

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _

from indicators.periods import Quarter
from regions.models import Region


def _localized(zh: str, en: str) -> str:
    lang = (get_language() or "zh-hans").lower()
    return (en or zh) if lang.startswith("en") else (zh or en)


class Plan(models.Model):
    """A government plan (实施方案/意见) that may set numeric targets for a region.

    Plans form a tree (国发〔2018〕3号 → 广西方案 → 北政办〔2018〕200号). A plan stays in the
    record after it is invalidated (甘政办发〔2018〕145号 was invalidated in full by
    甘政发〔2023〕60号): its targets remain the yardstick for the years it covered.
    """

    class Status(models.TextChoices):
        IN_FORCE = "in_force", _("In force")
        INVALIDATED = "invalidated", _("Invalidated")

    title_zh = models.CharField(_("title (Chinese)"), max_length=200)
    title_en = models.CharField(_("title (English)"), max_length=300, blank=True)
    document_number = models.CharField(_("document number"), max_length=60, blank=True)
    issuer_zh = models.CharField(_("issued by (Chinese)"), max_length=100)
    issuer_en = models.CharField(_("issued by (English)"), max_length=200, blank=True)
    issued_on = models.DateField(_("issued on"))
    parent = models.ForeignKey(
        "self",
        verbose_name=_("parent plan"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="children",
    )
    region = models.ForeignKey(
        Region,
        verbose_name=_("region covered"),
        help_text=_("Empty for a nationwide plan."),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="plans",
    )
    status = models.CharField(
        _("status"), max_length=12, choices=Status.choices, default=Status.IN_FORCE
    )
    invalidated_by = models.CharField(_("invalidated by (document)"), max_length=60, blank=True)
    invalidated_on = models.DateField(_("invalidated on"), null=True, blank=True)
    note = models.TextField(_("note (Chinese)"), blank=True)
    note_en = models.TextField(_("note (English)"), blank=True)
    is_demo = models.BooleanField(
        _("demo plan"), default=False, help_text=_("Made up by seed_demo; not a real document.")
    )

    class Meta:
        ordering = ["issued_on", "id"]
        verbose_name = _("plan")
        verbose_name_plural = _("plans")
        constraints = [
            models.CheckConstraint(
                condition=Q(status="in_force", invalidated_on__isnull=True, invalidated_by="")
                | Q(status="invalidated") & ~Q(invalidated_by=""),
                name="%(app_label)s_%(class)s_invalidation_consistent",
            ),
            models.CheckConstraint(
                condition=~Q(parent=F("id")), name="%(app_label)s_%(class)s_not_own_parent"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.title} {self.document_number}".strip()

    @property
    def title(self) -> str:
        return _localized(self.title_zh, self.title_en)

    @property
    def issuer(self) -> str:
        return _localized(self.issuer_zh, self.issuer_en)

    @property
    def note_text(self) -> str:
        """The note in the reader's language (each language has its own; docs/glossary.md)."""
        return _localized(self.note, self.note_en)

    @property
    def invalidated_year(self) -> int | None:
        """Year of invalidation: from the date if recorded, else from the document's 〔YYYY〕."""
        if self.invalidated_on:
            return self.invalidated_on.year
        match = re.search(r"[〔\[(（](\d{4})[〕\])）]", self.invalidated_by)
        return int(match.group(1)) if match else None

    @property
    def issued_quarter(self) -> Quarter:
        """The quarter the plan was issued in: its progress baseline (docs/progress.md)."""
        return Quarter.of_date(self.issued_on)

    @property
    def invalidated_from(self) -> dt.date | None:
        """The earliest day the plan may have been out of force: the recorded date, else the
        first day of the year of the invalidating document (甘政发〔2023〕60号: 2023-01-01), else
        the day it was issued; None while in force."""
        if self.status != self.Status.INVALIDATED:
            return None
        if self.invalidated_on:
            return self.invalidated_on
        year = self.invalidated_year
        return dt.date(year, 1, 1) if year else self.issued_on

    def withdraws(self, due: Quarter) -> bool:
        """The plan was invalidated before the end of ``due``: a target due then is no longer
        pursued, so it gets no forecast (docs/progress.md)."""
        start = self.invalidated_from
        return start is not None and start < due.end_date


class Indicator(models.Model):
    """A measured quantity, e.g. valid certification certificates (张) or certified organizations (家).

    ``aggregation = stock``: a value is a snapshot at quarter end, summed over regions for the same
    quarter, never over time; the value for a year is its Q4 snapshot.
    """

    class Aggregation(models.TextChoices):
        STOCK = "stock", _("Stock (snapshot at quarter end)")

    code = models.SlugField(_("code"), max_length=40, unique=True)
    name_zh = models.CharField(_("Chinese name"), max_length=100)
    name_en = models.CharField(_("English name"), max_length=150)
    unit_zh = models.CharField(_("unit (Chinese)"), max_length=10)
    unit_en = models.CharField(_("unit (English)"), max_length=30)
    aggregation = models.CharField(
        _("aggregation"), max_length=10, choices=Aggregation.choices, default=Aggregation.STOCK
    )
    sort_order = models.PositiveSmallIntegerField(_("order"), default=0)

    class Meta:
        ordering = ["sort_order", "code"]
        verbose_name = _("indicator")
        verbose_name_plural = _("indicators")

    def __str__(self) -> str:
        return self.name

    @property
    def name(self) -> str:
        return _localized(self.name_zh, self.name_en)

    @property
    def unit(self) -> str:
        return _localized(self.unit_zh, self.unit_en)


class Target(models.Model):
    """A numeric target a plan sets for a region and indicator, due at the end of a quarter.

    "到2020年底，全省有效认证证书达到11000张以上" is ``Target(plan=Gansu plan, region=620000,
    indicator=certificates, due 2020Q4, value 11000, comparator at least)``. Targets are data: an
    administrator adds a successor plan's targets in the admin and every dashboard shows them.
    """

    class Comparator(models.TextChoices):
        AT_LEAST = "at_least", _("at least")

    plan = models.ForeignKey(
        Plan, verbose_name=_("plan"), on_delete=models.CASCADE, related_name="targets"
    )
    region = models.ForeignKey(
        Region, verbose_name=_("region"), on_delete=models.PROTECT, related_name="targets"
    )
    indicator = models.ForeignKey(
        Indicator, verbose_name=_("indicator"), on_delete=models.PROTECT, related_name="targets"
    )
    due_year = models.PositiveSmallIntegerField(_("due year"))
    due_quarter = models.PositiveSmallIntegerField(_("due quarter"), default=4)
    value = models.PositiveBigIntegerField(_("target value"))
    comparator = models.CharField(
        _("comparator"), max_length=10, choices=Comparator.choices, default=Comparator.AT_LEAST
    )
    clause = models.CharField(_("clause"), max_length=200, blank=True)
    # 目标分解: a target the region's managers handed down to a division (or a zone) of the
    # parent target's region; same plan, indicator and due quarter (indicators.services.targets).
    allocated_from = models.ForeignKey(
        "self",
        verbose_name=_("allocated from"),
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="allocations",
    )
    is_demo = models.BooleanField(
        _("demo allocation"), default=False, help_text=_("Made up by seed_demo; no document.")
    )

    class Meta:
        ordering = ["plan__issued_on", "region__path", "indicator__sort_order", "due_year"]
        verbose_name = _("target")
        verbose_name_plural = _("targets")
        constraints = [
            models.UniqueConstraint(
                fields=["plan", "region", "indicator", "due_year", "due_quarter"],
                name="%(app_label)s_%(class)s_unique_due",
            ),
            models.CheckConstraint(
                condition=Q(due_quarter__gte=1, due_quarter__lte=4),
                name="%(app_label)s_%(class)s_quarter_1_4",
            ),
            models.CheckConstraint(
                condition=Q(value__gt=0), name="%(app_label)s_%(class)s_value_positive"
            ),
            models.CheckConstraint(
                condition=~Q(allocated_from=F("id")),
                name="%(app_label)s_%(class)s_not_own_allocation",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.region.name} {self.indicator.name} ≥ {self.value} ({self.due})"

    @property
    def is_allocated(self) -> bool:
        return self.allocated_from_id is not None

    @property
    def allocated_from_label(self) -> str:
        """The parent target as the outputs name it: "甘肃省 ≥ 12,000 (2022Q4)"; empty for a
        plan's own target. Read with ``select_related("allocated_from__region")``."""
        parent = self.allocated_from
        if parent is None:
            return ""
        return f"{parent.region.name} ≥ {parent.value:,} ({parent.due})"

    @property
    def due(self) -> Quarter:
        return Quarter(self.due_year, self.due_quarter)


class TargetEvent(models.Model):
    """One entry of a target's audit trail (an allocation saved, changed or removed): who,
    when, the value before and after; never edited or deleted. Kept by the target's id and
    region, so the history outlives a removed allocation."""

    class Action(models.TextChoices):
        CREATE = "create", _("Allocated")
        UPDATE = "update", _("Changed")
        DELETE = "delete", _("Removed")

    target = models.ForeignKey(
        Target,
        verbose_name=_("target"),
        null=True,
        on_delete=models.SET_NULL,
        related_name="events",
    )
    parent = models.ForeignKey(
        Target,
        verbose_name=_("allocated from"),
        null=True,
        on_delete=models.SET_NULL,
        related_name="allocation_events",
    )
    region = models.ForeignKey(
        Region, verbose_name=_("region"), on_delete=models.PROTECT, related_name="+"
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
    old_value = models.BigIntegerField(_("old value"), null=True, blank=True)
    new_value = models.BigIntegerField(_("new value"), null=True, blank=True)

    class Meta:
        ordering = ["at", "id"]
        verbose_name = _("target history entry")
        verbose_name_plural = _("target history")

    def __str__(self) -> str:
        return f"{self.region_id} {self.action} {self.old_value}→{self.new_value}"


class AssessmentWeights(models.Model):
    """A target manager's decision on how much each component counts in the assessment ranking
    (考核评价) of the divisions under a plan: progress, growth, timeliness and quality, in percent
    (adding up to 100). A policy decision of the bureau, recorded here and never edited: each
    change is a new row pointing at the decision it replaces (``previous``: the old weights), with
    who made it and when; the latest row of a plan is in force (docs/progress.md, "Assessment")."""

    plan = models.ForeignKey(
        Plan, verbose_name=_("plan"), on_delete=models.CASCADE, related_name="assessment_weights"
    )
    progress = models.PositiveSmallIntegerField(_("progress weight"))
    growth = models.PositiveSmallIntegerField(_("growth weight"))
    timeliness = models.PositiveSmallIntegerField(_("timeliness weight"))
    quality = models.PositiveSmallIntegerField(_("quality weight"))
    previous = models.OneToOneField(
        "self",
        verbose_name=_("replaces"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="replaced_by",
    )
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("decided by"),
        null=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    decided_at = models.DateTimeField(_("decided at"))

    class Meta:
        ordering = ["plan", "decided_at", "id"]
        verbose_name = _("assessment weights")
        verbose_name_plural = _("assessment weights")
        constraints = [
            models.CheckConstraint(
                condition=models.lookups.Exact(
                    F("progress") + F("growth") + F("timeliness") + F("quality"), 100
                ),
                name="%(app_label)s_%(class)s_add_up_to_100",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.plan_id}: {self.as_text()}"

    def as_dict(self) -> dict[str, int]:
        return {
            "progress": self.progress,
            "growth": self.growth,
            "timeliness": self.timeliness,
            "quality": self.quality,
        }

    def as_text(self) -> str:
        """The weights as progress/growth/timeliness/quality: "40/20/20/20"."""
        return "/".join(str(v) for v in self.as_dict().values())


class QuarterlyCount(models.Model):
    """One region's snapshot of one indicator at the end of one quarter, with its workflow state.

    ``value`` is the stock valid on the quarter's last day. ``version`` rises by one at every
    write, so a save made on a stale form is refused (optimistic locking, checked in the same
    atomic UPDATE as the write). Drafts and returned counts are not published figures; dashboards
    show approved counts, or approved and submitted ones, as the viewer chooses.
    """

    class Status(models.TextChoices):
        DRAFT = "draft", _("Draft")
        SUBMITTED = "submitted", _("Submitted")
        APPROVED = "approved", _("Approved")
        RETURNED = "returned", _("Returned")

    # Indexed with its quarter below (``indicators_count_region_period``), which also serves
    # every look-up by region alone.
    region = models.ForeignKey(
        Region,
        verbose_name=_("region"),
        on_delete=models.PROTECT,
        related_name="counts",
        db_index=False,
    )
    indicator = models.ForeignKey(
        Indicator, verbose_name=_("indicator"), on_delete=models.PROTECT, related_name="counts"
    )
    year = models.PositiveSmallIntegerField(_("year"))
    quarter = models.PositiveSmallIntegerField(_("quarter"))
    value = models.BigIntegerField(_("value"))
    note = models.TextField(_("note"), blank=True)
    status = models.CharField(
        _("status"), max_length=10, choices=Status.choices, default=Status.DRAFT
    )
    entered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("entered by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    entered_at = models.DateTimeField(_("entered at"))
    submitted_at = models.DateTimeField(_("submitted at"), null=True, blank=True)
    # The first time it was submitted for review: a return or reopen and the resubmission that
    # follows move submitted_at, never this (the on-time rate counts the first submission).
    first_submitted_at = models.DateTimeField(_("first submitted at"), null=True, blank=True)
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
        ordering = ["region__path", "indicator__sort_order", "year", "quarter"]
        verbose_name = _("quarterly count")
        verbose_name_plural = _("quarterly counts")
        constraints = [
            models.UniqueConstraint(
                fields=["region", "indicator", "year", "quarter"],
                name="%(app_label)s_%(class)s_unique_period",
            ),
            models.CheckConstraint(
                condition=Q(value__gte=0), name="%(app_label)s_%(class)s_value_not_negative"
            ),
            models.CheckConstraint(
                condition=Q(quarter__gte=1, quarter__lte=4),
                name="%(app_label)s_%(class)s_quarter_1_4",
            ),
            models.CheckConstraint(
                condition=Q(version__gte=1), name="%(app_label)s_%(class)s_version_positive"
            ),
        ]
        indexes = [
            models.Index(fields=["indicator", "year", "quarter"]),
            # "Is there demo data?" is asked on every page (the banner); without it the answer
            # is a scan of every count (24 ms at national scale, where there is none).
            models.Index(
                fields=["is_demo"], condition=Q(is_demo=True), name="indicators_count_demo"
            ),
            # The reviewer's badge and queue, on every page: the submitted counts only (a few
            # hundred at national scale), not a scan of all 408,000 (55-90 ms, issue 25).
            models.Index(
                fields=["region", "year", "quarter"],
                condition=Q(status="submitted"),
                name="indicators_count_submitted",
            ),
            # One quarter's counts over a scope (the reporting obligations of the late units on
            # every reviewer's and leader's home, the review queue): read through an index, not
            # a parallel scan of all 408,000 counts (45 ms of 50, issue 25).
            models.Index(fields=["year", "quarter"], name="indicators_count_period"),
            # A region-quarter's counts (the reviewer's badge on every page groups those of
            # the region-quarters with a submitted count: 638 of them nationally read 128
            # counts of each region through the region alone, 81,000 rows for 1,276; issue 25).
            # In place of the region's own index: the same leading column.
            models.Index(
                fields=["region", "year", "quarter"], name="indicators_count_region_period"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.region.code} {self.indicator.code} {self.period} = {self.value}"

    @property
    def period(self) -> Quarter:
        return Quarter(self.year, self.quarter)


class CountEvent(models.Model):
    """One entry of the audit trail: a change of a count's value or status, never edited or deleted.

    Kept when the count changes again; the history of a value is its events in order.
    """

    class Action(models.TextChoices):
        CREATE = "create", _("Created")
        UPDATE = "update", _("Changed")
        SUBMIT = "submit", _("Submitted")
        APPROVE = "approve", _("Approved")
        RETURN = "return", _("Returned")
        REOPEN = "reopen", _("Reopened")
        IMPORT = "import", _("Imported")
        WITHDRAW = "withdraw", _("Withdrawn")

    count = models.ForeignKey(
        QuarterlyCount, verbose_name=_("count"), on_delete=models.PROTECT, related_name="events"
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
    old_value = models.BigIntegerField(_("old value"), null=True, blank=True)
    new_value = models.BigIntegerField(_("new value"), null=True, blank=True)
    old_status = models.CharField(_("old status"), max_length=10, blank=True)
    new_status = models.CharField(_("new status"), max_length=10, blank=True)
    comment = models.TextField(_("comment"), blank=True)
    version = models.PositiveIntegerField(_("version after"), default=1)

    class Meta:
        ordering = ["count_id", "at", "id"]
        verbose_name = _("count history entry")
        verbose_name_plural = _("count history")

    def __str__(self) -> str:
        return f"{self.count_id} {self.action} {self.at:%Y-%m-%d %H:%M}"


class RollupCell(models.Model):
    """A materialized stock value: what ``selectors.values.subtree_values`` computes for one
    region, indicator, quarter and inclusion (approved only / all submitted), kept so that dashboards
    at national scale read a region and its children in one query instead of summing the whole
    subtree. Refreshed by ``indicators.rollups`` in the same transaction as every write to
    counts, rebuilt after bulk loads; only cells with a value are stored.
    """

    region = models.ForeignKey(Region, on_delete=models.CASCADE, related_name="+")
    indicator = models.ForeignKey(Indicator, on_delete=models.CASCADE, related_name="+")
    year = models.PositiveSmallIntegerField()
    quarter = models.PositiveSmallIntegerField()
    inclusion = models.CharField(max_length=10)
    value = models.BigIntegerField()
    source = models.CharField(max_length=8)
    complete = models.BooleanField()
    children_sum = models.BigIntegerField(null=True)
    children_complete = models.BooleanField()
    approved = models.BooleanField()
    status = models.CharField(max_length=10, blank=True)

    class Meta:
        verbose_name = _("roll-up cache cell")
        verbose_name_plural = _("roll-up cache")
        constraints = [
            models.UniqueConstraint(
                fields=["region", "inclusion", "indicator", "year", "quarter"],
                name="%(app_label)s_%(class)s_unique_cell",
            )
        ]

    def __str__(self) -> str:
        return f"{self.region_id} {self.indicator_id} {self.year}Q{self.quarter} {self.inclusion}"


class TargetStatus(models.Model):
    """A target's progress as of a quarter (the reporting quarter: ``as_of``), default values
    (``DEFAULT_INCLUSION``), as ``selectors.progress.target_rows`` computes it: kept so that a
    home finds the first targets needing attention in its scope, and how many there are, with
    one indexed query instead of computing the progress of thousands of targets per visit
    (issue 25). Written only by ``indicators.target_statuses``, in the transaction of every
    write that can change it; the set of an as-of quarter is complete once stored.
    """

    # No database constraint: a count writer that refreshes statuses must take no key lock on
    # a target that an allocation save holds FOR UPDATE (indicators.target_statuses). Deleted
    # with its target by Django's cascade, and by the services' raw deletes.
    target = models.ForeignKey(
        Target, on_delete=models.CASCADE, related_name="statuses", db_constraint=False
    )
    as_of_year = models.PositiveSmallIntegerField()
    as_of_quarter = models.PositiveSmallIntegerField()
    status = models.CharField(max_length=12)  # indicators.progress.Status
    value = models.BigIntegerField(null=True)
    percent = models.FloatField(null=True)
    # The baseline the increase is measured from (``TargetProgress.baseline``): none where the
    # target has none. A home's list shows the increase achieved over it.
    baseline_year = models.PositiveSmallIntegerField(null=True)
    baseline_quarter = models.PositiveSmallIntegerField(null=True)
    baseline_value = models.BigIntegerField(null=True)

    class Meta:
        verbose_name = _("kept target status")
        verbose_name_plural = _("kept target statuses")
        constraints = [
            models.UniqueConstraint(
                fields=["target", "as_of_year", "as_of_quarter"],
                name="%(app_label)s_%(class)s_unique_target_as_of",
            )
        ]
        indexes = [
            models.Index(
                fields=["as_of_year", "as_of_quarter", "status"], name="indicators_tstatus_asof"
            )
        ]

    def __str__(self) -> str:
        return f"{self.target_id} {self.as_of_year}Q{self.as_of_quarter} {self.status}"


class DataVersion(models.Model):
    """One row whose number changes (to a new random one), in the same transaction, with every
    change to what the dashboards show (counts and their statuses, plans, targets, regions,
    indicators).

    Rendered dashboard parts are cached under it (``indicators.pagecache``): a cached part of
    an older number is never read again, so no write is shown late, on any app server, and the
    cache needs no other invalidation. Being written in the writer's transaction, the new
    number becomes visible exactly when the new data does.
    """

    number = models.BigIntegerField(default=0)

    class Meta:
        verbose_name = _("data version")
        constraints = [
            models.CheckConstraint(condition=Q(pk=1), name="%(app_label)s_%(class)s_single_row")
        ]

    def __str__(self) -> str:
        return str(self.number)
