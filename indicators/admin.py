"""Django admin of plans, indicators, targets and counts (history read-only); writes of counts
from the app go through indicators/services/."""

from django.contrib import admin

from indicators.models import (
    AssessmentWeights,
    CountEvent,
    Indicator,
    Plan,
    QuarterlyCount,
    Target,
    TargetEvent,
)


class TargetInline(admin.TabularInline):
    """The plan's own targets; allocations to divisions are made on the allocation page."""

    model = Target
    extra = 0
    autocomplete_fields = ["region"]
    exclude = ["allocated_from", "is_demo"]

    def get_queryset(self, request):
        return super().get_queryset(request).filter(allocated_from__isnull=True)


@admin.register(Plan)
class PlanAdmin(admin.ModelAdmin):
    list_display = ["title_zh", "document_number", "issuer_zh", "issued_on", "status", "is_demo"]
    list_filter = ["status", "is_demo"]
    search_fields = ["title_zh", "title_en", "document_number"]
    autocomplete_fields = ["region", "parent"]
    inlines = [TargetInline]


@admin.register(Indicator)
class IndicatorAdmin(admin.ModelAdmin):
    list_display = ["code", "name_zh", "name_en", "unit_zh", "aggregation", "sort_order"]


@admin.register(Target)
class TargetAdmin(admin.ModelAdmin):
    list_display = [
        "plan", "region", "indicator", "due_year", "due_quarter", "comparator", "value",
        "allocated_from", "is_demo",
    ]  # fmt: skip
    list_filter = ["indicator", "due_year", "plan", "is_demo"]
    list_select_related = ["plan", "region", "indicator", "allocated_from__region"]
    autocomplete_fields = ["region", "plan"]
    raw_id_fields = ["allocated_from"]


@admin.register(TargetEvent)
class TargetEventAdmin(admin.ModelAdmin):
    """The allocation history (who, when, old → new); read-only."""

    list_display = ["at", "region", "action", "user", "old_value", "new_value", "parent"]
    list_filter = ["action"]
    list_select_related = ["region", "user", "parent__region", "parent__indicator"]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(AssessmentWeights)
class AssessmentWeightsAdmin(admin.ModelAdmin):
    """The assessment weights decided per plan (who, when, the decision replaced); read-only:
    a target manager records a decision on the plan's weights page."""

    list_display = ["decided_at", "plan", "progress", "growth", "timeliness", "quality",
                    "decided_by", "previous"]  # fmt: skip
    list_select_related = ["plan", "decided_by", "previous"]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


class CountEventInline(admin.TabularInline):
    """The audit trail of a count, read-only: history is never edited or deleted."""

    model = CountEvent
    extra = 0
    can_delete = False
    fields = [
        "at",
        "action",
        "user",
        "old_value",
        "new_value",
        "old_status",
        "new_status",
        "comment",
        "version",
    ]
    readonly_fields = fields

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False


@admin.register(QuarterlyCount)
class QuarterlyCountAdmin(admin.ModelAdmin):
    """Counts are shown here for inspection; every write goes through the entry workflow."""

    list_display = [
        "region",
        "indicator",
        "year",
        "quarter",
        "value",
        "status",
        "version",
        "is_demo",
    ]
    list_filter = ["indicator", "status", "year", "quarter", "is_demo"]
    search_fields = ["region__code", "region__name_zh", "region__name_en"]
    list_select_related = ["region", "indicator"]
    inlines = [CountEventInline]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(CountEvent)
class CountEventAdmin(admin.ModelAdmin):
    list_display = [
        "at",
        "count",
        "action",
        "user",
        "old_value",
        "new_value",
        "old_status",
        "new_status",
    ]
    list_filter = ["action"]
    list_select_related = ["count__region", "count__indicator", "user"]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
